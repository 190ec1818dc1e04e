import type { StripeList } from './stripe-objects.js';

/** A Stripe-shaped API error the simulator answers with: `{ error: { type, message, code?, param? } }`. */
export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: 'invalid_request_error' | 'api_error' | 'idempotency_error',
    message: string,
    readonly code?: string,
    readonly param?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): { error: Record<string, string> } {
    const error: Record<string, string> = { type: this.type, message: this.message };
    if (this.code) {
      error.code = this.code;
      error.doc_url = `https://stripe.com/docs/error-codes/${this.code.replace(/_/g, '-')}`;
    }
    if (this.param) error.param = this.param;
    return { error };
  }
}

export type Query = Map<string, string[]>;

/** Parses a query string keeping repeated keys (`types[]=a&types[]=b`, `types[0]=a`). */
export function parseQuery(search: URLSearchParams): Query {
  const q: Query = new Map();
  for (const [k, v] of search) {
    const key = k.replace(/\[\d*\]$/, '');
    const vals = q.get(key) ?? [];
    vals.push(v);
    q.set(key, vals);
  }
  return q;
}

function one(q: Query, key: string): string | undefined {
  const v = q.get(key);
  return v === undefined ? undefined : v[v.length - 1];
}

function integer(q: Query, key: string): number | undefined {
  const v = one(q, key);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v))
    throw new StripeApiError(400, 'invalid_request_error', `Invalid integer: ${v}`, 'parameter_invalid_integer', key);
  return Number(v);
}

export interface Listable {
  id: string;
  created: number;
}

export interface ListRequest<T extends Listable> {
  /** Objects newest first (Stripe order). */
  items: T[];
  /** Position of any object of this resource in that order, also ones the filters exclude. */
  positionOf(id: string): number | undefined;
  url: string;
  query: Query;
  /** Extra filter params this resource accepts, applied by `filter`. */
  extraParams: readonly string[];
  filter?: (item: T, q: Query) => boolean;
  objectName: string;
}

const COMMON = ['limit', 'starting_after', 'ending_before', 'created', 'expand'];

/**
 * Stripe list semantics: newest first; `limit` 1..100 (default 10); `created` exact or
 * `created[gt|gte|lt|lte]`; `starting_after` / `ending_before` are object ids used as positions
 * (so an anchor outside the filter still works); `has_more` tells whether another page exists.
 */
export function listPage<T extends Listable>(r: ListRequest<T>): StripeList<T> {
  for (const key of r.query.keys()) {
    const base = key.replace(/\[[a-z]+\]$/, '');
    if (!COMMON.includes(base) && !r.extraParams.includes(base)) {
      throw new StripeApiError(
        400,
        'invalid_request_error',
        `Received unknown parameter: ${key}`,
        'parameter_unknown',
        key,
      );
    }
  }
  const limit = integer(r.query, 'limit') ?? 10;
  if (limit < 1 || limit > 100) {
    throw new StripeApiError(
      400,
      'invalid_request_error',
      'This value must be greater than or equal to 1 and less than or equal to 100.',
      'parameter_invalid_integer',
      'limit',
    );
  }
  const startingAfter = one(r.query, 'starting_after');
  const endingBefore = one(r.query, 'ending_before');
  if (startingAfter && endingBefore) {
    throw new StripeApiError(
      400,
      'invalid_request_error',
      'You may only specify one of these parameters: ending_before, starting_after.',
      'parameter_invalid_empty',
    );
  }
  const exact = integer(r.query, 'created');
  const gt = integer(r.query, 'created[gt]');
  const gte = integer(r.query, 'created[gte]');
  const lt = integer(r.query, 'created[lt]');
  const lte = integer(r.query, 'created[lte]');
  const inRange = (c: number) =>
    (exact === undefined || c === exact) &&
    (gt === undefined || c > gt) &&
    (gte === undefined || c >= gte) &&
    (lt === undefined || c < lt) &&
    (lte === undefined || c <= lte);

  const anchorId = startingAfter ?? endingBefore;
  let anchor: number | undefined;
  if (anchorId !== undefined) {
    anchor = r.positionOf(anchorId);
    if (anchor === undefined) {
      throw new StripeApiError(
        400,
        'invalid_request_error',
        `No such ${r.objectName}: '${anchorId}'`,
        'resource_missing',
        startingAfter ? 'starting_after' : 'ending_before',
      );
    }
  }
  const matches: Array<{ item: T; pos: number }> = [];
  r.items.forEach((item, pos) => {
    if (inRange(item.created) && (!r.filter || r.filter(item, r.query))) matches.push({ item, pos });
  });

  if (endingBefore !== undefined) {
    const before = matches.filter((m) => m.pos < anchor!);
    const page = before.slice(Math.max(0, before.length - limit));
    return { object: 'list', data: page.map((m) => m.item), has_more: before.length > limit, url: r.url };
  }
  const after = startingAfter !== undefined ? matches.filter((m) => m.pos > anchor!) : matches;
  return { object: 'list', data: after.slice(0, limit).map((m) => m.item), has_more: after.length > limit, url: r.url };
}

export function queryValue(q: Query, key: string): string | undefined {
  return one(q, key);
}
