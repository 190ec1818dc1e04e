import { Injectable } from '@nestjs/common';
import type { Sql } from '../database/database.js';
import type { RevenueSource } from '../records/record.types.js';
import type { DayFigures, Figures } from './revenue-buckets.js';

/**
 * Revenue aggregates, in SQL only: no query here returns ledger rows, only sums and counts.
 *
 * What counts is decided once, by the vendor mappers, in `payments.effect`; these queries just
 * sum by it for rows that are not deleted. Every query matches the partial index
 * `payments_revenue (currency, occurred_at) WHERE effect <> 'none' AND deleted_at IS NULL`.
 */
export interface LedgerFilter {
  currency: string;
  /** null = every revenue source, summed. */
  source: RevenueSource | null;
}

/** Whole zone-local days, both ends included. */
export interface DayWindow extends LedgerFilter {
  tz: string;
  startDate: string;
  endDate: string;
}

/** Half-open instant window `[from, to)` (the v1 endpoints). */
export interface InstantWindow extends LedgerFilter {
  from: Date;
  to: Date;
}

export type Granularity = 'day' | 'week' | 'month';

export interface BucketKey {
  /** Zone-local start date of the bucket (date_trunc in the zone). */
  key: string;
  /** That local midnight as a UTC ISO instant. */
  startAt: string;
}

export interface UnmappedStatus {
  source: string;
  rawStatus: string;
  count: number;
  sample: string;
}

interface FigureRow {
  gross: string;
  refunds: string;
  count: number;
  refund_count: number;
}

const FIGURES = `
  COALESCE(sum(amount_cents) FILTER (WHERE effect = 'gross'), 0)::text AS gross,
  COALESCE(sum(amount_cents) FILTER (WHERE effect = 'refund'), 0)::text AS refunds,
  (count(*) FILTER (WHERE effect = 'gross'))::int AS count,
  (count(*) FILTER (WHERE effect = 'refund'))::int AS refund_count`;

const toFigures = (r: FigureRow): Figures => ({
  grossCents: BigInt(r.gross),
  refundsCents: BigInt(r.refunds),
  count: Number(r.count),
  refundCount: Number(r.refund_count),
});

