import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { INestApplicationContext } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../src/config/app.config.js';
import { Database, type Sql } from '../../src/database/database.sql.js';
import { OutboxWorker } from '../../src/outbox/outbox.worker.js';
import { OutboxInsertRepository } from '../../src/outbox/outbox-insert.repository.js';
import type { OutboxInsert } from '../../src/outbox/outbox.types.js';
import { PaymentsRepository } from '../../src/records/payments.repository.js';
import type { PaymentRecord } from '../../src/records/record.types.js';
import { snapshotRow } from '../../src/connectors/stripe/stripe.outbox-rows.js';
import { stripeCharge } from './fixtures.js';
import { fmt, type BenchRow } from './bench-row.js';
import { progress } from './measure.js';

export interface ProcessingBenchOptions {
  /** The app (its worker is stopped and drained by hand here). */
  app: INestApplicationContext;
  databaseUrl: string;
  /** The app's environment: worker processes get the same, with the worker role. */
  env: Record<string, string>;
  /** Outbox rows per measurement (default 50,000). */
  rows?: number;
  /** Rows for the v1 row-by-row baseline (default rows / 10). */
  v1Rows?: number;
}

const perS = (n: number, ms: number) => Math.round((n / ms) * 1000);

/** n polled charge snapshots with ids unique to `prefix`, spread over a year (realistic rollup fan-out). */
function chargeRows(n: number, prefix: string): OutboxInsert[] {
  const now = Math.floor(Date.now() / 1000);
  const fetchedAt = new Date();
  return Array.from({ length: n }, (_, i) =>
    snapshotRow(
      stripeCharge(
        `ch_${prefix}_${i}`,
        500 + ((i * 7919) % 50_000),
        now - ((i * 104_729) % (365 * 86_400)),
        i % 5 ? 'usd' : 'eur',
      ),
      fetchedAt,
    ),
  );
}

function ledgerRows(n: number, prefix: string): PaymentRecord[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => {
    const at = new Date(now - ((i * 104_729) % (365 * 86_400)) * 1000);
    return {
      source: 'stripe',
      kind: 'charge',
      externalId: `${prefix}_${i}`,
      parentExternalId: null,
      amountCents: BigInt(500 + ((i * 7919) % 50_000)),
      currency: i % 5 ? 'USD' : 'EUR',
      status: 'SUCCEEDED',
      rawStatus: 'succeeded',
      effect: 'gross',
      occurredAt: at,
      customerRef: null,
      description: 'bench',
      deletedAt: null,
      version: { at, rank: 2, tiebreak: '' },
    };
  });
}

