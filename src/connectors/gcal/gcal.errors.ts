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
  response?: { status?: number; data?: any; headers?: { get?(name: string): string | null } | Record<string, string> };
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

function reasonOf(data: any): string | null {
  return data?.error?.errors?.[0]?.reason ?? (typeof data?.error?.status === 'string' ? data.error.status : null);
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
  const data = e.response?.data;
  const reason = reasonOf(data);
  const message =
    data?.error?.message ??
    (typeof data?.error === 'string'
      ? `${data.error}: ${data.error_description ?? ''}`.trim()
      : (e.message ?? String(err)));
  const detail = `Google Calendar ${status ?? 'error'}${reason ? ` ${reason}` : ''}: ${message}`;
  if (typeof data?.error === 'string' && OAUTH_AUTH_ERRORS.has(data.error))
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