/** Builds `$n` placeholders as values are bound, so conditions can be optional. */
class Params {
  readonly values: unknown[] = [];
  bind(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

/** Counted rows: the one definition of "in revenue" (effect), optionally one source. */
function counted(p: Params, f: { source: RevenueSource | null }, currency: string | null): string {
  const parts = [`effect <> 'none'`, 'deleted_at IS NULL'];
  if (currency !== null) parts.push(`currency = ${p.bind(currency)}`);
  if (f.source !== null) parts.push(`source = ${p.bind(f.source)}`);
  return parts.join(' AND ');
}

/**
 * Rows whose zone-local date lies in [startDate, endDate] (either end may be open).
 *
 * The local date `(occurred_at AT TIME ZONE tz)::date` is the only definition of "which day".
 * The instant bounds (zone-local midnights, widened by two days) exist only so the index range
 * scan stays narrow: plain midnights are not exact where midnight is ambiguous, e.g.
 * America/Havana 2026-11-01 has 00:00 at 04:00Z and again at 05:00Z and Postgres resolves
 * `'2026-11-01'::timestamp AT TIME ZONE 'America/Havana'` to 05:00Z, so a charge at 04:30Z
 * (local 00:30 on Nov 1) would fall outside a Nov 1 range by instants but inside it by date.
 * Two days of slack cover every real offset change (the largest, Pacific/Apia 2011, was 24 h).
 */
function localDays(p: Params, tz: string, startDate: string | null, endDate: string | null): string {
  const parts: string[] = [];
  const zone = startDate !== null || endDate !== null ? p.bind(tz) : '';
  if (startDate !== null) {
    const s = p.bind(startDate);
    parts.push(`occurred_at >= ((${s}::date - 2)::timestamp AT TIME ZONE ${zone})`, `(occurred_at AT TIME ZONE ${zone})::date >= ${s}::date`);
  }
  if (endDate !== null) {
    const e = p.bind(endDate);
    parts.push(`occurred_at < ((${e}::date + 3)::timestamp AT TIME ZONE ${zone})`, `(occurred_at AT TIME ZONE ${zone})::date <= ${e}::date`);
  }
  return parts.length ? parts.join(' AND ') : 'true';
}

@Injectable()
export class RevenueRepository {
  /** Sparse per-day figures (only days with counted rows), ascending. */
  async dailyFigures(sql: Sql, w: DayWindow): Promise<DayFigures[]> {
    const p = new Params();
    const where = `${counted(p, w, w.currency)} AND ${localDays(p, w.tz, w.startDate, w.endDate)}`;
    const tz = p.bind(w.tz);
    const rows = await sql.query<FigureRow & { day: string }>(
      `SELECT to_char((occurred_at AT TIME ZONE ${tz})::date, 'YYYY-MM-DD') AS day, ${FIGURES}
         FROM payments WHERE ${where}
        GROUP BY 1 ORDER BY 1`,
      p.values,
    );
    return rows.map((r) => ({ date: r.day, ...toFigures(r) }));
  }

  /** One ungrouped aggregate over the same rows: the independent check on the day buckets. */
  async totals(sql: Sql, w: DayWindow): Promise<Figures> {
    const p = new Params();
    const where = `${counted(p, w, w.currency)} AND ${localDays(p, w.tz, w.startDate, w.endDate)}`;
    const [row] = await sql.query<FigureRow>(`SELECT ${FIGURES} FROM payments WHERE ${where}`, p.values);
    return toFigures(row);
  }

  /**
   * First and last zone-local day with counted rows for this currency and source, or null when
   * there are none. Taken from min/max(occurred_at) (two index probes, not a scan).
   */
  async dataExtent(sql: Sql, f: LedgerFilter & { tz: string }): Promise<{ firstDay: string; lastDay: string } | null> {
    const p = new Params();
    const where = counted(p, f, f.currency);
    const tz = p.bind(f.tz);
    const [row] = await sql.query<{ first_day: string | null; last_day: string | null }>(
      `SELECT to_char(min(occurred_at) AT TIME ZONE ${tz}, 'YYYY-MM-DD') AS first_day,
              to_char(max(occurred_at) AT TIME ZONE ${tz}, 'YYYY-MM-DD') AS last_day
         FROM payments WHERE ${where}`,
      p.values,
    );
    return row?.first_day && row.last_day ? { firstDay: row.first_day, lastDay: row.last_day } : null;
  }

  /**
   * Currencies with counted rows for this source in the given local-date bounds (an absent bound
   * is open), alphabetical. A loose index scan (one index probe per currency) instead of DISTINCT
   * over every row: the ledger has many rows and few currencies.
   */
  async currencies(sql: Sql, f: { source: RevenueSource | null; tz: string; startDate: string | null; endDate: string | null }): Promise<string[]> {
    const p = new Params();
    const where = `${counted(p, f, null)} AND ${localDays(p, f.tz, f.startDate, f.endDate)}`;
    const rows = await sql.query<{ currency: string }>(
      `WITH RECURSIVE c(cur) AS (
         SELECT (SELECT min(currency) FROM payments WHERE ${where})
         UNION ALL
         SELECT (SELECT min(currency) FROM payments WHERE currency > c.cur AND ${where}) FROM c WHERE c.cur IS NOT NULL
       )
       SELECT cur::text AS currency FROM c WHERE cur IS NOT NULL`,
      p.values,
    );
    return rows.map((r) => r.currency);
  }

  /** v1: figures over the half-open instant window [from, to). */
  async instantTotals(sql: Sql, w: InstantWindow): Promise<Figures> {
    const p = new Params();
    const where = `${counted(p, w, w.currency)} AND occurred_at >= ${p.bind(w.from.toISOString())}::timestamptz AND occurred_at < ${p.bind(w.to.toISOString())}::timestamptz`;
    const [row] = await sql.query<FigureRow>(`SELECT ${FIGURES} FROM payments WHERE ${where}`, p.values);
    return toFigures(row);
  }

  /**
   * v1: every bucket (day, Monday week or month, cut in `tz`) that overlaps [from, to), ascending.
   * The first bucket may start before `from`; it still only counts rows from `from` on.
   */
  async bucketKeys(sql: Sql, w: { from: Date; to: Date; tz: string; granularity: Granularity }): Promise<BucketKey[]> {
    const rows = await sql.query<{ key: string; start_at: string }>(
      `SELECT to_char(b, 'YYYY-MM-DD') AS key,
              to_char((b AT TIME ZONE $3) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS start_at
         FROM generate_series(date_trunc($4, $1::timestamptz AT TIME ZONE $3),
                              date_trunc($4, ($2::timestamptz - interval '1 microsecond') AT TIME ZONE $3),
                              ('1 ' || $4)::interval) AS b
        ORDER BY b`,
      [w.from.toISOString(), w.to.toISOString(), w.tz, w.granularity],
    );
    return rows.map((r) => ({ key: r.key, startAt: r.start_at }));
  }

  /** v1: sparse figures per bucket over [from, to), keyed like bucketKeys. */
  async bucketFigures(sql: Sql, w: InstantWindow & { tz: string; granularity: Granularity }): Promise<Array<Figures & { key: string }>> {
    const p = new Params();
    const where = `${counted(p, w, w.currency)} AND occurred_at >= ${p.bind(w.from.toISOString())}::timestamptz AND occurred_at < ${p.bind(w.to.toISOString())}::timestamptz`;
    const g = p.bind(w.granularity);
    const tz = p.bind(w.tz);
    const rows = await sql.query<FigureRow & { key: string }>(
      `SELECT to_char(date_trunc(${g}, occurred_at AT TIME ZONE ${tz}), 'YYYY-MM-DD') AS key, ${FIGURES}
         FROM payments WHERE ${where}
        GROUP BY 1 ORDER BY 1`,
      p.values,
    );
    return rows.map((r) => ({ key: r.key, ...toFigures(r) }));
  }

  /**
   * Raw vendor statuses that mapped to UNKNOWN (and so count nowhere), most frequent first, with
   * how many distinct (source, raw status) pairs exist in total.
   */
  async unmappedStatuses(sql: Sql, limit: number): Promise<{ total: number; statuses: UnmappedStatus[] }> {
    const rows = await sql.query<{ source: string; raw_status: string; count: number; sample: string; total: number }>(
      `SELECT source, raw_status, count(*)::int AS count, min(external_id) AS sample, (count(*) OVER ())::int AS total
         FROM payments WHERE status = 'UNKNOWN'
        GROUP BY source, raw_status
        ORDER BY count(*) DESC, source, raw_status
        LIMIT $1`,
      [limit],
    );
    return {
      total: rows.length ? Number(rows[0].total) : 0,
      statuses: rows.map((r) => ({ source: r.source, rawStatus: r.raw_status, count: Number(r.count), sample: r.sample })),
    };
  }

  /** Zone names this Postgres knows (its tz database), for request validation. */
  async zoneNames(sql: Sql): Promise<string[]> {
    const rows = await sql.query<{ name: string }>('SELECT name FROM pg_timezone_names');
    return rows.map((r) => r.name);
  }
}
