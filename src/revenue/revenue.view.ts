import type { z } from 'zod';
import type { RevenueSource } from '../records/record.types.js';
import { netCents, type DayFigures, type Figures, type WeekFigures } from './revenue.buckets.js';
import type { Breakdown, Collected, Daily, Summary, Weekly } from './revenue.schemas.js';

/**
 * JSON of the revenue endpoints (CONTRACT "Revenue"), typed by their schemas. Money leaves as
 * decimal strings of integer cents, counts as numbers.
 */
export type FiguresJson = Pick<
  DailyJson['breakdown'][number],
  'amountCents' | 'grossCents' | 'refundsCents' | 'count' | 'refundCount'
>;
export type SummaryJson = z.input<typeof Summary>;
export type DailyJson = z.input<typeof Daily>;
export type WeeklyJson = z.input<typeof Weekly>;
export type CollectedJson = z.input<typeof Collected>;
export type BreakdownJson = z.input<typeof Breakdown>;

/** One consistent, already verified set of figures for a RevenueQuery. */
export interface RevenueReport {
  totals: Figures;
  days: DayFigures[];
  weeks: WeekFigures[];
  currency: string;
  startDate: string | null;
  endDate: string | null;
  source: RevenueSource | null;
  tz: string;
  currencies: string[];
}

export function bucketJson(f: Figures): FiguresJson {
  return {
    amountCents: netCents(f).toString(),
    grossCents: f.grossCents.toString(),
    refundsCents: f.refundsCents.toString(),
    count: f.count,
    refundCount: f.refundCount,
  };
}

export function summaryJson(r: RevenueReport): SummaryJson {
  return {
    totalRevenueCents: netCents(r.totals).toString(),
    grossCents: r.totals.grossCents.toString(),
    refundsCents: r.totals.refundsCents.toString(),
    currency: r.currency,
    count: r.totals.count,
    refundCount: r.totals.refundCount,
    startDate: r.startDate,
    endDate: r.endDate,
    source: r.source,
    tz: r.tz,
    currencies: r.currencies,
  };
}

export function dailyJson(r: RevenueReport): DailyJson {
  return { ...summaryJson(r), breakdown: r.days.map((d) => ({ date: d.date, ...bucketJson(d) })) };
}

export function weeklyJson(r: RevenueReport): WeeklyJson {
  return { ...summaryJson(r), breakdown: r.weeks.map((w) => ({ weekStartDate: w.weekStartDate, ...bucketJson(w) })) };
}
