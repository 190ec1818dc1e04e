/**
 * Calendar arithmetic on plain `YYYY-MM-DD` dates. Time zones never enter here: Postgres maps
 * instants to zone-local dates, and from then on a day is just a day, so the dense bucket
 * builder cannot disagree with the SQL about where a day starts.
 *
 * A day number counts days since 1970-01-01 (a Thursday), which makes "which Monday" integer math.
 */
const DAY_MS = 86_400_000;

export function dayNumber(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new Error(`not a YYYY-MM-DD date: ${date}`);
  const d = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not remap years 0–99 to 1900–1999.
  d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Math.round(d.getTime() / DAY_MS);
}

export function dateOf(day: number): string {
  const d = new Date(day * DAY_MS);
  const y = String(d.getUTCFullYear()).padStart(4, '0');
  const mo = String(d.getUTCMonth() + 1).padStart(2, '0');
  const da = String(d.getUTCDate()).padStart(2, '0');
  return `${y}-${mo}-${da}`;
}

export function addDays(date: string, n: number): string {
  return dateOf(dayNumber(date) + n);
}

/** Both ends included: 2026-01-01..2026-01-01 is one day. */
export function daysInclusive(startDate: string, endDate: string): number {
  return dayNumber(endDate) - dayNumber(startDate) + 1;
}

/** The Monday on or before `date` (ISO weeks start on Monday). */
export function mondayOf(date: string): string {
  const n = dayNumber(date);
  // Day 0 is a Thursday, i.e. three days after a Monday.
  const sinceMonday = (((n + 3) % 7) + 7) % 7;
  return dateOf(n - sinceMonday);
}
