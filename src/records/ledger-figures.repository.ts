import { Injectable } from '@nestjs/common';
import type { Sql } from '../database/database.sql.js';
import type { RevenueSource } from './record.types.js';

/** One (currency, source, slot) where the rollups and the ledger disagree: figures as gross/refunds/count/refundCount. */
export interface RollupMismatch {
  currency: string;
  source: string;
  grain: string;
  slot: string;
  ledger: string | null;
  rollup: string | null;
}

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
 * Without an offset change in those two hours every earlier candidate is on the previous day, so
 * the search only runs for the days that have one.
 */
function localMidnight(day: string, tz: string): string {
  const m0 = `(${day}::timestamp AT TIME ZONE ${tz})`;
  // Almost every day has no offset change in the two hours before Postgres's midnight, and then
  // that midnight is the answer: three conversions instead of eighteen (a year of days: 0.6 ms, not 4).
  return `(CASE WHEN (${m0} AT TIME ZONE ${tz}) - ((${m0} - interval '2 hours') AT TIME ZONE ${tz}) = interval '2 hours'
                THEN ${m0}
                ELSE (SELECT min(c) FROM generate_series(0, 8) AS k,
                        LATERAL (SELECT ${m0} - k * interval '15 minutes') AS x(c)
                       WHERE (c AT TIME ZONE ${tz})::date >= ${day}) END)`;
}

const ISO_INSTANT = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

/**
 * The rollup grains (mirroring the migration's triggers): quarter-hours, on which every real UTC
 * offset and DST transition lies, and hours. Source '*' rows hold all sources together.
 */
const QUARTER = `interval '15 minutes'`;
const HOUR = `interval '1 hour'`;
const bin = (grain: 'quarter' | 'hour', at: string) =>
  `date_bin(${grain === 'hour' ? HOUR : QUARTER}, ${at}, timestamptz '2000-01-01 00:00:00+00')`;
const ALL_SOURCES = '*';

