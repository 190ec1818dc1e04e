import type { LedgerFigures } from '../records/ledger-figures.repository.js';
import { dateOf, dayNumber, mondayOf } from './revenue.calendar.js';

/**
 * Pure bucket building and the consistency checks behind "figures agree". Money stays BigInt
 * cents from the SQL row to the JSON string; nothing here ever touches a float.
 */
export type Figures = LedgerFigures;

export interface DayFigures extends Figures {
  date: string;
}

export interface WeekFigures extends Figures {
  /** The Monday of the week, even when the requested range starts later in that week. */
  weekStartDate: string;
}

export const ZERO: Readonly<Figures> = Object.freeze({ grossCents: 0n, refundsCents: 0n, count: 0, refundCount: 0 });

/** Raised when two computations of the same figure disagree; the service turns it into a 500. */
export class MetricDrift extends Error {
  constructor(
    readonly check: string,
    readonly details: Record<string, unknown>,
  ) {
    super(`revenue figures disagree: ${check}`);
  }
}

export function addFigures(a: Figures, b: Figures): Figures {
  return {
    grossCents: a.grossCents + b.grossCents,
    refundsCents: a.refundsCents + b.refundsCents,
    count: a.count + b.count,
    refundCount: a.refundCount + b.refundCount,
  };
}

export function sumFigures(items: readonly Figures[]): Figures {
  return items.reduce<Figures>((acc, f) => addFigures(acc, f), { ...ZERO });
}

export function netCents(f: Figures): bigint {
  return f.grossCents - f.refundsCents;
}

export function sameFigures(a: Figures, b: Figures): boolean {
  return (
    a.grossCents === b.grossCents &&
    a.refundsCents === b.refundsCents &&
    a.count === b.count &&
    a.refundCount === b.refundCount
  );
}

/** Throws MetricDrift unless `actual` equals `expected` in every field. */
export function assertAgree(check: string, expected: Figures, actual: Figures): void {
  if (!sameFigures(expected, actual)) throw new MetricDrift(check, { expected, actual });
}

function pick(f: Figures): Figures {
  return { grossCents: f.grossCents, refundsCents: f.refundsCents, count: f.count, refundCount: f.refundCount };
}

/**
 * Every day from startDate to endDate (inclusive), ascending, zero-filled where `rows` has no
 * entry. A row outside the range or a day reported twice means the SQL and the range disagree
 * about which rows belong here: that is drift, not something to drop or merge silently.
 */
export function denseDays(startDate: string, endDate: string, rows: readonly DayFigures[]): DayFigures[] {
  const first = dayNumber(startDate);
  const last = dayNumber(endDate);
  const byDay = new Map<number, DayFigures>();
  for (const r of rows) {
    const n = dayNumber(r.date);
    if (n < first || n > last)
      throw new MetricDrift('day row outside the requested range', { date: r.date, startDate, endDate });
    if (byDay.has(n)) throw new MetricDrift('day reported twice', { date: r.date });
    byDay.set(n, r);
  }
  const out: DayFigures[] = [];
  for (let n = first; n <= last; n++) {
    const r = byDay.get(n);
    out.push({ date: dateOf(n), ...pick(r ?? ZERO) });
  }
  return out;
}

/**
 * Rolls consecutive days into Monday-start weeks. Days arrive already cut in the caller's zone,
 * so a week is exactly its (clipped) days: the first and last week only hold the days that are
 * inside the range, and their weekStartDate is still the Monday.
 */
export function rollupWeeks(days: readonly DayFigures[]): WeekFigures[] {
  const weeks: WeekFigures[] = [];
  let prev: number | null = null;
  for (const d of days) {
    const n = dayNumber(d.date);
    if (prev !== null && n !== prev + 1)
      throw new MetricDrift('days are not dense and ascending', { after: dateOf(prev), got: d.date });
    prev = n;
    const monday = mondayOf(d.date);
    const cur = weeks[weeks.length - 1];
    if (cur && cur.weekStartDate === monday) Object.assign(cur, addFigures(cur, d));
    else weeks.push({ weekStartDate: monday, ...pick(d) });
  }
  return weeks;
}

/**
 * Places sparse rows onto a dense, ordered list of bucket keys (the v1 breakdown, whose keys come
 * from Postgres). Unknown or repeated keys are drift for the same reason as in denseDays.
 */
export function denseByKey<K extends string>(
  keys: readonly K[],
  rows: ReadonlyArray<Figures & { key: string }>,
): Array<Figures & { key: K }> {
  const index = new Map<string, number>();
  keys.forEach((k, i) => {
    if (index.has(k)) throw new MetricDrift('bucket key listed twice', { key: k });
    index.set(k, i);
  });
  const found = new Map<string, Figures>();
  for (const r of rows) {
    if (!index.has(r.key)) throw new MetricDrift('bucket row outside the requested range', { key: r.key });
    if (found.has(r.key)) throw new MetricDrift('bucket reported twice', { key: r.key });
    found.set(r.key, pick(r));
  }
  return keys.map((key) => ({ key, ...pick(found.get(key) ?? ZERO) }));
}
