/**
 * Revenue at 100k / 1M / 10M ledger rows: the endpoints (served from payment_rollups) against
 * same-run baselines on the same rows: the previous ledger-scan query, one SQL sum, and v1's
 * algorithm (load every row of the range into memory and sum in JS). Load comes from a separate
 * process (load-client.ts); the server never times itself.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Stripe from 'stripe';
import type { Database } from '../../src/database/database.sql.js';
import type { BenchRow } from './bench-row.js';
import { chargeEvent } from './fixtures.js';
import { progress, stats, type LatencyStats } from './measure.js';

const run = promisify(execFile);
const LOAD_CLIENT = fileURLToPath(new URL('./get-load-client.js', import.meta.url));

export interface RevenueBenchContext {
  base: string;
  db: Database;
  apiKey: string;
  webhookSecret: string;
}

/** Runs the load client in its own process and returns its stats. */
export async function loadFromChild(
  spec: Record<string, unknown>,
): Promise<{ latency: LatencyStats; perSecond: number; errors: number; firstError: string | null }> {
  const { stdout } = await run(process.execPath, [LOAD_CLIENT, JSON.stringify(spec)], { maxBuffer: 64 * 1024 * 1024 });
  const res = JSON.parse(stdout.trim().split('\n').pop()!) as {
    latency: LatencyStats;
    perSecond: number;
    errors: number;
    firstError: string | null;
  };
  if (res.errors) throw new Error(`load client: ${res.errors} failed requests, first: ${res.firstError}`);
  return res;
}

/** Up to this size every ledger row also gets its lineage and its reconciliation sighting. */
const EVIDENCE_UP_TO = 1_000_000;

/**
 * Grows the ledger to `to` rows with set-based inserts (deterministic per chunk), spread over the
 * last two years, 85 % Stripe charges/refunds and 15 % HubSpot deals, 75 % USD. Goes through the
 * real table, so the rollup triggers pay their cost here as on every write. Up to
 * EVIDENCE_UP_TO rows, each row also gets what production writes beside it: one lineage event,
 * and one object sighting (97 % seen by both paths, 2 % poll only, 1 % webhook only), so the
 * trace and the reconciliation report are timed on realistic tables.
 */
async function growLedger(db: Database, from: number, to: number): Promise<void> {
  const CHUNK = 250_000;
  for (let lo = from; lo < to; lo += CHUNK) {
    const hi = Math.min(to, lo + CHUNK);
    const evidence = hi <= EVIDENCE_UP_TO;
    await db.tx(async (sql) => {
      await sql.query(`SELECT setseed($1::float8)`, [((lo / CHUNK) % 1000) / 1000]);
      await sql.query(
        `WITH ins AS (
           INSERT INTO payments (source, kind, external_id, amount_cents, currency, status, raw_status, effect, occurred_at, version_at)
           SELECT src, CASE WHEN src = 'hubspot' THEN 'deal' WHEN refund THEN 'refund' ELSE 'charge' END,
                  'bench_' || g, 100 + floor(random() * 100000)::bigint, CASE WHEN random() < 0.75 THEN 'USD' ELSE 'EUR' END,
                  'SUCCEEDED', 'succeeded', CASE WHEN refund AND src = 'stripe' THEN 'refund' ELSE 'gross' END, at, at
             FROM (SELECT g, CASE WHEN random() < 0.85 THEN 'stripe' ELSE 'hubspot' END AS src, random() < 0.1 AS refund,
                          now() - random() * interval '730 days' AS at
                     FROM generate_series($1::bigint, $2::bigint - 1) AS g) AS r
           RETURNING id, source, kind, external_id, occurred_at, version_at),
         lin AS (
           INSERT INTO payment_lineage (payment_id, outbox_id, derivation_rev, origin, vendor_event_id, event_type, received_at,
                                        version_at, version_rank, version_tiebreak, won)
           SELECT id, id, 0, 'webhook', 'evt_' || external_id, kind || '.succeeded', occurred_at + interval '1 second',
                  version_at, 10, NULL, true
             FROM ins WHERE $3)
         INSERT INTO object_sightings (source, object_type, external_id, vendor_created_at, created_exact,
                                       first_webhook_at, first_poll_at, first_path)
         SELECT source, kind, external_id, occurred_at, true,
                CASE WHEN u < 0.02 THEN NULL ELSE occurred_at + interval '1 second' END,
                CASE WHEN u >= 0.99 THEN NULL ELSE occurred_at + interval '1 hour' END,
                CASE WHEN u < 0.02 THEN 'poll' ELSE 'webhook' END
           FROM (SELECT *, random() AS u FROM ins) AS x WHERE $3`,
        [lo, hi, evidence],
      );
    });
    progress('bench ledger', { rows: hi, of: to, lineageAndSightings: evidence });
  }
  for (const table of ['payments', 'payment_rollups', 'payment_lineage', 'object_sightings'])
    await db.query(`ANALYZE ${table}`);
}

