import type { SearchRequest } from './hubspot.api.js';
import type { EntitySpec, HubspotObject } from './hubspot.types.js';
import { parseHubspotTime } from './hubspot.mappers.js';

/**
 * Incremental position in one entity's change stream, ordered by (last-modified ms, object id):
 * every object whose (modified, id) ≤ (lastModified, lastId) has been committed to the outbox.
 * lastId "0" means "nothing at lastModified yet", i.e. everything strictly before it is done.
 * This is never a list-endpoint `after` token: those are positions in an id-ordered listing and
 * say nothing about what changed.
 */
export interface HubspotCursor {
  v: 1;
  lastModified: string;
  lastId: string;
}

export interface Position {
  ms: number;
  id: bigint;
}

export function parseCursor(raw: unknown): Position | null {
  if (!raw || typeof raw !== 'object') return null;
  const c = raw as Partial<HubspotCursor>;
  if (c.v !== 1 || typeof c.lastModified !== 'string' || typeof c.lastId !== 'string' || !/^\d{1,20}$/.test(c.lastId))
    return null;
  const d = parseHubspotTime(c.lastModified);
  return d ? { ms: d.getTime(), id: BigInt(c.lastId) } : null;
}

export function toCursor(p: Position): HubspotCursor {
  return { v: 1, lastModified: new Date(p.ms).toISOString(), lastId: p.id.toString() };
}

export function comparePositions(a: Position, b: Position): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export const maxPosition = (a: Position, b: Position): Position => (comparePositions(a, b) >= 0 ? a : b);

/** (modified ms, id) of a search result; null when the vendor sent no usable time (kept, but cannot move the cursor). */
export function positionOf(obj: HubspotObject, spec: EntitySpec): Position | null {
  const d = parseHubspotTime(obj.properties[spec.modifiedProperty]) ?? parseHubspotTime(obj.updatedAt);
  if (!d || !/^\d{1,20}$/.test(obj.id)) return null;
  return { ms: d.getTime(), id: BigInt(obj.id) };
}

/**
 * Everything after `from` in modification order: (modified = T AND id > I) OR (modified > T),
 * sorted by modified ascending. HubSpot allows ONE sort per search, so ties at the same
 * millisecond come back in an unspecified order; `plan()` below deals with that.
 */
export function forwardQuery(spec: EntitySpec, from: Position, limit: number): SearchRequest {
  const t = String(from.ms);
  return {
    filterGroups: [
      {
        filters: [
          { propertyName: spec.modifiedProperty, operator: 'EQ', value: t },
          { propertyName: 'hs_object_id', operator: 'GT', value: from.id.toString() },
        ],
      },
      { filters: [{ propertyName: spec.modifiedProperty, operator: 'GT', value: t }] },
    ],
    sorts: [{ propertyName: spec.modifiedProperty, direction: 'ASCENDING' }],
    properties: spec.properties,
    limit,
  };
}

/** The objects modified exactly at `from.ms` with an id above `from.id`, in id order (deterministic). */
export function tieQuery(spec: EntitySpec, from: Position, limit: number): SearchRequest {
  return {
    filterGroups: [
      {
        filters: [
          { propertyName: spec.modifiedProperty, operator: 'EQ', value: String(from.ms) },
          { propertyName: 'hs_object_id', operator: 'GT', value: from.id.toString() },
        ],
      },
    ],
    sorts: [{ propertyName: 'hs_object_id', direction: 'ASCENDING' }],
    properties: spec.properties,
    limit,
  };
}

export interface PageDecision {
  /** Objects to commit with this page. */
  emit: HubspotObject[];
  /** Position after committing `emit`. */
  next: Position;
  /** Next query: keep walking forward, page through a millisecond by id, or stop. */
  then: 'forward' | 'ties' | 'done';
}

/**
 * Keyset paging over the change stream: every page is a fresh query from the last committed
 * position, never an `after` offset. That keeps each query far below the 10,000-result cap (the
 * "restart from the last seen (time, id)" happens on every page), and an object modified while we
 * page cannot shift offsets and make us skip a neighbour — it simply reappears later in the stream.
 *
 * Forward page of `limit` objects sorted by modified:
 *  - short page: it holds everything after `from`; emit all, stop at the last (modified, max id).
 *  - full page ending at T' > from.ms: objects before T' are complete, those AT T' may be cut
 *    arbitrarily (one sort only), so emit the ones before T' and go on forward from (T', 0): the
 *    next page starts with all of T' (they sort first), so no extra query is needed.
 *  - full page entirely at one millisecond: more objects share it than a page holds; page through
 *    it by id (the only deterministic order HubSpot gives us within a millisecond).
 * Tie page sorted by id: emit all; full → more ties at this ms; short → back to forward.
 */
export function decide(
  kind: 'forward' | 'ties',
  from: Position,
  page: HubspotObject[],
  limit: number,
  spec: EntitySpec,
): PageDecision {
  const withPos = page
    .map((o) => ({ o, p: positionOf(o, spec) }))
    .filter((x): x is { o: HubspotObject; p: Position } => x.p !== null);
  if (kind === 'ties') {
    let next = from;
    for (const x of withPos) if (x.p.ms === from.ms) next = maxPosition(next, x.p);
    return { emit: page, next, then: page.length >= limit ? 'ties' : 'forward' };
  }
  if (page.length < limit) {
    let next = from;
    for (const x of withPos) next = maxPosition(next, x.p);
    return { emit: page, next, then: 'done' };
  }
  const lastMs = withPos.reduce((m, x) => Math.max(m, x.p.ms), from.ms);
  const emit = page.filter((o) => {
    const p = positionOf(o, spec);
    return p === null || p.ms < lastMs;
  });
  if (withPos.every((x) => x.p.ms === lastMs)) {
    // One millisecond fills the page: page through it by id (from from.id if it is the cursor's own ms).
    return { emit, next: lastMs === from.ms ? from : { ms: lastMs, id: 0n }, then: 'ties' };
  }
  return { emit, next: { ms: lastMs, id: 0n }, then: 'forward' };
}