/** Seconds from `since` (a DB timestamp) to the last settle of a row with this dedupe prefix. */
async function drainedAfter(
  db: Database,
  prefix: string,
  since: string,
  n: number,
  timeoutMs = 600_000,
): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const [r] = await db.query<{ left: string; last: string | null }>(
      `SELECT count(*) FILTER (WHERE status NOT IN ('done','ignored','dead')) AS left,
              extract(epoch FROM max(processed_at) - $2::timestamptz) AS last
         FROM ingest_outbox WHERE source = 'stripe' AND dedupe_key LIKE $1`,
      [`charge:ch_${prefix}_%`, since],
    );
    if (Number(r.left) === 0 && r.last !== null) return Number(r.last) * 1000;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${prefix}: ${r.left} of ${n} rows still unprocessed`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

/**
 * Queues the rows in one transaction (every worker sees the whole queue at once: NOTIFY on
 * commit) and returns the ms from that commit to the last row settled.
 */
async function timedQueue(db: Database, rows: OutboxInsert[], tag: string): Promise<number> {
  const outbox = new OutboxInsertRepository();
  await db.tx(async (sql) => {
    for (let i = 0; i < rows.length; i += 5000) await outbox.insertMany(sql, rows.slice(i, i + 5000));
  });
  const [{ t }] = await db.query<{ t: string }>(`SELECT clock_timestamp()::text AS t`);
  return drainedAfter(db, tag, t, rows.length);
}

/** Starts `count` `npm run worker` processes (compiled, from dist-dev) and resolves once each runs. */
async function startWorkers(count: number, env: Record<string, string>): Promise<ChildProcess[]> {
  const entry = fileURLToPath(new URL('../../src/worker.js', import.meta.url));
  const procs: ChildProcess[] = [];
  await Promise.all(
    Array.from({ length: count }, () => {
      const p = spawn(process.execPath, [entry], {
        env: { ...process.env, ...env, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      procs.push(p);
      return new Promise<void>((resolve, reject) => {
        let buf = '';
        const onData = (c: Buffer) => {
          buf += c.toString();
          if (buf.includes('buffalo worker running')) {
            p.stdout.off('data', onData);
            p.stdout.resume();
            resolve();
          }
        };
        p.stdout.on('data', onData);
        p.once('exit', (code) => reject(new Error(`worker exited ${code} before it ran`)));
      });
    }),
  );
  return procs;
}

async function stopWorkers(procs: ChildProcess[]): Promise<void> {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.exitCode !== null) return resolve();
          p.once('exit', () => resolve());
          p.kill('SIGTERM');
        }),
    ),
  );
}

async function processes(count: number, o: ProcessingBenchOptions, db: Database, n: number, tag: string) {
  const procs = await startWorkers(count, { ...o.env, DATABASE_URL: o.databaseUrl, WORKER: 'on', SCHEDULER: 'off' });
  try {
    const ms = await timedQueue(db, chargeRows(n, tag), tag);
    return { rows: n, ms: Math.round(ms), perSecond: perS(n, ms) };
  } finally {
    await stopWorkers(procs);
  }
}

/** v1: look the row up, then insert or update it, one transaction per row. */
async function findThenWrite(sql: Sql, r: PaymentRecord): Promise<void> {
  const found = await sql.query<{ version_at: string }>(
    `SELECT version_at FROM payments WHERE source = $1 AND external_id = $2 FOR UPDATE`,
    [r.source, r.externalId],
  );
  if (found.length === 0) {
    await sql.query(
      `INSERT INTO payments (source, kind, external_id, amount_cents, currency, status, raw_status, effect, occurred_at,
                             description, version_at, version_rank, version_tiebreak)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
      [
        r.source,
        r.kind,
        r.externalId,
        r.amountCents.toString(),
        r.currency,
        r.status,
        r.rawStatus,
        r.effect,
        r.occurredAt.toISOString(),
        r.description,
        r.version.at.toISOString(),
        r.version.rank,
        r.version.tiebreak,
      ],
    );
  } else if (new Date(found[0].version_at) < r.version.at) {
    await sql.query(`UPDATE payments SET amount_cents = $3, status = $4 WHERE source = $1 AND external_id = $2`, [
      r.source,
      r.externalId,
      r.amountCents.toString(),
      r.status,
    ]);
  }
}

const COPY_COLUMNS =
  'source, kind, external_id, amount_cents, currency, status, raw_status, effect, occurred_at, version_at';

/**
 * Outbox processing (issue 9 item 3): rows/s that one worker claims, maps and upserts into the
 * ledger (rollup triggers included), beside what the same records cost written directly, and the
 * ceilings below that: plain multi-row INSERT and COPY into a bare copy of the ledger table.
 * Then one and two `npm run worker` processes on the same Postgres, and v1's find-then-write.
 */
