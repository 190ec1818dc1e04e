/**
 * `npm run bench`: measures Buffalo's hot paths on this machine and prints each figure next to a
 * baseline measured in the same run (so a slow machine shows as slow baseline, not as a regression).
 * Runs the real app in-process on its own embedded Postgres, with the Stripe simulator.
 *
 *  1. webhook ingest      signed POST /webhooks/stripe (verify + store)  vs  GET /healthz (HTTP floor)
 *  2. webhook → revenue   time until a new charge shows in /metrics/revenue/summary  vs  the webhook POST alone
 *  3. outbox processing   rows/s claimed+normalized+upserted by the worker  vs  the same upserts without the queue
 *  4. revenue query       /metrics/revenue/daily over a year on a large ledger  vs  one SQL sum over the same rows
 *  5. stripe backfill     charges/s through the SDK + limiter + outbox  vs  raw HTTP paging of the simulator
 *
 * BENCH_SCALE (default 1) multiplies the sizes.
 */
import 'reflect-metadata';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import Stripe from 'stripe';
import { createApp } from '../src/app.bootstrap.js';
import { loadConfig } from '../src/config/app.config.js';
import { logger } from '../src/common/app.logger.js';
import { startEmbeddedPostgres } from '../src/database/database.embedded.js';
import { Database } from '../src/database/database.sql.js';
import { OutboxWorker } from '../src/outbox/outbox.worker.js';
import { OutboxInsertRepository } from '../src/outbox/outbox-insert.repository.js';
import { PaymentsRepository } from '../src/records/payments.repository.js';
import { RunsService } from '../src/runs/runs.service.js';
import { generateStripeDataset, startStripeSimulator } from './sandbox/stripe/index.js';
import { load, machine, progress, stats } from './bench/measure.js';
import { chargeEvent, syntheticCharges, syntheticLedger } from './bench/fixtures.js';
import { finish } from './bench/report.js';
import { benchRevenue, type BenchRow } from './bench/revenue.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
/** Ledger sizes for the revenue figures; 10M takes minutes and is not run in CI: BENCH_REVENUE_SCALES=100000,1000000,10000000. */
const REVENUE_SCALES = (process.env.BENCH_REVENUE_SCALES ?? '100000,1000000').split(',').map(Number);
/** BENCH_ONLY=ingest,latency,processing,revenue,backfill runs a subset (the revenue figures alone take a while at 1M+). */
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : null;
const want = (section: string) => !ONLY || ONLY.has(section);
const rows: BenchRow[] = [];
const API_KEY = 'bench-read-key-0123456789';
const ADMIN_KEY = 'bench-admin-key-0123456789';
const SECRET = 'whsec_bench_only_not_a_real_secret';
const STRIPE_KEY = 'sk_test_bench_only';

const results: Record<string, unknown> = {};
const report = (name: string, figure: unknown, baseline: unknown, note: string) => {
  results[name] = { figure, baseline, note };
  process.stdout.write(
    `\n## ${name}\n${note}\nfigure:   ${JSON.stringify(figure)}\nbaseline: ${JSON.stringify(baseline)}\n`,
  );
};

