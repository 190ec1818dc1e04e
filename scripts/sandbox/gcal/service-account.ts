import {
  createPublicKey,
  createVerify,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  type KeyObject,
} from 'node:crypto';

/** The fields of a Google service-account key file that clients read. */
export interface ServiceAccountJson {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
  auth_provider_x509_cert_url: string;
  client_x509_cert_url: string;
  universe_domain: 'googleapis.com';
}

/**
 * A throwaway service account with a fresh RSA key, generated at run time so no key that looks
 * real is ever committed. `tokenUri` points google-auth-library's JWT grant at a simulator.
 */
export function generateServiceAccount(opts: {
  tokenUri: string;
  projectId?: string;
  name?: string;
}): ServiceAccountJson {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const projectId = opts.projectId ?? 'buffalo-sandbox';
  const email = `${opts.name ?? 'buffalo-sync'}@${projectId}.iam.gserviceaccount.com`;
  return {
    type: 'service_account',
    project_id: projectId,
    private_key_id: randomBytes(20).toString('hex'),
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: email,
    client_id: String(BigInt('0x' + randomBytes(8).toString('hex'))),
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: opts.tokenUri,
    auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(email)}`,
    universe_domain: 'googleapis.com',
  };
}

export function publicKeyOf(sa: Pick<ServiceAccountJson, 'private_key'>): KeyObject {
  return createPublicKey(sa.private_key);
}

export interface JwtClaims {
  iss?: string;
  sub?: string;
  scope?: string;
  aud?: string;
  iat?: number;
  exp?: number;
  [k: string]: unknown;
}

export type JwtCheck = { ok: true; claims: JwtClaims } | { ok: false; reason: string };

function b64urlJson(part: string): any {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

/** Decodes without verifying (to find which key should verify it). */
export function peekJwt(jwt: string): JwtClaims | null {
  const parts = jwt.split('.');
  if (parts.length !== 3) return null;
  try {
    return b64urlJson(parts[1]);
  } catch {
    return null;
  }
}

/** RS256 signature and time checks, as Google's token endpoint performs them. */
export function verifyJwtRs256(jwt: string, key: KeyObject, nowS = Math.floor(Date.now() / 1000)): JwtCheck {
  const parts = jwt.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'Invalid JWT: malformed' };
  let header: { alg?: string };
  let claims: JwtClaims;
  try {
    header = b64urlJson(parts[0]);
    claims = b64urlJson(parts[1]);
  } catch {
    return { ok: false, reason: 'Invalid JWT: not JSON' };
  }
  if (header.alg !== 'RS256') return { ok: false, reason: 'Invalid JWT: alg must be RS256' };
  const valid = createVerify('RSA-SHA256')
    .update(`${parts[0]}.${parts[1]}`)
    .verify(key, Buffer.from(parts[2], 'base64url'));
  if (!valid) return { ok: false, reason: 'Invalid JWT Signature.' };
  if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number')
    return { ok: false, reason: 'Invalid JWT: iat and exp are required' };
  // Google allows a few minutes of clock skew and at most one hour of validity.
  if (claims.exp < nowS - 300)
    return {
      ok: false,
      reason:
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
    };
  if (claims.iat > nowS + 300 || claims.exp - claims.iat > 3600) {
    return {
      ok: false,
      reason:
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
    };
  }
  return { ok: true, claims };
}

export const newOpaqueToken = (prefix: string) =>
  `${prefix}${randomUUID().replace(/-/g, '')}${randomBytes(12).toString('base64url')}`;
