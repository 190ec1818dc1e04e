import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** HubSpot rejects deliveries older than this itself; we refuse to accept them either (replay window). */
export const SIGNATURE_MAX_AGE_MS = 5 * 60_000;
/** Clock skew we tolerate for timestamps from the future. */
export const SIGNATURE_FUTURE_SKEW_MS = 60_000;

/** HubSpot signs the URI with these escapes decoded (per its v3 validation guide); everything else is left as sent. */
const DECODED: Readonly<Record<string, string>> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

export function normalizeSignedUri(uri: string): string {
  return uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => DECODED[m.toUpperCase()] ?? m);
}

/** base64(HMAC-SHA256(clientSecret, method + uri + rawBody + timestamp)). */
export function hubspotSignatureV3(
  clientSecret: string,
  method: string,
  uri: string,
  rawBody: Buffer | string,
  timestamp: string,
): string {
  return createHmac('sha256', clientSecret)
    .update(method.toUpperCase() + normalizeSignedUri(uri), 'utf8')
    .update(typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody)
    .update(timestamp, 'utf8')
    .digest('base64');
}

export type SignatureVerdict = 'ok' | 'bad_timestamp' | 'stale' | 'future' | 'mismatch';

export interface SignatureInput {
  clientSecret: string;
  method: string;
  uri: string;
  rawBody: Buffer;
  signature: string;
  timestamp: string;
  now?: number;
}

export function verifyHubspotSignatureV3(i: SignatureInput): SignatureVerdict {
  if (!/^\d{1,16}$/.test(i.timestamp)) return 'bad_timestamp';
  const ts = Number(i.timestamp);
  const now = i.now ?? Date.now();
  if (now - ts > SIGNATURE_MAX_AGE_MS) return 'stale';
  if (ts - now > SIGNATURE_FUTURE_SKEW_MS) return 'future';
  const expected = hubspotSignatureV3(i.clientSecret, i.method, i.uri, i.rawBody, i.timestamp);
  // Digests of both sides have equal length, so the comparison time says nothing about the input.
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(i.signature.trim()).digest();
  return timingSafeEqual(a, b) ? 'ok' : 'mismatch';
}