/** The query revenue daily ran before the rollups: every counted ledger row of the year, placed by width_bucket. */
const LEDGER_SCAN_DAILY = `
  WITH bounds AS MATERIALIZED (
    SELECT array_agg((d::timestamp AT TIME ZONE $3) ORDER BY d) AS at FROM generate_series($1::date, $2::date + 1, interval '1 day') AS d)
  SELECT width_bucket(occurred_at, bounds.at) AS i, sum(amount_cents) FILTER (WHERE effect = 'gross') AS gross,
         sum(amount_cents) FILTER (WHERE effect = 'refund') AS refunds, count(*)
    FROM payments, bounds
   WHERE currency = 'USD' AND effect <> 'none' AND deleted_at IS NULL AND occurred_at >= bounds.at[1] AND occurred_at < bounds.at[array_length(bounds.at, 1)]
   GROUP BY 1`;

async function timeSql(db: Database, n: number, sql: string, params: unknown[]): Promise<LatencyStats> {
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await db.query(sql, params);
    lat.push(performance.now() - t0);
  }
  return stats(lat);
}

/** v1: every row of the range loaded into the process, summed per day in JS. */
async function v1InMemory(db: Database, from: string, to: string, n: number): Promise<LatencyStats> {
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const rows = await db.query<{ occurred_at: Date | string; amount_cents: string; effect: string }>(
      `SELECT occurred_at, amount_cents, effect FROM payments WHERE currency = 'USD' AND deleted_at IS NULL AND occurred_at >= $1::date AND occurred_at < $2::date + 1`,
      [from, to],
    );
    const days = new Map<string, bigint>();
    for (const r of rows) {
      const day = new Date(r.occurred_at).toISOString().slice(0, 10);
      const cents = BigInt(r.amount_cents) * (r.effect === 'refund' ? -1n : r.effect === 'gross' ? 1n : 0n);
      days.set(day, (days.get(day) ?? 0n) + cents);
    }
    lat.push(performance.now() - t0);
  }
  return stats(lat);
}

