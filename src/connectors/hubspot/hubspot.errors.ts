import { SyncError } from '../../runs/sync.drivers.js';

/** A payload we can never turn into a record (bad amount on a won deal, no version time…): dead-letter it. */
export class HubspotInvalidPayload extends Error {
  override readonly name = 'HubspotInvalidPayload';
}

export type HubspotErrorClass = 'auth' | 'transient' | 'permanent' | 'search_cap';

export interface ClassifiedError {
  errorClass: HubspotErrorClass;
  status: number | null;
  message: string;
  /** From Retry-After (seconds or HTTP date), when the vendor sent one. */
  retryAfterMs?: number;
}

/** The search API refuses to page past this many results per query. */
export const SEARCH_RESULT_CAP = 10_000;

function header(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
    if (k.toLowerCase() !== name) continue;
    const first: unknown = Array.isArray(v) ? v[0] : v;
    // Only text or a number can be a Retry-After value; anything else would never parse anyway.
    return typeof first === 'string' || typeof first === 'number' ? String(first) : undefined;
  }
  return undefined;
}

export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function vendorMessage(body: unknown): string | undefined {
  if (typeof body === 'string') {
    try {
      return vendorMessage(JSON.parse(body));
    } catch {
      return body.slice(0, 200) || undefined;
    }
  }
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
    return (body as { message: string }).message.slice(0, 200);
  }
  return undefined;
}

/**
 * Vendor error → class. 401/403 are auth (a revoked token is never a stale cursor, so the cursor
 * must survive); 429, 5xx and network failures are transient; a 400 from a search whose `after`
 * reached the 10,000 cap is `search_cap` (the caller restarts the query from its last position);
 * every other 4xx is permanent. Messages never include the token or the request body.
 */
export function classifyHubspotError(err: unknown, ctx: { searchAfter?: number } = {}): ClassifiedError {
  const e = err as {
    code?: unknown;
    body?: unknown;
    headers?: unknown;
    message?: unknown;
    cause?: unknown;
    name?: unknown;
  } | null;
  const status = typeof e?.code === 'number' ? e.code : null;
  if (status !== null) {
    const msg = vendorMessage(e?.body) ?? `HTTP ${status}`;
    if (status === 401 || status === 403)
      return { errorClass: 'auth', status, message: `HubSpot refused the credentials (${status}): ${msg}` };
    if (status === 429)
      return {
        errorClass: 'transient',
        status,
        message: `HubSpot rate limit (429): ${msg}`,
        retryAfterMs: parseRetryAfter(header(e?.headers, 'retry-after')),
      };
    if (status >= 500)
      return {
        errorClass: 'transient',
        status,
        message: `HubSpot server error (${status}): ${msg}`,
        retryAfterMs: parseRetryAfter(header(e?.headers, 'retry-after')),
      };
    if (status === 400 && ctx.searchAfter !== undefined && ctx.searchAfter >= SEARCH_RESULT_CAP) {
      return { errorClass: 'search_cap', status, message: `HubSpot search cap reached: ${msg}` };
    }
    return { errorClass: 'permanent', status, message: `HubSpot rejected the request (${status}): ${msg}` };
  }
  if (e?.name === 'HubspotTimeout') return { errorClass: 'transient', status: null, message: String(e.message) };
  // fetch() failures (connection refused, reset, DNS) surface as TypeError with a cause
  const cause = (e?.cause as { code?: string } | undefined)?.code;
  return {
    errorClass: 'transient',
    status: null,
    message: `HubSpot unreachable: ${cause ?? (typeof e?.message === 'string' ? e.message.slice(0, 200) : 'unknown error')}`,
  };
}

export function toSyncError(c: ClassifiedError): SyncError {
  if (c.errorClass === 'auth') return new SyncError('auth', c.message);
  if (c.errorClass === 'transient') return new SyncError('transient', c.message, c.retryAfterMs);
  return new SyncError('permanent', c.message);
}
