import { ConfigError } from '../../config/app.config.js';

/** The parts of a service-account key file the connector uses. */
export interface GcalServiceAccount {
  clientEmail: string;
  privateKey: string;
  privateKeyId: string | null;
  /** Where the JWT-bearer grant is posted; Google's own unless the key file says otherwise. */
  tokenUri: string;
}

export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/**
 * Parses GCAL_SERVICE_ACCOUNT_JSON (the key file downloaded from the Cloud console, as one JSON
 * string). A malformed value stops the process at boot with a sentence naming the variable,
 * rather than failing every sync later.
 */
export function parseServiceAccount(json: string): GcalServiceAccount {
  let v: any;
  try {
    v = JSON.parse(json);
  } catch {
    throw new ConfigError('GCAL_SERVICE_ACCOUNT_JSON must be the service-account key file as a JSON string.');
  }
  if (!v || typeof v !== 'object' || v.type !== 'service_account') {
    throw new ConfigError('GCAL_SERVICE_ACCOUNT_JSON must be a service-account key ("type": "service_account").');
  }
  if (typeof v.client_email !== 'string' || !v.client_email.includes('@')) {
    throw new ConfigError('GCAL_SERVICE_ACCOUNT_JSON has no valid client_email.');
  }
  if (typeof v.private_key !== 'string' || !v.private_key.includes('PRIVATE KEY')) {
    throw new ConfigError('GCAL_SERVICE_ACCOUNT_JSON has no PEM private_key.');
  }
  let tokenUri = GOOGLE_TOKEN_URL;
  if (v.token_uri !== undefined) {
    try {
      const u = new URL(String(v.token_uri));
      if (!/^https?:$/.test(u.protocol)) throw new Error();
      tokenUri = u.href;
    } catch {
      throw new ConfigError('GCAL_SERVICE_ACCOUNT_JSON token_uri must be an http(s) URL.');
    }
  }
  return {
    clientEmail: v.client_email,
    privateKey: v.private_key,
    privateKeyId: typeof v.private_key_id === 'string' ? v.private_key_id : null,
    tokenUri,
  };
}