async function main() {
  logger.setSilent(true);
  process.stdout.write(`# Buffalo benchmarks\nmachine: ${JSON.stringify(machine())}\nscale: ${SCALE}\n`);
  const dir = resolve('.data/bench-pg');
  rmSync(dir, { recursive: true, force: true });
  const pg = await startEmbeddedPostgres(dir);
  const stripeSim = await startStripeSimulator({
    apiKey: STRIPE_KEY,
    dataset: generateStripeDataset({ seed: 7, charges: Math.round(20_000 * SCALE) }),
    seed: 7,
  });
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: pg.url,
    API_KEY,
    ADMIN_API_KEY: ADMIN_KEY,
    STRIPE_API_KEY: STRIPE_KEY,
    STRIPE_WEBHOOK_SECRET: SECRET,
    STRIPE_API_BASE: stripeSim.url,
    STRIPE_RATE_LIMIT_PER_S: '100',
    SCHEDULER: 'off',
    WORKER: 'on',
    LOG_LEVEL: 'error',
    RATE_LIMIT_PER_S: '0',
  });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const addr = app.getHttpServer().address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const db = app.get(Database);
  const pgVersion = (await db.query<{ server_version: string }>('SHOW server_version'))[0].server_version;
  process.stdout.write(`postgres: ${pgVersion} (embedded, fsync on)\n`);

  try {
    // 1. webhook ingest ------------------------------------------------------------------------
    if (want('ingest')) {
      const n1 = Math.round(3000 * SCALE);
      const health = await load(n1, 32, async () => {
        const r = await fetch(`${base}/healthz`);
        await r.arrayBuffer();
      });
      const events = Array.from({ length: n1 }, (_, i) =>
        JSON.stringify(chargeEvent(`evt_bench_ingest_${i}`, `ch_bench_ingest_${i}`, 1000 + (i % 50))),
      );
      const ingest = await load(
        n1,
        32,
        async (i) => {
          const body = events[i];
          const sig = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET });
          const r = await fetch(`${base}/webhooks/stripe`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'stripe-signature': sig },
            body,
          });
          if (r.status !== 200) throw new Error(`webhook ${r.status} ${await r.text()}`);
          await r.arrayBuffer();
        },
        (d) => progress('ingest', { done: d, of: n1 }),
      );
      report(
        'webhook ingest (32 concurrent)',
        { perSecond: ingest.perSecond, latencyMs: ingest.latency },
        { perSecond: health.perSecond, latencyMs: health.latency },
        'signed Stripe webhooks verified and committed to the outbox, vs GET /healthz on the same server',
      );
      rows.push({
        name: 'signed Stripe webhook ingest, 32 in flight (per second)',
        figure: ingest.perSecond,
        unit: '/s',
        target: '≥ 3,000/s, p99 ≤ 50 ms',
        met: ingest.perSecond >= 3000 && ingest.latency.p99 <= 50,
        baseline: `p99 ${ingest.latency.p99} ms · GET /healthz ${health.perSecond}/s`,
      });
      await app.get(OutboxWorker).drain();
    }

    // 2. webhook → revenue latency ---------------------------------------------------------------
    if (want('latency')) {
      const samples: number[] = [];
      const postOnly: number[] = [];
      const day = new Date().toISOString().slice(0, 10);
      const summary = async () => {
        const r = await fetch(`${base}/metrics/revenue/summary?startDate=${day}&endDate=${day}&source=stripe`, {
          headers: { 'x-api-key': API_KEY },
        });
        return BigInt(((await r.json()) as { grossCents: string }).grossCents);
      };
      for (let i = 0; i < 40; i++) {
        const before = await summary();
        const body = JSON.stringify(chargeEvent(`evt_bench_latency_${i}`, `ch_bench_latency_${i}`, 777));
        const sig = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET });
        const t0 = performance.now();
        await fetch(`${base}/webhooks/stripe`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'stripe-signature': sig },
          body,
        });
        postOnly.push(performance.now() - t0);
        while ((await summary()) === before) {
          if (performance.now() - t0 > 10_000) throw new Error('webhook never reached revenue');
        }
        samples.push(performance.now() - t0);
      }
      report(
        'webhook → revenue visible',
        { latencyMs: stats(samples) },
        { webhookPostOnlyMs: stats(postOnly) },
        'POST a charge.succeeded webhook, poll the revenue summary until it includes it (worker woken by LISTEN/NOTIFY)',
      );
    }

    // 3. outbox processing throughput ------------------------------------------------------------
    if (want('processing')) {
      const n3 = Math.round(30_000 * SCALE);
      const worker = app.get(OutboxWorker);
      await worker.stop();
      const snapshots = syntheticCharges(n3);
      const outbox = new OutboxInsertRepository();
      for (let i = 0; i < snapshots.length; i += 1000)
        await db.tx((sql) => outbox.insertMany(sql, snapshots.slice(i, i + 1000)));
      const t3 = performance.now();
      const drained = await worker.drain();
      const workerMs = performance.now() - t3;
      const { records } = syntheticLedger(n3, 'bench_direct');
      const payments = new PaymentsRepository();
      const t3b = performance.now();
      for (let i = 0; i < records.length; i += config.worker.batchSize)
        await db.tx((sql) => payments.upsertMany(sql, records.slice(i, i + config.worker.batchSize)));
      const directMs = performance.now() - t3b;
      report(
        'outbox processing',
        {
          rows: drained.processed,
          perSecond: Math.round((drained.processed / workerMs) * 1000),
          ms: Math.round(workerMs),
        },
        { rows: records.length, perSecond: Math.round((records.length / directMs) * 1000), ms: Math.round(directMs) },
        `polled charge snapshots claimed (SKIP LOCKED, batch ${config.worker.batchSize}), normalized and upserted by one worker, vs the same number of ledger upserts written directly`,
      );
      const perSecond = Math.round((drained.processed / workerMs) * 1000);
      rows.push({
        name: 'outbox processing, one worker',
        figure: perSecond,
        unit: 'rows/s',
        target: '≥ 20,000 rows/s',
        met: perSecond >= 20_000,
        baseline: `direct upserts ${Math.round((records.length / directMs) * 1000)} rows/s`,
      });
      await worker.start();
    }

    // 4. revenue at 100k / 1M (/ 10M with BENCH_REVENUE_SCALES) ledger rows ------------------
    if (want('revenue'))
      rows.push(...(await benchRevenue({ base, db, apiKey: API_KEY, webhookSecret: SECRET }, REVENUE_SCALES)));

    // 5. stripe backfill through the SDK -------------------------------------------------------
    if (want('backfill')) {
      const runs = app.get(RunsService);
      const t5 = performance.now();
      const done = await runs.runNow('stripe', 'full', 'job');
      const syncMs = performance.now() - t5;
      const fetched = done.reduce((a, r) => a + r.counts.recordsFetched, 0);
      const t5b = performance.now();
      let raw = 0;
      let after: string | undefined;
      for (;;) {
        const r = await fetch(`${stripeSim.url}/v1/charges?limit=100${after ? `&starting_after=${after}` : ''}`, {
          headers: { authorization: `Bearer ${STRIPE_KEY}` },
        });
        const page = (await r.json()) as { data: { id: string }[]; has_more: boolean };
        raw += page.data.length;
        if (!page.has_more) break;
        after = page.data[page.data.length - 1].id;
      }
      const rawMs = performance.now() - t5b;
      report(
        'stripe full backfill',
        {
          records: fetched,
          perSecond: Math.round((fetched / syncMs) * 1000),
          ms: Math.round(syncMs),
          runs: done.map((r) => `${r.entity}:${r.status}`),
        },
        { charges: raw, perSecond: Math.round((raw / rawMs) * 1000), ms: Math.round(rawMs) },
        'full sync of charges, refunds (and events) via the stripe SDK, Bottleneck and the outbox (one transaction per page), vs plain HTTP paging of the same simulator',
      );
      const perSecond = Math.round((fetched / syncMs) * 1000);
      const rawPerSecond = Math.round((raw / rawMs) * 1000);
      rows.push({
        name: 'Stripe full backfill (records per second)',
        figure: perSecond,
        unit: 'records/s',
        target: '≥ 90 % of raw paging',
        met: perSecond >= 0.9 * rawPerSecond,
        baseline: `raw paging ${rawPerSecond}/s (${Math.round((perSecond / rawPerSecond) * 100)} %)`,
      });
    }
  } finally {
    await app.close();
    await stripeSim.stop();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const file = finish(rows, machine(), { scale: SCALE, revenueScales: REVENUE_SCALES, detail: results });
  process.stdout.write(`results written to ${file}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err?.stack ?? err}\n`);
  process.exit(1);
});