export async function benchProcessing(o: ProcessingBenchOptions): Promise<BenchRow[]> {
  const n = o.rows ?? 50_000;
  const db = o.app.get(Database);
  const config = o.app.get<AppConfig>(APP_CONFIG);
  const batch = config.worker.batchSize;
  const worker = o.app.get(OutboxWorker);
  await worker.stop();
  await worker.drain();
  const run = Date.now().toString(36);

  // 1. One worker, in process: its claim loop (WORKER_CONCURRENCY loops), woken by the commit.
  const w1 = `w1${run}`;
  await worker.start();
  const workerMs = await timedQueue(db, chargeRows(n, w1), w1);
  await worker.stop();
  progress('processing: one worker', { perSecond: perS(n, workerMs) });
  let t: number;

  // 2. The same ledger writes without the queue: set-based upserts, with and without the rollup triggers.
  const payments = new PaymentsRepository();
  const direct = async (prefix: string, triggers: boolean) => {
    const recs = ledgerRows(n, prefix);
    const t0 = performance.now();
    for (let i = 0; i < n; i += batch)
      await db.tx(async (sql) => {
        if (!triggers) await sql.query(`SET LOCAL session_replication_role = replica`);
        await payments.upsertMany(sql, recs.slice(i, i + batch));
      });
    return perS(n, performance.now() - t0);
  };
  const directWith = await direct(`dw${run}`, true);
  const directWithout = await direct(`dn${run}`, false);
  progress('processing: direct upserts', { directWith, directWithout });

  // 3. Ceilings: a bare table shaped like the ledger (no indexes, no triggers).
  await db.query(`DROP TABLE IF EXISTS bench_ledger_ceiling`);
  await db.query(`CREATE TABLE bench_ledger_ceiling (LIKE payments INCLUDING DEFAULTS)`);
  const recs = ledgerRows(n, `ci${run}`);
  t = performance.now();
  for (let i = 0; i < n; i += batch) {
    const part = recs.slice(i, i + batch);
    await db.query(
      `INSERT INTO bench_ledger_ceiling (${COPY_COLUMNS})
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::timestamptz[])`,
      [
        part.map((r) => r.source),
        part.map((r) => r.kind),
        part.map((r) => r.externalId),
        part.map((r) => r.amountCents.toString()),
        part.map((r) => r.currency),
        part.map((r) => r.status),
        part.map((r) => r.rawStatus),
        part.map((r) => r.effect),
        part.map((r) => r.occurredAt.toISOString()),
        part.map((r) => r.version.at.toISOString()),
      ],
    );
  }
  const insertCeiling = perS(n, performance.now() - t);
  // COPY from a server-side file (the embedded cluster runs on this machine; superuser).
  const file = join(tmpdir(), `buffalo-bench-copy-${process.pid}.csv`);
  writeFileSync(
    file,
    recs
      .map((r) =>
        [
          r.source,
          r.kind,
          `cp_${r.externalId}`,
          r.amountCents,
          r.currency,
          r.status,
          r.rawStatus,
          r.effect,
          r.occurredAt.toISOString(),
          r.version.at.toISOString(),
        ].join(','),
      )
      .join('\n'),
  );
  chmodSync(file, 0o644);
  t = performance.now();
  await db.query(`COPY bench_ledger_ceiling (${COPY_COLUMNS}) FROM '${file}' WITH (FORMAT csv)`);
  const copyCeiling = perS(n, performance.now() - t);
  rmSync(file, { force: true });
  await db.query(`DROP TABLE bench_ledger_ceiling`);
  progress('processing: ceilings', { insertCeiling, copyCeiling });

  // 4. v1: find then write, row by row.
  const v1n = o.v1Rows ?? Math.max(500, Math.round(n / 10));
  const v1recs = ledgerRows(v1n, `v1${run}`);
  t = performance.now();
  for (const r of v1recs) await db.tx((sql) => findThenWrite(sql, r));
  const v1 = perS(v1n, performance.now() - t);
  progress('processing: v1 find-then-write', { v1 });

  // 5. Worker processes on one Postgres.
  const one = await processes(1, o, db, n, `p1${run}`);
  progress('processing: one worker process', one);
  const two = await processes(2, o, db, n, `p2${run}`);
  progress('processing: two worker processes', two);

  const inProcess = perS(n, workerMs);
  const baseline = `direct set-based upserts ${fmt(directWith)}/s (${fmt(directWithout)}/s without rollup triggers); INSERT ceiling ${fmt(insertCeiling)}/s, COPY ${fmt(copyCeiling)}/s; v1 find-then-write ${fmt(v1)}/s`;
  return [
    {
      name: `outbox processing, one worker (batch ${batch} × ${config.worker.concurrency} loops, ${fmt(n)} charge snapshots)`,
      figure: inProcess,
      unit: 'rows/s',
      target: '≥ 20,000/s',
      baseline,
      met: inProcess >= 20_000,
      detail: {
        rows: n,
        ms: Math.round(workerMs),
        batch,
        concurrency: config.worker.concurrency,
        directWith,
        directWithout,
        insertCeiling,
        copyCeiling,
        v1,
        v1Rows: v1n,
      },
    },
    {
      name: 'rollup triggers: cost on direct ledger upserts',
      figure: Math.round((1 - directWith / directWithout) * 100),
      unit: '% slower',
      target: '—',
      baseline: `${fmt(directWithout)}/s without, ${fmt(directWith)}/s with`,
      met: null,
    },
    {
      name: 'outbox processing, one worker process',
      figure: one.perSecond,
      unit: 'rows/s',
      target: '≥ 20,000/s',
      baseline: `in-process worker ${fmt(inProcess)}/s`,
      met: one.perSecond >= 20_000,
      detail: one,
    },
    {
      name: 'outbox processing, two worker processes on one Postgres',
      figure: two.perSecond,
      unit: 'rows/s',
      target: 'speedup over one process',
      baseline: `one process ${fmt(one.perSecond)}/s (speedup ×${(two.perSecond / one.perSecond).toFixed(2)})`,
      met: null,
      detail: two,
    },
    {
      name: 'v1 baseline: find then write, row by row',
      figure: v1,
      unit: 'rows/s',
      target: '—',
      baseline: `one worker ${fmt(inProcess)}/s (×${(inProcess / v1).toFixed(1)})`,
      met: null,
    },
  ];
}
