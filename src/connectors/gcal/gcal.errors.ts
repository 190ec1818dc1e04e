import { SyncError } from '../../runs/sync.drivers.js';

/** Google's usage-limit reasons: throttling that happens to be sent as 403, not a permission problem. */
const THROTTLE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded', 'dailyLimitExceeded']);
/** OAuth token-endpoint errors: the key or its grants are wrong. */
const OAUTH_AUTH_ERRORS = new Set([
  'invalid_grant',
  'invalid_client',
  'unauthorized_client',
  'invalid_scope',
  'access_denied',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'TimeoutError',
  'AbortError',
]);

interface GaxiosLike {
  status?: number;
  code?: string | number;
  message?: string;
  response?: {
    status?: number;
    data?: unknown;
    headers?: { get?(name: string): string | null } | Record<string, string>;
  };
}

/** Seconds or an HTTP date, as Retry-After allows; null when absent or unreadable. */
export function retryAfterMs(headers: unknown, now = Date.now()): number | null {
  if (!headers || typeof headers !== 'object') return null;
  const h = headers as { get?: (n: string) => string | null } & Record<string, unknown>;
  const raw = typeof h.get === 'function' ? h.get('retry-after') : (h['retry-after'] as string | undefined);
  if (raw === null || raw === undefined || raw === '') return null;
  if (/^\d+$/.test(String(raw).trim())) return Number(raw) * 1000;
  const at = Date.parse(String(raw));
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

type JsonObject = Record<string, unknown>;

/** The value as an object whose fields can be read, or undefined for primitives and null. */
function asObject(v: unknown): JsonObject | undefined {
  return v !== null && typeof v === 'object' ? (v as JsonObject) : undefined;
}

/** Google API errors: `{error: {message, status, errors: [{reason}]}}`; OAuth: `{error, error_description}`. */
function reasonOf(data: unknown): string | null {
  const error = asObject(asObject(data)?.error);
  const reason = asObject(asObject(error?.errors)?.[0])?.reason;
  if (typeof reason === 'string') return reason;
  return typeof error?.status === 'string' ? error.status : null;
}

/**
 * Vendor error → SyncError class. 410 means the sync token is gone (wipe it, resync in full);
 * 401/403 and token-endpoint grant errors are auth (fail the run, keep the cursor); 403 with a
 * usage-limit reason, 408, 429, 5xx and network failures are transient; the rest permanent.
 */
export function classifyGcalError(err: unknown): SyncError {
  if (err instanceof SyncError) return err;
  const e = (err ?? {}) as GaxiosLike;
  const status = e.response?.status ?? e.status;
  const data = asObject(e.response?.data);
  const reason = reasonOf(data);
  const oauthError = typeof data?.error === 'string' ? data.error : null;
  const vendorMessage = asObject(data?.error)?.message;
  const description = typeof data?.error_description === 'string' ? data.error_description : '';
  const message =
    typeof vendorMessage === 'string'
      ? vendorMessage
      : oauthError !== null
        ? `${oauthError}: ${description}`.trim()
        : (e.message ?? String(err));
  const detail = `Google Calendar ${status ?? 'error'}${reason ? ` ${reason}` : ''}: ${message}`;
  if (oauthError !== null && OAUTH_AUTH_ERRORS.has(oauthError))
    return new SyncError('auth', `Google OAuth token request refused: ${message}`);
  if (status === 410) return new SyncError('stale_cursor', detail);
  if (status === 403 && reason && THROTTLE_REASONS.has(reason))
    return new SyncError('transient', detail, retryAfterMs(e.response?.headers) ?? undefined);
  if (status === 401 || status === 403) return new SyncError('auth', detail);
  if (status === 408 || status === 429 || (status !== undefined && status >= 500)) {
    return new SyncError('transient', detail, retryAfterMs(e.response?.headers) ?? undefined);
  }
  if (
    status === undefined &&
    (NETWORK_CODES.has(String(e.code)) || /fetch failed|socket|network|timeout/i.test(e.message ?? ''))
  ) {
    return new SyncError('transient', `Google Calendar unreachable: ${e.message ?? e.code}`);
  }
  // A key that does not parse fails while signing the grant, before any HTTP status exists.
  if (status === undefined && /private key|PEM|DECODER|asn1|secretOrPrivateKey/i.test(e.message ?? '')) {
    return new SyncError('auth', `The service-account private key is unusable: ${e.message}`);
  }
  return new SyncError('permanent', detail);
}