export async function benchRevenue(ctx: RevenueBenchContext, scales: number[]): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const to = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const from = new Date(Date.now() - 366 * 86_400_000).toISOString().slice(0, 10);
  const headers = { 'x-api-key': ctx.apiKey };
  const url = (path: string, tz: string) =>
    `${ctx.base}${path}?startDate=${from}&endDate=${to}&currency=USD&tz=${encodeURIComponent(tz)}`;
  let have = Number((await ctx.db.query<{ n: string }>('SELECT count(*)::text AS n FROM payments'))[0].n);
  for (const scale of [...scales].sort((a, b) => a - b)) {
    if (have < scale) {
      await growLedger(ctx.db, have, scale);
      have = scale;
    }
    const label = scale >= 1_000_000 ? `${scale / 1_000_000}M` : `${scale / 1000}k`;
    const target = scale >= 10_000_000 ? 100 : 50;
    const daily = await loadFromChild({
      url: url('/metrics/revenue/daily', 'America/New_York'),
      total: 60,
      concurrency: 1,
      headers,
    });
    const kathmandu = await loadFromChild({
      url: url('/metrics/revenue/daily', 'Asia/Kathmandu'),
      total: 30,
      concurrency: 1,
      headers,
    });
    const weekly = await loadFromChild({
      url: url('/metrics/revenue/weekly', 'UTC'),
      total: 30,
      concurrency: 1,
      headers,
    });
    const scan = await timeSql(ctx.db, scale >= 10_000_000 ? 3 : 10, LEDGER_SCAN_DAILY, [from, to, 'America/New_York']);
    const sum = await timeSql(
      ctx.db,
      scale >= 10_000_000 ? 3 : 10,
      `SELECT sum(amount_cents), count(*) FROM payments WHERE currency = 'USD' AND occurred_at >= $1::date AND occurred_at < $2::date + 1`,
      [from, to],
    );
    const v1 = scale <= 1_000_000 ? await v1InMemory(ctx.db, from, to, 3) : null;
    rows.push({
      name: `revenue daily, 1 year, ${label} rows, America/New_York (p95)`,
      figure: daily.latency.p95,
      unit: 'ms',
      target: `≤ ${target} ms`,
      met: daily.latency.p95 <= target,
      baseline: `p50 ${daily.latency.p50} ms · ledger scan (before rollups) p50 ${scan.p50} ms · one SQL sum p50 ${sum.p50} ms${v1 ? ` · v1 in-memory p50 ${v1.p50} ms (${Math.round(v1.p50 / daily.latency.p50)}×)` : ''}`,
    });
    rows.push({
      name: `revenue daily, 1 year, ${label} rows, Asia/Kathmandu +05:45 (p95)`,
      figure: kathmandu.latency.p95,
      unit: 'ms',
      target: `≤ ${target} ms`,
      met: kathmandu.latency.p95 <= target,
      baseline: `p50 ${kathmandu.latency.p50} ms`,
    });
    rows.push({
      name: `revenue weekly, 1 year, ${label} rows, UTC (p95)`,
      figure: weekly.latency.p95,
      unit: 'ms',
      target: `≤ ${target} ms`,
      met: weekly.latency.p95 <= target,
      baseline: `p50 ${weekly.latency.p50} ms`,
    });
    rows.push(await webhookToRevenue(ctx, label));
    if (scale <= EVIDENCE_UP_TO) rows.push(...(await explainCosts(ctx, label, from, to)));
    progress('bench revenue', { scale, dailyP95: daily.latency.p95, scanP50: scan.p50 });
  }
  return rows;
}

