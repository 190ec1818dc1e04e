import type { RevenueSource } from '../records/record.types.js';
import { netCents, type DayFigures, type Figures, type WeekFigures } from './revenue.buckets.js';

/**
 * JSON shapes of the revenue endpoints (CONTRACT "Revenue"). Money leaves as decimal strings of
 * integer cents, counts as numbers.
 */
export interface FiguresJson {
  amountCents: string;
  grossCents: string;
  refundsCents: string;
  count: number;
  refundCount: number;
}

export interface SummaryJson {
  totalRevenueCents: string;
  grossCents: string;
  refundsCents: string;
  currency: string;
  count: number;
  refundCount: number;
  startDate: string | null;
  endDate: string | null;
  source: RevenueSource | null;
  tz: string;
  currencies: string[];
}

export type DailyJson = SummaryJson & { breakdown: Array<{ date: string } & FiguresJson> };
export type WeeklyJson = SummaryJson & { breakdown: Array<{ weekStartDate: string } & FiguresJson> };

export interface CollectedJson {
  totalCollectedCents: string;
  txnCount: number;
  from: string;
  to: string;
  source: RevenueSource | null;
  currency: string;
}

export interface BreakdownJson {
  granularity: string;
  from: string;
  to: string;
  source: RevenueSource | null;
  currency: string;
  tz: string;
  buckets: Array<{ bucketStart: string; collectedCents: string; txnCount: number }>;
  totalCollectedCents: string;
  totalTxnCount: number;
}

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
