/**
 * `npm run bench:trace`: what "Explain a figure" costs on a large ledger. Seeds TRACE_ROWS ledger
 * rows (default 200,000; Stripe and HubSpot, USD and EUR, over two years) through the real
 * PaymentsRepository with lineage (every other row also has an older event that lost), then times
 * over HTTP, on the real app and its own embedded Postgres:
 *  - GET /metrics/revenue/trace over the last 366 days with limit=1000: the first page and a page
 *    from the middle (cursor), each including the summary figure read in the same snapshot;
 *  - GET /records/payments/:source/:externalId;
 *  - GET /metrics/revenue/summary for the same query, as the baseline the trace builds on.
 * Prints medians and p95 of 30 requests each. Not part of `npm test`: a measurement, not a check.
 */
import 'reflect-metadata';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { createApp } from '../src/app.bootstrap.js';
import { logger } from '../src/common/app.logger.js';
import { loadConfig } from '../src/config/app.config.js';
import { startEmbeddedPostgres } from '../src/database/database.embedded.js';
import { Database } from '../src/database/database.sql.js';
import { lineageEvent } from '../src/records/payment-lineage.repository.js';
import { PaymentsRepository } from '../src/records/payments.repository.js';
import { machine, stats } from './bench/measure.js';
import { syntheticLedger } from './bench/fixtures.js';

const ROWS = Number(process.env.TRACE_ROWS ?? 200_000);
const API_KEY = 'trace-cost-read-key-0123456789';
const RUNS = 30;

async function main() {
  logger.setSilent(true);
  const dir = resolve('.data/trace-cost-pg');
  rmSync(dir, { recursive: true, force: true });
  const pg = await startEmbeddedPostgres(dir);
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: pg.url,
    API_KEY,
    ADMIN_API_KEY: 'trace-cost-admin-key-0123456789',
    SCHEDULER: 'off',
    WORKER: 'off',
    LOG_LEVEL: 'error',
    RATE_LIMIT_PER_S: '0',
  });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const addr = app.getHttpServer().address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const db = app.get(Database);
  const payments = app.get(PaymentsRepository);
  try {
    const t0 = performance.now();
    const { records, from, to } = syntheticLedger(ROWS, 'tc');
    let outbox = 0;
    const event = (r: (typeof records)[number], type: string) =>
      lineageEvent({
        id: String(++outbox),
        origin: outbox % 3 === 0 ? 'poll' : 'webhook',
        dedupeKey: `evt_tc_${outbox}`,
        eventType: type,
        receivedAt: r.version.at,
        payload: { id: `evt_tc_${outbox}`, object: r.externalId },
      });
    for (let i = 0; i < records.length; i += 5000) {
      const batch = records.slice(i, i + 5000).flatMap((r, j) => {
        const won = event(r, 'charge.succeeded');
        const current = { ...r, outboxId: won.outboxId, lineage: won };
        if (j % 2) return [current];
        const lost = event(r, 'charge.pending');
        const older = { ...r, status: 'PENDING' as const, effect: 'none' as const, version: { ...r.version, rank: 1 } };
        return [current, { ...older, outboxId: lost.outboxId, lineage: lost }];
      });
      await db.tx((sql) => payments.upsertMany(sql, batch));
    }
    await db.query('VACUUM ANALYZE payments');
    await db.query('VACUUM ANALYZE payment_lineage');
    const [size] = await db.query<{ payments: string; lineage: string; lineage_rows: string }>(
      `SELECT pg_size_pretty(pg_total_relation_size('payments')) AS payments,
              pg_size_pretty(pg_total_relation_size('payment_lineage')) AS lineage,
              (SELECT count(*) FROM payment_lineage)::text AS lineage_rows`,
    );
    process.stdout.write(
      `# trace cost\nmachine: ${JSON.stringify(machine())}\nledger: ${ROWS} rows (${size.payments}), lineage: ${size.lineage_rows} rows (${size.lineage}), seeded in ${Math.round(performance.now() - t0)} ms\n`,
    );

    const get = async (path: string) => {
      const r = await fetch(`${base}${path}`, { headers: { 'x-api-key': API_KEY } });
      if (r.status !== 200) throw new Error(`${path} → ${r.status} ${await r.text()}`);
      return r.json() as Promise<Record<string, unknown>>;
    };
    const time = async (name: string, path: string) => {
      await get(path); // warm
      const samples: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const s = performance.now();
        await get(path);
        samples.push(performance.now() - s);
      }
      const st = stats(samples);
      process.stdout.write(`${name}: ${JSON.stringify(st)}\n`);
    };

    const query = `startDate=${from}&endDate=${to}&currency=USD`;
    const first = (await get(`/metrics/revenue/trace?${query}&limit=1000`)) as {
      rows: Array<{ externalId: string; events: unknown[] }>;
      nextCursor: string;
      figure: { count: number; refundCount: number };
    };
    process.stdout.write(
      `window: ${from}..${to} USD, ${first.figure.count + first.figure.refundCount} counted rows; a page holds ${first.rows.length} rows and ${first.rows.reduce((n, r) => n + r.events.length, 0)} events\n`,
    );
    let cursor = first.nextCursor;
    for (let i = 0; i < 40 && cursor; i++)
      cursor = ((await get(`/metrics/revenue/trace?${query}&limit=1000&cursor=${cursor}`)) as { nextCursor: string })
        .nextCursor;
    await time('summary (baseline)', `/metrics/revenue/summary?${query}`);
    await time('trace, first page, limit=1000', `/metrics/revenue/trace?${query}&limit=1000`);
    await time('trace, 41st page, limit=1000', `/metrics/revenue/trace?${query}&limit=1000&cursor=${cursor}`);
    await time('trace, limit=100', `/metrics/revenue/trace?${query}&limit=100`);
    await time('record', `/records/payments/${records[0].source}/${records[0].externalId}`);
  } finally {
    await app.close();
    await pg.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