/** What payment_rollups must hold, computed from the ledger itself (the verifier's and the rebuild's truth). */
const LEDGER_ROLLUP = `
  SELECT currency, s.source, g.grain, date_bin(g.width, occurred_at, timestamptz '2000-01-01 00:00:00+00') AS slot,
         COALESCE(sum(amount_cents) FILTER (WHERE effect = 'gross'), 0)::text AS gross,
         COALESCE(sum(amount_cents) FILTER (WHERE effect = 'refund'), 0)::text AS refunds,
         (count(*) FILTER (WHERE effect = 'gross'))::int AS count,
         (count(*) FILTER (WHERE effect = 'refund'))::int AS refund_count
    FROM payments
         CROSS JOIN LATERAL (VALUES ('q', ${QUARTER}), ('h', ${HOUR})) AS g(grain, width)
         CROSS JOIN LATERAL (VALUES (payments.source), ('*')) AS s(source)
   WHERE effect <> 'none' AND deleted_at IS NULL
   GROUP BY 1, 2, 3, 4`;

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
   * ascending timestamptz[] expression; null = one bucket, the window). Cost grows with the hours
   * asked for, not with the ledger: whole hours come from the hourly rollups, an hour that a bound
   * or a window end cuts (a +05:30 / +05:45 zone, a v1 instant like 10:07) from its quarter-hour
   * rollups, and only a quarter-hour cut by a bound off that grid (historical local mean time, a
   * v1 instant) from the ledger rows themselves, through the payments_revenue index. The rollups
   * are kept by triggers in the same transaction as every ledger write.
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
    const rollup = `r.currency = ${p.bind(w.currency)} AND r.source = ${p.bind(w.source ?? ALL_SOURCES)}`;
    return sql.query<FigureRow & { i: number }>(
      `WITH b AS MATERIALIZED (SELECT ${bounds} AS at),
       ends AS MATERIALIZED (SELECT x.at FROM b, unnest(b.at || ARRAY[${from}::timestamptz, ${to}::timestamptz]) AS x(at)),
       -- Hours and quarter-hours that a bound or a window end cuts, and the quarters of the cut
       -- hours. Tables, not arrays: Postgres hashes a NOT EXISTS against them and probes the index
       -- per quarter, where "<> ALL (array)" compared every rollup row with every cut hour (a
       -- +05:45 year: 8.8k rows × 367 hours) and a range join filtered every quarter of the year.
       cut_h AS MATERIALIZED (SELECT DISTINCT ${bin('hour', 'at')} AS slot FROM ends WHERE ${bin('hour', 'at')} <> at),
       cut_q AS MATERIALIZED (SELECT DISTINCT ${bin('quarter', 'at')} AS slot FROM ends WHERE ${bin('quarter', 'at')} <> at),
       q_of_cut_h AS MATERIALIZED (SELECT h.slot + q.n * ${QUARTER} AS slot FROM cut_h h, generate_series(0, 3) AS q(n)),
       parts AS (
         SELECT width_bucket(r.slot, b.at) AS i, r.gross_cents AS g, r.refunds_cents AS rf, r.gross_count AS gc, r.refund_count AS rc
           FROM payment_rollups r, b
          WHERE ${rollup} AND r.grain = 'h' AND r.slot >= ${from}::timestamptz AND r.slot < ${to}::timestamptz
            AND NOT EXISTS (SELECT 1 FROM cut_h c WHERE c.slot = r.slot)
         UNION ALL
         SELECT width_bucket(r.slot, b.at), r.gross_cents, r.refunds_cents, r.gross_count, r.refund_count
           FROM b, q_of_cut_h c JOIN payment_rollups r ON r.slot = c.slot
          WHERE ${rollup} AND r.grain = 'q' AND r.slot >= ${from}::timestamptz AND r.slot < ${to}::timestamptz
            AND NOT EXISTS (SELECT 1 FROM cut_q x WHERE x.slot = r.slot)
         UNION ALL
         SELECT width_bucket(l.occurred_at, b.at),
                CASE WHEN l.effect = 'gross' THEN l.amount_cents ELSE 0 END,
                CASE WHEN l.effect = 'refund' THEN l.amount_cents ELSE 0 END,
                (l.effect = 'gross')::int, (l.effect = 'refund')::int
           FROM b, cut_q e,
                LATERAL (SELECT occurred_at, effect, amount_cents FROM payments
                          WHERE ${ledger} AND occurred_at >= e.slot AND occurred_at < e.slot + ${QUARTER}
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

  // ---- Rollups vs ledger (the revenue verifier) ----

  /**
   * Every (currency, source, grain, slot) where payment_rollups and an aggregate of the ledger itself
   * disagree, counted, with the first `limit` as a sample. Reads the whole ledger: run it in a
   * snapshot, off the request path.
   */
  async rollupMismatches(sql: Sql, limit: number): Promise<{ count: number; sample: RollupMismatch[] }> {
    const rows = await sql.query<RollupMismatch & { total: number }>(
      `WITH ledger AS (${LEDGER_ROLLUP}), rollup AS (
         SELECT currency, source, grain, slot, gross_cents::text AS gross, refunds_cents::text AS refunds, gross_count AS count, refund_count
           FROM payment_rollups
          WHERE gross_cents <> 0 OR refunds_cents <> 0 OR gross_count <> 0 OR refund_count <> 0
       )
       SELECT currency::text, source, grain::text, to_char(slot AT TIME ZONE 'UTC', ${ISO_INSTANT}) AS slot,
              CASE WHEN l.slot IS NULL THEN NULL ELSE concat_ws('/', l.gross, l.refunds, l.count, l.refund_count) END AS ledger,
              CASE WHEN r.slot IS NULL THEN NULL ELSE concat_ws('/', r.gross, r.refunds, r.count, r.refund_count) END AS rollup,
              (count(*) OVER ())::int AS total
         FROM ledger l FULL JOIN rollup r USING (currency, source, grain, slot)
        WHERE (l.gross, l.refunds, l.count, l.refund_count) IS DISTINCT FROM (r.gross, r.refunds, r.count, r.refund_count)
        ORDER BY 1, 2, 3, 4
        LIMIT $1`,
      [limit],
    );
    return {
      count: rows.length ? Number(rows[0].total) : 0,
      sample: rows.map((r) => ({
        currency: r.currency,
        source: r.source,
        grain: r.grain,
        slot: r.slot,
        ledger: r.ledger,
        rollup: r.rollup,
      })),
    };
  }

  /** True while a verifier finding is open: the revenue endpoints then refuse to answer. */
  async driftOpen(sql: Sql): Promise<boolean> {
    const [row] = await sql.query<{ open: boolean }>(
      'SELECT EXISTS (SELECT 1 FROM revenue_drift WHERE resolved_at IS NULL) AS open',
    );
    return row?.open === true;
  }

  /** Opens a finding unless one is open already (then it is refreshed with the latest count and sample). */
  async recordDrift(sql: Sql, count: number, sample: readonly RollupMismatch[]): Promise<void> {
    const updated = await sql.query(
      `UPDATE revenue_drift SET mismatches = $1, sample = $2::jsonb WHERE resolved_at IS NULL RETURNING id`,
      [count, JSON.stringify(sample)],
    );
    if (updated.length === 0)
      await sql.query(`INSERT INTO revenue_drift (mismatches, sample) VALUES ($1, $2::jsonb)`, [
        count,
        JSON.stringify(sample),
      ]);
  }

  /** Resolves open findings; returns how many. */
  async resolveDrift(sql: Sql): Promise<number> {
    return (await sql.query(`UPDATE revenue_drift SET resolved_at = now() WHERE resolved_at IS NULL RETURNING id`))
      .length;
  }

  /**
   * Recomputes payment_rollups from the ledger. Ledger writes wait for it (SHARE ROW EXCLUSIVE
   * blocks writers, not readers), so no write can slip between the delete and the insert.
   */
  async rebuildRollups(sql: Sql): Promise<number> {
    await sql.query('LOCK TABLE payments IN SHARE ROW EXCLUSIVE MODE');
    await sql.query('DELETE FROM payment_rollups');
    const rows = await sql.query(
      `INSERT INTO payment_rollups (currency, source, grain, slot, gross_cents, refunds_cents, gross_count, refund_count)
       SELECT currency, source, grain, slot, gross::bigint, refunds::bigint, count, refund_count FROM (${LEDGER_ROLLUP}) AS l
       RETURNING slot`,
    );
    return rows.length;
  }
}
