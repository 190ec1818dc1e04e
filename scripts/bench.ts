/**
 * `npm run bench`: measures Buffalo's hot paths on this machine and prints each figure next to
 * its target and a baseline measured in the same run (so a slow machine shows as a slow baseline,
 * not as a regression). The app runs in this process on its own embedded Postgres (fsync on);
 * every HTTP load comes from a separate process (scripts/bench/load-client.ts), and worker and
 * backfill processes are separate too.
 *
 *  1. ingest       signed POST /webhooks/stripe, 32 in flight           vs  GET /healthz (HTTP floor)
 *  2. processing   outbox rows/s, one and two worker processes          vs  v1 row by row, direct upserts, COPY
 *  3. backfill     Stripe full sync through the SDK + limiter + outbox  vs  raw paging at the same limit
 *  4. revenue      daily/weekly over a year at 100k, 1M (10M) rows      vs  ledger scan, one SQL sum, v1 in memory
 *                  + webhook → revenue visible, trace page and reconciliation report at each size
 *
 *   BENCH_ONLY=ingest,processing,backfill,revenue   a subset (default: all)
 *   BENCH_REVENUE_SCALES=100000,1000000,10000000    ledger sizes (default 100k and 1M; 10M takes ~15 min)
 *   BENCH_BACKFILL_CHARGES=1000000                  also the 1M-charge backfill with its peak RSS
 *   BENCH_SCALE=1                                   multiplies the ingest/processing/backfill sizes
 *   BENCH_JOB_PROF=/tmp/prof                        CPU profiles of the backfill job processes, in that folder
 */
import 'reflect-metadata';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { createApp } from '../src/app.bootstrap.js';
import { loadConfig } from '../src/config/app.config.js';
import { logger } from '../src/common/app.logger.js';
import { startEmbeddedPostgres } from '../src/database/database.embedded.js';
import { Database } from '../src/database/database.sql.js';
import { createOrm, runMigrations } from '../src/database/database.orm.js';
import { OutboxWorker } from '../src/outbox/outbox.worker.js';
import { benchBackfill, benchBackfillRss } from './bench/backfill.js';
import { fmt, type BenchRow } from './bench/bench-row.js';
import { benchIngest } from './bench/ingest.js';
import { machine, progress } from './bench/measure.js';
import { benchProcessing } from './bench/processing.js';
import { finish } from './bench/report.js';
import { benchRevenue } from './bench/revenue.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const REVENUE_SCALES = (process.env.BENCH_REVENUE_SCALES ?? '100000,1000000').split(',').map(Number);
const ONLY = new Set((process.env.BENCH_ONLY ?? 'ingest,processing,backfill,revenue').split(','));
const BIG_BACKFILL = Number(process.env.BENCH_BACKFILL_CHARGES ?? 0);
const API_KEY = 'bench-read-key-0123456789';
const SECRET = 'whsec_bench_only_not_a_real_secret';

async function main() {
  logger.setSilent(true);
  process.stdout.write(`# Buffalo benchmarks\nmachine: ${JSON.stringify(machine())}\nscale: ${SCALE}\n`);
  const dir = resolve('.data/bench-pg');
  rmSync(dir, { recursive: true, force: true });
  const pg = await startEmbeddedPostgres(dir);
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: pg.url,
    API_KEY,
    ADMIN_API_KEY: 'bench-admin-key-0123456789',
    STRIPE_API_KEY: 'sk_test_bench_only',
    STRIPE_WEBHOOK_SECRET: SECRET,
    SCHEDULER: 'off',
    WORKER: 'off',
    LOG_LEVEL: 'error',
    RATE_LIMIT_PER_S: '0',
    // Tuning experiments: WORKER_BATCH_SIZE / WORKER_CONCURRENCY from the environment.
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('WORKER_'))),
  } as Record<string, string>;
  const app = await createApp(loadConfig(env));
  await app.listen(0, '127.0.0.1');
  const addr = app.getHttpServer().address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const db = app.get(Database);
  const pgVersion = (await db.query<{ server_version: string }>('SHOW server_version'))[0].server_version;
  process.stdout.write(`postgres: ${pgVersion} (embedded, fsync on)\n`);
  const rows: BenchRow[] = [];
  const print = (r: BenchRow[]) => {
    for (const x of r)
      process.stdout.write(
        `${x.met === null ? ' ' : x.met ? '✓' : '✗'} ${x.name}: ${fmt(x.figure)} ${x.unit} (target ${x.target}; baseline ${x.baseline})\n`,
      );
    rows.push(...r);
  };
  try {
    if (ONLY.has('ingest')) {
      progress('bench: ingest');
      {
        // Postgres's backends and background processes (WAL writer, checkpointer…): CPU accounting.
        const pids = (await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity')).map((r) => r.pid);
        print(
          await benchIngest({
            baseUrl: base,
            secret: SECRET,
            total: Math.round(20_000 * SCALE),
            prefix: 'bench',
            postgresPids: pids,
          }),
        );
      }
      // What ingest stored is the processing bench's business, not the revenue bench's.
      await db.query(`DELETE FROM ingest_outbox WHERE status = 'queued'`);
    }
    if (ONLY.has('processing')) {
      progress('bench: processing');
      print(await benchProcessing({ app, databaseUrl: pg.url, env, rows: Math.round(50_000 * SCALE) }));
    }
    if (ONLY.has('backfill')) {
      progress('bench: backfill');
      // Its own database on the same server: a backfill leaves its whole history queued in the
      // outbox, which would sit in front of the revenue bench's webhooks.
      await db.query('DROP DATABASE IF EXISTS bench_backfill');
      await db.query('CREATE DATABASE bench_backfill');
      const databaseUrl = Object.assign(new URL(pg.url), { pathname: '/bench_backfill' }).toString();
      const orm = await createOrm(databaseUrl);
      await runMigrations(orm);
      await orm.close();
      print(await benchBackfill({ databaseUrl, charges: Math.round(20_000 * SCALE) }));
      if (BIG_BACKFILL > 0) print(await benchBackfillRss({ databaseUrl, charges: BIG_BACKFILL }));
      await db.query('DROP DATABASE bench_backfill WITH (FORCE)');
    }
    if (ONLY.has('revenue')) {
      progress('bench: revenue', { scales: REVENUE_SCALES });
      // Revenue visibility needs the worker awake (LISTEN/NOTIFY), as in production.
      await app.get(OutboxWorker).start();
      print(await benchRevenue({ base, db, apiKey: API_KEY, webhookSecret: SECRET }, REVENUE_SCALES));
    }
  } finally {
    await app.close();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const file = finish(rows, machine(), { scale: SCALE, revenueScales: REVENUE_SCALES, postgres: pgVersion });
  process.stdout.write(`results written to ${file}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err?.stack ?? err}\n`);
  process.exit(1);
});
