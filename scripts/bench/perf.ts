/**
 * Ingest, processing and backfill figures of issue 9 on their own (the full `npm run bench` calls
 * the same functions). `npm run build:dev && node dist-dev/scripts/bench/perf.js`
 *
 *   BENCH_ONLY=ingest,processing,backfill   which parts (default: all three)
 *   BENCH_SCALE=1                           multiplies the sizes
 *   BENCH_BACKFILL_CHARGES=1000000          also the 1M-charge backfill with its RSS peak
 */
import 'reflect-metadata';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { createApp } from '../../src/app.bootstrap.js';
import { loadConfig } from '../../src/config/app.config.js';
import { logger } from '../../src/common/app.logger.js';
import { startEmbeddedPostgres } from '../../src/database/database.embedded.js';
import { OutboxWorker } from '../../src/outbox/outbox.worker.js';
import { fmt, type BenchRow } from './bench-row.js';
import { benchIngest } from './ingest.js';
import { benchProcessing } from './processing.js';
import { benchBackfill, benchBackfillRss } from './backfill.js';
import { machine } from './measure.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const ONLY = new Set((process.env.BENCH_ONLY ?? 'ingest,processing,backfill').split(','));
const SECRET = 'whsec_bench_only_not_a_real_secret';
const STRIPE_KEY = 'sk_test_bench_only';

async function main() {
  logger.setSilent(true);
  process.stdout.write(`# Buffalo perf (ingest, processing, backfill)\nmachine: ${JSON.stringify(machine())}\n`);
  const dir = resolve('.data/bench-perf-pg');
  rmSync(dir, { recursive: true, force: true });
  const pg = await startEmbeddedPostgres(dir);
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: pg.url,
    API_KEY: 'bench-read-key-0123456789',
    ADMIN_API_KEY: 'bench-admin-key-0123456789',
    STRIPE_API_KEY: STRIPE_KEY,
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
  const baseUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const rows: BenchRow[] = [];
  const print = (r: BenchRow[]) => {
    for (const x of r)
      process.stdout.write(
        `${x.met === null ? ' ' : x.met ? '✓' : '✗'} ${x.name}: ${fmt(x.figure)} ${x.unit} (target ${x.target}; baseline ${x.baseline})\n`,
      );
    rows.push(...r);
  };
  try {
    if (ONLY.has('ingest'))
      print(await benchIngest({ baseUrl, secret: SECRET, total: Math.round(5000 * SCALE), prefix: 'perf' }));
    if (ONLY.has('processing'))
      print(await benchProcessing({ app, databaseUrl: pg.url, env, rows: Math.round(50_000 * SCALE) }));
    await app.get(OutboxWorker).stop();
    if (ONLY.has('backfill')) print(await benchBackfill({ databaseUrl: pg.url, charges: Math.round(20_000 * SCALE) }));
    const big = Number(process.env.BENCH_BACKFILL_CHARGES ?? 0);
    if (big > 0) print(await benchBackfillRss({ databaseUrl: pg.url, charges: big }));
  } finally {
    await app.close();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify({ machine: machine(), scale: SCALE, rows })}\n`);
}

main().catch((err) => {
  process.stderr.write(`perf bench failed: ${err?.stack ?? err}\n`);
  process.exit(1);
});
