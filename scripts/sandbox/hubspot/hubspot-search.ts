import { createHash } from 'node:crypto';
import type { SimObject } from './hubspot-dataset.js';

/**
 * The CRM search semantics the simulator reproduces: filterGroups are OR-ed, filters inside a
 * group AND-ed (≤ 5 groups, ≤ 6 filters each); ONE sort at most; ties in the sort come back in an
 * order that is stable but NOT the id order (as on HubSpot, where it is unspecified), so a client
 * that assumes id order within a millisecond loses records here too; `after` is an offset and
 * paging past 10,000 results is a 400.
 */
export class SearchError extends Error {
  constructor(
    readonly status: number,
    readonly category: string,
    message: string,
  ) {
    super(message);
  }
}

export interface SearchBody {
  filterGroups?: {
    filters?: { propertyName?: string; operator?: string; value?: unknown; values?: unknown[]; highValue?: unknown }[];
  }[];
  sorts?: unknown[];
  properties?: string[];
  limit?: number;
  after?: string | number;
  query?: string;
}

export const SEARCH_MAX_LIMIT = 200;

const NUMERIC = new Set([
  'hs_lastmodifieddate',
  'lastmodifieddate',
  'createdate',
  'closedate',
  'amount',
  'hs_object_id',
]);
const DATETIME = new Set(['hs_lastmodifieddate', 'lastmodifieddate', 'createdate', 'closedate']);

function numeric(prop: string, v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const s = String(v);
  if (DATETIME.has(prop) && !/^-?\d+$/.test(s)) {
    const t = Date.parse(s);
    return Number.isNaN(t) ? null : t;
  }
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

function value(obj: SimObject, prop: string): string | null {
  if (prop === 'hs_object_id') return obj.id;
  return obj.properties[prop] ?? null;
}

function compareValues(prop: string, a: string | null, b: unknown): number | null {
  if (NUMERIC.has(prop)) {
    const x = numeric(prop, a);
    const y = numeric(prop, b);
    if (x === null || y === null) return null;
    return x - y;
  }
  if (a === null) return null;
  const y = String(b);
  return a < y ? -1 : a > y ? 1 : 0;
}

function matches(
  obj: SimObject,
  f: NonNullable<NonNullable<SearchBody['filterGroups']>[number]['filters']>[number],
): boolean {
  const prop = f.propertyName;
  if (typeof prop !== 'string' || !prop)
    throw new SearchError(400, 'VALIDATION_ERROR', 'filter propertyName is required');
  const v = value(obj, prop);
  switch (f.operator) {
    case 'HAS_PROPERTY':
      return v !== null && v !== '';
    case 'NOT_HAS_PROPERTY':
      return v === null || v === '';
    case 'IN':
    case 'NOT_IN': {
      const hit = (f.values ?? []).some((x) => compareValues(prop, v, x) === 0);
      return f.operator === 'IN' ? hit : !hit;
    }
    case 'BETWEEN': {
      const lo = compareValues(prop, v, f.value);
      const hi = compareValues(prop, v, f.highValue);
      return lo !== null && hi !== null && lo >= 0 && hi <= 0;
    }
    case 'EQ':
    case 'NEQ':
    case 'LT':
    case 'LTE':
    case 'GT':
    case 'GTE': {
      const c = compareValues(prop, v, f.value);
      if (f.operator === 'NEQ') return c !== 0;
      if (c === null) return false;
      return { EQ: c === 0, LT: c < 0, LTE: c <= 0, GT: c > 0, GTE: c >= 0 }[f.operator];
    }
    default:
      throw new SearchError(400, 'VALIDATION_ERROR', `Unsupported filter operator ${String(f.operator)}`);
  }
}

function parseSort(s: unknown): { prop: string; desc: boolean } {
  if (typeof s === 'string' && s)
    return s.startsWith('-') ? { prop: s.slice(1), desc: true } : { prop: s, desc: false };
  const o = s as { propertyName?: unknown; direction?: unknown } | null;
  if (o && typeof o.propertyName === 'string') return { prop: o.propertyName, desc: o.direction === 'DESCENDING' };
  throw new SearchError(400, 'VALIDATION_ERROR', 'Invalid sort');
}

/** Stable pseudo-random tie order, deliberately unrelated to the id order. */
const tieKey = (id: string) => createHash('md5').update(id).digest('hex');

export function runSearch(
  objects: Iterable<SimObject>,
  body: SearchBody,
  cap: number,
): { total: number; results: SimObject[]; nextAfter: string | null } {
  const limit = body.limit ?? 10;
  if (!Number.isInteger(limit) || limit < 1 || limit > SEARCH_MAX_LIMIT)
    throw new SearchError(400, 'VALIDATION_ERROR', `limit must be between 1 and ${SEARCH_MAX_LIMIT}`);
  const after = body.after === undefined || body.after === null || body.after === '' ? 0 : Number(body.after);
  if (!Number.isInteger(after) || after < 0)
    throw new SearchError(400, 'VALIDATION_ERROR', 'after must be a non-negative integer');
  if (after >= cap) {
    throw new SearchError(
      400,
      'VALIDATION_ERROR',
      `Search results are limited to ${cap} per query; narrow the filters instead of paging past it.`,
    );
  }
  const groups = body.filterGroups ?? [];
  if (groups.length > 5) throw new SearchError(400, 'VALIDATION_ERROR', 'At most 5 filterGroups are allowed');
  if (groups.some((g) => (g.filters ?? []).length > 6))
    throw new SearchError(400, 'VALIDATION_ERROR', 'At most 6 filters per group are allowed');
  const sorts = body.sorts ?? [];
  if (sorts.length > 1) throw new SearchError(400, 'VALIDATION_ERROR', 'Only one sort is allowed per search');

  const hits: SimObject[] = [];
  for (const o of objects) {
    if (o.archived) continue;
    if (groups.length === 0 || groups.some((g) => (g.filters ?? []).every((f) => matches(o, f)))) hits.push(o);
  }
  const sort = sorts.length ? parseSort(sorts[0]) : { prop: 'hs_object_id', desc: false };
  // Sort keys computed once per hit (parsing datetimes inside the comparator is quadratic-ish).
  const isNum = NUMERIC.has(sort.prop);
  const keyed = hits.map((o) => {
    const raw = value(o, sort.prop);
    return { o, n: isNum ? numeric(sort.prop, raw) : null, s: raw, t: tieKey(o.id) };
  });
  keyed.sort((a, b) => {
    let c: number;
    if (isNum) c = a.n === null ? (b.n === null ? 0 : 1) : b.n === null ? -1 : a.n - b.n;
    else c = a.s === null ? (b.s === null ? 0 : 1) : b.s === null ? -1 : a.s < b.s ? -1 : a.s > b.s ? 1 : 0;
    if (c !== 0) return sort.desc ? -c : c;
    return a.t < b.t ? -1 : a.t > b.t ? 1 : 0;
  });
  const page = keyed.slice(after, after + limit).map((k) => k.o);
  const more = keyed.length > after + limit;
  return { total: keyed.length, results: page, nextAfter: more ? String(after + limit) : null };
}