/** Time from a signed webhook POST until the revenue summary includes it (the worker wakes on NOTIFY). */
async function webhookToRevenue(ctx: RevenueBenchContext, label: string): Promise<BenchRow> {
  const day = new Date().toISOString().slice(0, 10);
  const summary = async () => {
    const r = await fetch(`${ctx.base}/metrics/revenue/summary?startDate=${day}&endDate=${day}&source=stripe`, {
      headers: { 'x-api-key': ctx.apiKey },
    });
    return BigInt(((await r.json()) as { grossCents: string }).grossCents);
  };
  const samples: number[] = [];
  for (let i = 0; i < 30; i++) {
    const before = await summary();
    const body = JSON.stringify(
      chargeEvent(`evt_bench_visible_${label}_${i}_${Date.now()}`, `ch_bench_visible_${label}_${i}_${Date.now()}`, 777),
    );
    const sig = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: ctx.webhookSecret });
    const t0 = performance.now();
    const r = await fetch(`${ctx.base}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': sig },
      body,
    });
    if (r.status !== 200) throw new Error(`webhook ${r.status}`);
    while ((await summary()) === before) {
      if (performance.now() - t0 > 10_000) throw new Error('webhook never reached revenue');
    }
    samples.push(performance.now() - t0);
  }
  const s = stats(samples);
  return {
    name: `webhook → revenue visible, ${label} rows (p95)`,
    figure: s.p95,
    unit: 'ms',
    target: '≤ 100 ms',
    met: s.p95 <= 100,
    baseline: `p50 ${s.p50} ms`,
  };
}

/**
 * What explaining a figure costs at this ledger size (issue 7): a trace page of 1000 rows over
 * the year (the first page and one from the middle, by cursor), one record, and the
 * reconciliation report for 30 days and for the whole year. Targets: a limit of 1000 "stays
 * fast", which we read as the same order as the summary it builds on (≤ 250 ms p95).
 */
async function explainCosts(ctx: RevenueBenchContext, label: string, from: string, to: string): Promise<BenchRow[]> {
  const headers = { 'x-api-key': ctx.apiKey };
  const q = `startDate=${from}&endDate=${to}&currency=USD&tz=${encodeURIComponent('Asia/Kolkata')}`;
  const first = (await (await fetch(`${ctx.base}/metrics/revenue/trace?${q}&limit=1000`, { headers })).json()) as {
    rows: { source: string; externalId: string }[];
    nextCursor: string | null;
  };
  let cursor = first.nextCursor;
  for (let i = 0; i < 20 && cursor; i++) {
    const page = (await (
      await fetch(`${ctx.base}/metrics/revenue/trace?${q}&limit=1000&cursor=${encodeURIComponent(cursor)}`, { headers })
    ).json()) as { nextCursor: string | null };
    cursor = page.nextCursor;
  }
  const pageOne = await loadFromChild({
    url: `${ctx.base}/metrics/revenue/trace?${q}&limit=1000`,
    total: 20,
    concurrency: 1,
    headers,
  });
  const middle = cursor
    ? await loadFromChild({
        url: `${ctx.base}/metrics/revenue/trace?${q}&limit=1000&cursor=${encodeURIComponent(cursor)}`,
        total: 20,
        concurrency: 1,
        headers,
      })
    : null;
  const row = first.rows[0];
  const record = await loadFromChild({
    url: `${ctx.base}/records/payments/${row.source}/${encodeURIComponent(row.externalId)}`,
    total: 50,
    concurrency: 1,
    headers,
  });
  const yearAgo = new Date(Date.now() - 365 * 86_400_000).toISOString().slice(0, 10);
  const monthAgo = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
  const today = new Date().toISOString().slice(0, 10);
  const recon = (start: string) =>
    loadFromChild({
      url: `${ctx.base}/reconciliation?source=stripe&startDate=${start}&endDate=${today}&tz=Europe/Berlin&limit=1000`,
      total: 20,
      concurrency: 1,
      headers,
    });
  const month = await recon(monthAgo);
  const year = await recon(yearAgo);
  return [
    {
      name: `trace, 1 year, limit=1000, ${label} rows (p95)`,
      figure: pageOne.latency.p95,
      unit: 'ms',
      target: '≤ 250 ms',
      met: pageOne.latency.p95 <= 250,
      baseline: `first page p50 ${pageOne.latency.p50} ms${middle ? ` · page 21 (cursor) p50 ${middle.latency.p50} ms, p95 ${middle.latency.p95} ms` : ''}`,
    },
    {
      name: `one ledger record with versions and events, ${label} rows (p95)`,
      figure: record.latency.p95,
      unit: 'ms',
      target: '≤ 50 ms',
      met: record.latency.p95 <= 50,
      baseline: `p50 ${record.latency.p50} ms`,
    },
    {
      name: `reconciliation report, stripe, 1 year, ${label} sightings (p95)`,
      figure: year.latency.p95,
      unit: 'ms',
      target: '≤ 250 ms',
      met: year.latency.p95 <= 250,
      baseline: `30 days p50 ${month.latency.p50} ms, p95 ${month.latency.p95} ms · 1 year p50 ${year.latency.p50} ms`,
    },
  ];
}
