import { SyncError } from '../../runs/sync.drivers.js';

interface StripeLikeError {
  type?: string;
  statusCode?: number;
  code?: string;
  param?: string;
  message?: string;
  headers?: Record<string, string | undefined>;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

/** Retry-After in ms (seconds or HTTP date), null when absent or unreadable. */
export function retryAfterMs(err: unknown, nowMs = Date.now()): number | null {
  const h = (err as StripeLikeError | null)?.headers;
  const v = h?.['retry-after'] ?? h?.['Retry-After'];
  if (v === undefined || v === null || v === '') return null;
  if (/^\d+(\.\d+)?$/.test(String(v).trim())) return Math.round(Number(v) * 1000);
  const at = Date.parse(String(v));
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

export function isRateLimited(err: unknown): boolean {
  const e = err as StripeLikeError | null;
  return e?.type === 'StripeRateLimitError' || e?.statusCode === 429;
}

/**
 * Vendor error → run error class. 401/403 are `auth` (the run fails, the cursor is kept: a revoked
 * key is not a stale cursor); 429, 5xx and network trouble are `transient`; a pagination anchor
 * Stripe no longer knows is `stale_cursor`; any other 4xx is `permanent` (retrying will not help).
 * Messages are ours plus Stripe's (which never echoes a full key), never request details.
 */
export function classifyStripeError(err: unknown): SyncError {
  if (err instanceof SyncError) return err;
  const e = (err ?? {}) as StripeLikeError & { code?: string };
  const status = e.statusCode;
  const detail = (e.message ?? String(err)).slice(0, 300);
  if (e.type === 'StripeAuthenticationError' || status === 401) {
    return new SyncError('auth', `Stripe rejected the API key (401): ${detail} Check STRIPE_API_KEY.`);
  }
  if (e.type === 'StripePermissionError' || status === 403) {
    return new SyncError(
      'auth',
      `Stripe denied access (403): ${detail} The key needs read access to charges, refunds, disputes and events.`,
    );
  }
  if (isRateLimited(err)) {
    return new SyncError(
      'transient',
      `Stripe rate limit (429) persisted after retries: ${detail}`,
      retryAfterMs(err) ?? undefined,
    );
  }
  if (
    e.type === 'StripeConnectionError' ||
    e.type === 'StripeAPIError' ||
    (status !== undefined && status >= 500) ||
    NETWORK_CODES.has(String(e.code))
  ) {
    return new SyncError('transient', `Stripe unavailable${status ? ` (${status})` : ''}: ${detail}`);
  }
  if (e.code === 'resource_missing' && (e.param === 'starting_after' || e.param === 'ending_before')) {
    return new SyncError('stale_cursor', `Stripe no longer knows the pagination position: ${detail}`);
  }
  if (status !== undefined && status >= 400)
    return new SyncError('permanent', `Stripe refused the request (${status}): ${detail}`);
  return new SyncError('permanent', `Stripe call failed: ${detail}`);
}
