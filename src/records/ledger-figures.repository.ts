import { Injectable } from '@nestjs/common';
import type { Sql } from '../database/database.sql.js';
import type { RevenueSource } from './record.types.js';

/** Money figures of a set of ledger rows, in BigInt cents. */
export interface LedgerFigures {
  grossCents: bigint;
  refundsCents: bigint;
  /** Collected charges / won deals. */
  count: number;
  refundCount: number;
}

/**
 * Revenue aggregates over the ledger, in SQL only: no query here returns ledger rows, only sums and
 * counts, except countedRows, which lists the very rows those sums are made of (the trace).
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

/** Half-open instant window `[from, to)`; ISO 8601 strings, bound as timestamptz. */
export interface InstantWindow extends LedgerFilter {
  from: string;
  to: string;
}

/** An instant window whose ends are zone-local midnights, grouped into the zone's days. */
export interface LocalDayWindow extends InstantWindow {
  tz: string;
}

export type Granularity = 'day' | 'week' | 'month';

export interface BucketKey {
  /** Zone-local start date of the bucket (date_trunc in the zone). */
  key: string;
  /** That local midnight as a UTC ISO instant. */
  startAt: string;
}

/** A counted ledger row, as the trace lists it. */
export interface CountedRow {
  id: string;
  source: RevenueSource;
  kind: string;
  externalId: string;
  parentExternalId: string | null;
  effect: 'gross' | 'refund';
  amountCents: bigint;
  currency: string;
  /** occurred_at to the microsecond (ISO, UTC): the keyset position of the row. */
  occurredAt: string;
  status: string;
  rawStatus: string;
}

