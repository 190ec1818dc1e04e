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
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new ConfigError('GCAL_SERVICE_ACCOUNT_JSON must be the service-account key file as a JSON string.');
  }
  const v = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : null;
  if (!v || v.type !== 'service_account') {
    throw new ConfigError('GCAL_SERVICE_ACCOUNT_JSON must be a service-account key ("type": "service_account").');
  }
  const clientEmail = v.client_email;
  if (typeof clientEmail !== 'string' || !clientEmail.includes('@')) {
    throw new ConfigError('GCAL_SERVICE_ACCOUNT_JSON has no valid client_email.');
  }
  const privateKey = v.private_key;
  if (typeof privateKey !== 'string' || !privateKey.includes('PRIVATE KEY')) {
    throw new ConfigError('GCAL_SERVICE_ACCOUNT_JSON has no PEM private_key.');
  }
  let tokenUri = GOOGLE_TOKEN_URL;
  if (v.token_uri !== undefined) {
    try {
      if (typeof v.token_uri !== 'string') throw new Error();
      const u = new URL(v.token_uri);
      if (!/^https?:$/.test(u.protocol)) throw new Error();
      tokenUri = u.href;
    } catch {
      throw new ConfigError('GCAL_SERVICE_ACCOUNT_JSON token_uri must be an http(s) URL.');
    }
  }
  return {
    clientEmail,
    privateKey,
    privateKeyId: typeof v.private_key_id === 'string' ? v.private_key_id : null,
    tokenUri,
  };
}
