/**
 * Cursor of a Stripe list sync, and the pure rules for moving it.
 *
 * Stripe lists newest first, so a run cannot advance a "created ≥ X" watermark page by page: after
 * page 1 we hold the newest objects, not the oldest. Instead a run fixes a window
 * [watermark − overlap, now] up front (the plan), pages through it with `starting_after`, and
 * stores the position after every page (in the page's transaction). The watermark moves to the
 * window's end only with the last page. A crash between pages resumes at the stored position;
 * objects created during the run are above the window's end and belong to the next run. The next
 * window starts STRIPE_OVERLAP_S before the watermark, which covers writes Stripe makes visible late
 * within the same second and small clock skew between Stripe and us; re-read objects are
 * duplicates by their state-bearing dedupe keys.
 */
export type StripeListName = 'charges' | 'refunds' | 'disputes' | 'events';

export interface Pass {
  list: StripeListName;
  /** created ≥ gte (null: from the beginning). */
  gte: number | null;
  /** created ≤ lte: the window's fixed end. */
  lte: number;
  /** Id of the last object committed in this pass (null: start at the newest). */
  startingAfter: string | null;
}

export interface Plan {
  /** Where the watermark moves once every pass is done. */
  target: number;
  passes: Pass[];
  /** Set for the full resync after a stale Events cursor (objects first, then events). */
  resync?: boolean;
}

export interface StripeCursor {
  v: 1;
  /** Unix seconds: everything created before it (minus the overlap) is stored. Null until a first pass completes. */
  watermark: number | null;
  /** A window in progress, resumed by the next run after a crash. */
  plan: Plan | null;
}

const LISTS: readonly StripeListName[] = ['charges', 'refunds', 'disputes', 'events'];
const isSeconds = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** null: no cursor; 'invalid': something we did not write (treated as stale). */
export function parseCursor(raw: unknown): StripeCursor | null | 'invalid' {
  if (raw === null || raw === undefined) return null;
  const c = raw as Partial<StripeCursor>;
  if (typeof raw !== 'object' || c.v !== 1) return 'invalid';
  if (c.watermark !== null && !isSeconds(c.watermark)) return 'invalid';
  if (c.plan === null || c.plan === undefined) return { v: 1, watermark: c.watermark ?? null, plan: null };
  const p = c.plan;
  if (!isSeconds(p.target) || !Array.isArray(p.passes) || p.passes.length === 0) return 'invalid';
  for (const s of p.passes) {
    if (!s || !LISTS.includes(s.list) || !(s.gte === null || isSeconds(s.gte)) || !isSeconds(s.lte)) return 'invalid';
    if (!(
      s.startingAfter === null ||
      (typeof s.startingAfter === 'string' && /^[A-Za-z0-9_]{1,255}$/.test(s.startingAfter))
    ))
      return 'invalid';
  }
  return {
    v: 1,
    watermark: c.watermark ?? null,
    plan: { target: p.target, passes: p.passes.map((s) => ({ ...s })), ...(p.resync ? { resync: true } : {}) },
  };
}

export function fullPlan(list: StripeListName, nowS: number): Plan {
  return { target: nowS, passes: [{ list, gte: null, lte: nowS, startingAfter: null }] };
}

export function incrementalPlan(list: StripeListName, watermark: number, overlapS: number, nowS: number): Plan {
  return { target: nowS, passes: [{ list, gte: Math.max(0, watermark - overlapS), lte: nowS, startingAfter: null }] };
}

/**
 * Full Events sync: disputes first (they appear on no other list we poll, and a lost dispute older
 * than the 30-day event horizon would otherwise never be seen), then every retained event.
 */
export function eventsFullPlan(nowS: number): Plan {
  return {
    target: nowS,
    passes: [
      { list: 'disputes', gte: null, lte: nowS, startingAfter: null },
      { list: 'events', gte: null, lte: nowS, startingAfter: null },
    ],
  };
}

/** Everything the Events feed would have told us: current objects, then the retained events. */
export function resyncPlan(nowS: number): Plan {
  const all = (list: StripeListName): Pass => ({ list, gte: null, lte: nowS, startingAfter: null });
  return { target: nowS, passes: [all('charges'), all('refunds'), all('disputes'), all('events')], resync: true };
}

/** The cursor to store with a committed page. */
export function afterPage(cursor: StripeCursor, page: { lastId: string | null; hasMore: boolean }): StripeCursor {
  const plan = cursor.plan;
  if (!plan) throw new Error('afterPage without a plan');
  const [current, ...rest] = plan.passes;
  if (page.hasMore && page.lastId) {
    return { ...cursor, plan: { ...plan, passes: [{ ...current, startingAfter: page.lastId }, ...rest] } };
  }
  if (rest.length > 0) return { ...cursor, plan: { ...plan, passes: rest } };
  return { v: 1, watermark: plan.target, plan: null };
}

/** Stripe keeps events 30 days; a margin covers clock skew and the length of a run. */
export const EVENT_RETENTION_S = 30 * 86_400;
const RETENTION_MARGIN_S = 3_600;

/**
 * An Events cursor is stale when the oldest event it still needs may already be gone: then the
 * feed can no longer tell us what changed, and only a full resync can.
 */
export function eventsCursorIsStale(c: StripeCursor, overlapS: number, nowS: number): boolean {
  const horizon = nowS - EVENT_RETENTION_S + RETENTION_MARGIN_S;
  const eventsPass = c.plan?.passes.find((p) => p.list === 'events');
  if (c.plan) {
    // A resync in progress re-reads objects first; its events pass starts at the horizon anyway.
    if (c.plan.resync || !eventsPass) return false;
    return eventsPass.gte !== null && eventsPass.gte < horizon;
  }
  return c.watermark !== null && c.watermark - overlapS < horizon;
}