/** Keyset position in (occurred_at, id) order. */
export interface RowPosition {
  occurredAt: string;
  id: string;
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

const toFigures = (r: FigureRow): LedgerFigures => ({
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

/** Counted rows: the one definition of "in revenue" (effect), optionally one currency and source. */
function counted(p: Params, f: { source: RevenueSource | null }, currency: string | null): string {
  const parts = [`effect <> 'none'`, 'deleted_at IS NULL'];
  if (currency !== null) parts.push(`currency = ${p.bind(currency)}`);
  if (f.source !== null) parts.push(`source = ${p.bind(f.source)}`);
  return parts.join(' AND ');
}

function within(p: Params, from: string | null, to: string | null): string {
  const parts: string[] = [];
  if (from !== null) parts.push(`occurred_at >= ${p.bind(from)}::timestamptz`);
  if (to !== null) parts.push(`occurred_at < ${p.bind(to)}::timestamptz`);
  return parts.length ? parts.join(' AND ') : 'true';
}

/**
 * SQL for the first instant of local day `day` in zone `tz`: the earliest instant whose local date
 * is `day` or later. A day's rows are then exactly those in [midnight(day), midnight(day + 1)),
 * the same rows `(occurred_at AT TIME ZONE tz)::date = day` picks, but found by an index range.
 *
 * Plain `day::timestamp AT TIME ZONE tz` is not enough: when midnight happens twice Postgres picks
 * the later one (America/Havana 2026-11-01: 00:00 CDT = 04:00Z and 00:00 CST = 05:00Z), which would
 * push the first hour of Nov 1 into Oct 31. So we also try up to two hours earlier in 15-minute
 * steps (every offset and transition since the 1970s is on that grid, and no shift exceeds 2 h)
 * and keep the earliest candidate already on `day`. When midnight does not exist (clocks jump
 * from 23:59 to 01:00), Postgres's answer is the transition instant, which is also the earliest.
 */
function localMidnight(day: string, tz: string): string {
  return `(SELECT min(c) FROM generate_series(0, 8) AS k,
             LATERAL (SELECT (${day}::timestamp AT TIME ZONE ${tz}) - k * interval '15 minutes') AS x(c)
           WHERE (c AT TIME ZONE ${tz})::date >= ${day})`;
}

const ISO_INSTANT = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

/** The rollup grain: every real UTC offset and DST transition lies on it. Mirrors the migration's triggers. */
const SLOT_WIDTH = `interval '15 minutes'`;
const SLOT = (at: string) => `date_bin(${SLOT_WIDTH}, ${at}, timestamptz '2000-01-01 00:00:00+00')`;

@Injectable()
export class LedgerFiguresRepository {
  /** First instant of each local day (see localMidnight), as ISO strings in the same order. */
  async localMidnights(sql: Sql, tz: string, days: readonly string[]): Promise<string[]> {
    const rows = await sql.query<{ at: string }>(
      `SELECT to_char(${localMidnight('d.day', '$2')} AT TIME ZONE 'UTC', ${ISO_INSTANT}) AS at
         FROM unnest($1::date[]) WITH ORDINALITY AS d(day, i) ORDER BY d.i`,
      [days, tz],
    );
    return rows.map((r) => r.at);
  }

  /**
   * Sparse per-day figures for local days `firstDay..lastDay` (rows in [from, to)), ascending;
   * `dayIndex` 0 is `firstDay`. The days' bounds are computed here, in SQL, with the same
   * localMidnight rule as the caller's window but independently of it: a row of the window that
   * falls outside the days keeps an out-of-range index (-1 or past the last day) so the caller
   * reports it as drift, never drops it.
   */
  async dailyFigures(
    sql: Sql,
    w: LocalDayWindow & { firstDay: string; lastDay: string },
  ): Promise<Array<LedgerFigures & { dayIndex: number }>> {
    const p = new Params();
    const tz = p.bind(w.tz);
    const first = p.bind(w.firstDay);
    const last = p.bind(w.lastDay);
    const bounds = `(SELECT array_agg(${localMidnight('g.day', tz)} ORDER BY g.day)
                       FROM generate_series(${first}::date, ${last}::date + 1, interval '1 day') AS s(d),
                            LATERAL (SELECT s.d::date AS day) AS g)`;
    const rows = await this.bucketed(sql, p, w, bounds);
    return rows.map((r) => ({ dayIndex: r.i - 1, ...toFigures(r) }));
  }

  /**
   * One ungrouped aggregate over [from, to): the independent check on any set of buckets, and the
   * v1 figure itself.
   */
  async totals(sql: Sql, w: InstantWindow): Promise<LedgerFigures> {
    const p = new Params();
    const rows = await this.bucketed(sql, p, w, null);
    return rows.length ? toFigures(rows[0]) : { grossCents: 0n, refundsCents: 0n, count: 0, refundCount: 0 };
  }

  /**
   * Figures of the counted rows in [from, to), grouped by `width_bucket` over `boundsSql` (an
   * ascending timestamptz[] expression; null = one bucket, the window). Cost grows with the
   * quarter-hour slots asked for, not with the ledger: whole slots come from payment_rollups
   * (kept in the same transaction as every ledger write), and only a slot that a bound or a
   * window end cuts in two (a zone offset off the quarter-hour grid, a v1 instant like 10:07)
   * is read from the ledger rows themselves, through the payments_revenue index.
   */
  private async bucketed(
    sql: Sql,
    p: Params,
    w: InstantWindow,
    boundsSql: string | null,
  ): Promise<Array<FigureRow & { i: number }>> {
    const from = p.bind(w.from);
    const to = p.bind(w.to);
    const bounds = boundsSql ?? `ARRAY[${from}::timestamptz, ${to}::timestamptz]`;
    const ledger = counted(p, w, w.currency);
    const rollup = [
      `r.currency = ${p.bind(w.currency)}`,
      ...(w.source !== null ? [`r.source = ${p.bind(w.source)}`] : []),
    ].join(' AND ');
    return sql.query<FigureRow & { i: number }>(
      `WITH b AS MATERIALIZED (SELECT ${bounds} AS at),
       cut AS MATERIALIZED (
         SELECT coalesce(array_agg(DISTINCT e.slot), '{}') AS slots
           FROM b, unnest(b.at || ARRAY[${from}::timestamptz, ${to}::timestamptz]) AS x(at),
                LATERAL (SELECT ${SLOT('x.at')} AS slot) AS e
          WHERE e.slot <> x.at
       ),
       parts AS (
         SELECT width_bucket(r.slot, b.at) AS i, r.gross_cents AS g, r.refunds_cents AS rf, r.gross_count AS gc, r.refund_count AS rc
           FROM payment_rollups r, b, cut
          WHERE ${rollup} AND r.slot >= ${from}::timestamptz AND r.slot < ${to}::timestamptz AND r.slot <> ALL (cut.slots)
         UNION ALL
         SELECT width_bucket(l.occurred_at, b.at),
                CASE WHEN l.effect = 'gross' THEN l.amount_cents ELSE 0 END,
                CASE WHEN l.effect = 'refund' THEN l.amount_cents ELSE 0 END,
                (l.effect = 'gross')::int, (l.effect = 'refund')::int
           FROM b, cut, unnest(cut.slots) AS e(slot),
                LATERAL (SELECT occurred_at, effect, amount_cents FROM payments
                          WHERE ${ledger} AND occurred_at >= e.slot AND occurred_at < e.slot + ${SLOT_WIDTH}
                            AND occurred_at >= ${from}::timestamptz AND occurred_at < ${to}::timestamptz) AS l
       )
       SELECT i, COALESCE(sum(g), 0)::text AS gross, COALESCE(sum(rf), 0)::text AS refunds,
              COALESCE(sum(gc), 0)::int AS count, COALESCE(sum(rc), 0)::int AS refund_count
         FROM parts GROUP BY i ORDER BY i`,
      p.values,
    );
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
    // East of UTC the last instants of year 9999 fall on 10000-01-01, a five-digit date that
    // compares below every four-digit one (an open range came out empty): clamp to 9999-12-31.
    const clamp = (day: string) => (day.length > 10 ? '9999-12-31' : day);
    return row?.first_day && row.last_day ? { firstDay: clamp(row.first_day), lastDay: clamp(row.last_day) } : null;
  }

  /**
   * Currencies with counted rows for this source in [from, to) (a null end is open), alphabetical. A loose index scan (one index probe per currency) instead of DISTINCT
   * over every row: the ledger has many rows and few currencies.
   */
  async currencies(
    sql: Sql,
    f: { source: RevenueSource | null; from: string | null; to: string | null },
  ): Promise<string[]> {
    const p = new Params();
    const where = `${counted(p, f, null)} AND ${within(p, f.from, f.to)}`;
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

  /**
   * v1: every bucket (day, Monday week or month, cut in `tz`) that overlaps [from, to), ascending,
   * labelled with its first instant (see localMidnight). The first bucket may start before `from`;
   * it still only counts rows from `from` on.
   */
  async bucketKeys(
    sql: Sql,
    w: { from: string; to: string; tz: string; granularity: Granularity },
  ): Promise<BucketKey[]> {
    const rows = await sql.query<{ key: string; start_at: string }>(
      `SELECT to_char(b.day, 'YYYY-MM-DD') AS key,
              to_char(${localMidnight('b.day', '$3')} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS start_at
         FROM generate_series(date_trunc($4, $1::timestamptz AT TIME ZONE $3),
                              date_trunc($4, ($2::timestamptz - interval '1 microsecond') AT TIME ZONE $3),
                              ('1 ' || $4)::interval) AS g(b),
              LATERAL (SELECT g.b::date AS day) AS b
        ORDER BY b.day`,
      [w.from, w.to, w.tz, w.granularity],
    );
    return rows.map((r) => ({ key: r.key, startAt: r.start_at }));
  }

  /** v1: sparse figures per bucket over [from, to), keyed like bucketKeys. */
  async bucketFigures(
    sql: Sql,
    w: InstantWindow & { tz: string; granularity: Granularity },
  ): Promise<Array<LedgerFigures & { key: string }>> {
    const keys = await this.bucketKeys(sql, w);
    const p = new Params();
    const bounds = `${p.bind([...keys.map((k) => k.startAt), w.to])}::timestamptz[]`;
    const rows = await this.bucketed(sql, p, w, bounds);
    // A row outside every bucket keeps a key no bucket has, so the caller's total check sees it.
    return rows.map((r) => ({ key: keys[r.i - 1]?.key ?? `out-of-range:${r.i}`, ...toFigures(r) }));
  }

  /**
   * The counted rows of [from, to) in (occurred_at, id) order after `after`, at most `limit`: the
   * rows whose figures totals() sums, by the same definition (counted, within), so the pages of a
   * window add up to its figures exactly. An index range on payments_revenue (its predicate is
   * counted()'s), sorted on id only among rows of the same instant.
   */
  async countedRows(sql: Sql, w: InstantWindow, after: RowPosition | null, limit: number): Promise<CountedRow[]> {
    const p = new Params();
    const where = [counted(p, w, w.currency), within(p, w.from, w.to)];
    if (after) {
      const at = p.bind(after.occurredAt);
      where.push(
        `occurred_at >= ${at}::timestamptz`,
        `(occurred_at, id) > (${at}::timestamptz, ${p.bind(after.id)}::bigint)`,
      );
    }
    const rows = await sql.query<{
      row_id: string;
      source: RevenueSource;
      kind: string;
      external_id: string;
      parent_external_id: string | null;
      effect: 'gross' | 'refund';
      amount_cents: string;
      currency: string;
      at: string;
      status: string;
      raw_status: string;
    }>(
      `SELECT p.id::text AS row_id, source, kind, external_id, parent_external_id, effect, amount_cents::text, currency,
              to_char(occurred_at AT TIME ZONE 'UTC', ${ISO_INSTANT}) AS at, status, raw_status
         FROM payments p
        WHERE ${where.join(' AND ')}
        ORDER BY p.occurred_at, p.id
        LIMIT ${p.bind(limit)}`,
      p.values,
    );
    return rows.map((r) => ({
      id: String(r.row_id),
      source: r.source,
      kind: r.kind,
      externalId: r.external_id,
      parentExternalId: r.parent_external_id,
      effect: r.effect,
      amountCents: BigInt(r.amount_cents),
      currency: r.currency,
      occurredAt: r.at,
      status: r.status,
      rawStatus: r.raw_status,
    }));
  }

  /**
   * Raw vendor statuses that mapped to UNKNOWN (and so count nowhere), most frequent first, with
   * how many distinct (source, raw status) pairs exist in total; HubSpot stage ids in
   * `explainedHubspotStages` are left out.
   */
  async unmappedStatuses(
    sql: Sql,
    limit: number,
    explainedHubspotStages: readonly string[] = [],
  ): Promise<{ total: number; statuses: UnmappedStatus[] }> {
    const rows = await sql.query<{ source: string; raw_status: string; count: number; sample: string; total: number }>(
      `SELECT source, raw_status, count(*)::int AS count, min(external_id) AS sample, (count(*) OVER ())::int AS total
         FROM payments WHERE status = 'UNKNOWN' AND NOT (source = 'hubspot' AND raw_status = ANY($2::text[]))
        GROUP BY source, raw_status
        ORDER BY count(*) DESC, source, raw_status
        LIMIT $1`,
      [limit, explainedHubspotStages],
    );
    return {
      total: rows.length ? Number(rows[0].total) : 0,
      statuses: rows.map((r) => ({
        source: r.source,
        rawStatus: r.raw_status,
        count: Number(r.count),
        sample: r.sample,
      })),
    };
  }
}
