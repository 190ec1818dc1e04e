import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { loadConfig } from '../../src/config/app.config.js';
import { StripeGateway } from '../../src/connectors/stripe/stripe.gateway.js';
import { StripeOutboxHandler } from '../../src/connectors/stripe/stripe-outbox.handler.js';
import { StripeSyncDriver } from '../../src/connectors/stripe/stripe-sync.driver.js';
import { PgLocks } from '../../src/database/database.locks.js';
import { createOrm } from '../../src/database/database.orm.js';
import { Database } from '../../src/database/database.sql.js';
import { OutboxHandlerRegistry } from '../../src/outbox/outbox.handlers.js';
import { LedgerFiguresRepository } from '../../src/records/ledger-figures.repository.js';
import { PaymentsRepository } from '../../src/records/payments.repository.js';
import { RevenueService } from '../../src/revenue/revenue.service.js';
import { summaryJson } from '../../src/revenue/revenue.view.js';
import { RunsRepository } from '../../src/runs/runs.repository.js';
import type { RunQueueOptions } from '../../src/runs/runs.worker.js';
import { SyncDriverRegistry, type SyncContext, type SyncDriver } from '../../src/runs/sync.drivers.js';
import {
  generateStripeDataset,
  startStripeSimulator,
  type StripeCharge,
  type StripeDataset,
  type StripeSimulator,
} from '../../scripts/sandbox/stripe/index.js';
import { openTestDb } from '../support/db.js';
import { buildWorker } from '../support/outbox-test-kit.js';
import { Gate, pageRows, runsServiceFor, ScriptedDriver, waitForStatus } from '../support/runs-test-driver.js';

const KEY = 'sk_test_runs_queue_0123456789';
const END = 1_790_000_000;
const CHARGES = 400;
const PAGE = 50;

/** Short leases, so that a dead process's runs come back within the test. */
const FAST: Partial<RunQueueOptions> = { leaseMs: 1_000, heartbeatMs: 150, lockedRetryMs: 200 };
/** A worker whose claim loop is on, polling (every process of these tests shares one database). */
const LOOPING: Partial<RunQueueOptions> = { ...FAST, loop: true, listen: false, pollMs: 100 };

/** The driver as a process runs it, but the process freezes for good right after committing page `pages`. */
class DiesAfterPage implements SyncDriver {
  readonly died = new Gate();
  constructor(
    private readonly inner: SyncDriver,
    private readonly pages: number,
  ) {}
  get source() {
    return this.inner.source;
  }
  entities() {
    return this.inner.entities();
  }
  enabled() {
    return true;
  }
  async sync(ctx: SyncContext): Promise<void> {
    let committed = 0;
    const freezeIfDue = async () => {
      if (committed < this.pages) return;
      this.died.open();
      await new Promise<never>(() => undefined);
    };
    await freezeIfDue();
    await this.inner.sync({
      ...ctx,
      // A commit may hold several pages (those fetched while the previous one committed).
      commitPage: async (rows, cursor, pages = 1) => {
        const res = await ctx.commitPage(rows, cursor, pages);
        committed += pages;
        await freezeIfDue();
        return res;
      },
    });
  }
}

/** Records the cursor each run starts from, then runs the real driver. */
class Recording implements SyncDriver {
  readonly starts: { runId: string; mode: string; cursor: unknown }[] = [];
  constructor(private readonly inner: SyncDriver) {}
  get source() {
    return this.inner.source;
  }
  entities() {
    return this.inner.entities();
  }
  enabled() {
    return true;
  }
  sync(ctx: SyncContext): Promise<void> {
    this.starts.push({ runId: ctx.runId, mode: ctx.mode, cursor: ctx.cursor });
    return this.inner.sync(ctx);
  }
}

/**
 * Runs are queued work shared by every worker on the database: two workers never run the same
 * run, and a run whose process dies (kill -9: its connections vanish, its heartbeat stops) is
 * claimed again once its lease expires and resumes from its last committed cursor.
 */
describe('sync runs as queued work across processes', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  let sim: StripeSimulator;
  let dataset: StripeDataset;
  let env: Record<string, string>;
  const others: { kill(): Promise<void> }[] = [];

  beforeAll(async () => {
    t = await openTestDb();
    dataset = generateStripeDataset({ seed: 31, charges: CHARGES, end: END });
    sim = await startStripeSimulator({ apiKey: KEY, dataset, clock: () => END + 3600 });
    env = {
      STRIPE_API_KEY: KEY,
      STRIPE_API_BASE: sim.url,
      STRIPE_PAGE_SIZE: String(PAGE),
      STRIPE_RATE_LIMIT_PER_S: '100',
      STRIPE_MAX_RETRIES: '0',
    };
  });
  afterAll(async () => {
    for (const p of others) await p.kill();
    await sim?.stop();
    await t?.close();
  });

  const stripeDriver = () => {
    const config = loadConfig({ NODE_ENV: 'test', ...env });
    const driver = new StripeSyncDriver(config, new StripeGateway(config), new SyncDriverRegistry());
    driver.now = () => END + 3600;
    return driver;
  };

  /**
   * Another process on the same database: its own pool, lock sessions and worker. `kill()` is
   * kill -9 as Postgres sees it: the pool takes no more queries (so no heartbeat renews anything)
   * and its lock sessions are cut, which releases their advisory locks.
   */
  async function otherProcess(drivers: SyncDriver[], queue: Partial<RunQueueOptions>) {
    const orm = await createOrm(t.url, 5);
    const pool: pg.Pool = await orm.em.getConnection().getNativeClient();
    // A killed process hears nothing of its cut connections; here nobody must have to listen either.
    const muted = new WeakSet<object>();
    pool.on('error', () => undefined);
    pool.on('acquire', (client) => {
      if (muted.has(client)) return;
      muted.add(client);
      client.on('error', () => undefined);
    });
    const locks = new PgLocks(orm);
    const proc = runsServiceFor(new Database(orm), locks, drivers, env, queue);
    let dead = false;
    const handle = {
      ...proc,
      async kill() {
        if (dead) return;
        dead = true;
        void orm.close(true).catch(() => undefined);
        void locks.close();
        await t.db.query(
          `SELECT pg_terminate_backend(l.pid) FROM pg_locks l
            WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid()
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        );
      },
    };
    others.push(handle);
    return handle;
  }

  const cursorOf = async (entity: string) =>
    (
      await t.db.query<{ cursor: any; run_id: string }>(
        `SELECT cursor, run_id FROM sync_cursors WHERE source = 'stripe' AND entity = $1`,
        [entity],
      )
    )[0] ?? null;

  it('kill -9 after page 3: the run is claimed again when its lease expires and resumes from page 3’s cursor; nothing lost, nothing twice, revenue exact', async () => {
    const dying = new DiesAfterPage(stripeDriver(), 3);
    const a = await otherProcess([dying], FAST);
    const { runIds } = await a.service.trigger('stripe', 'incremental', { entities: ['charges'] });
    const runId = runIds[0];
    await dying.died.opened;

    const before = (
      await t.db.query<{ status: string; attempts: number; pages_fetched: number; lease_owner: string }>(
        `SELECT status, attempts, pages_fetched, lease_owner FROM sync_runs WHERE id = $1`,
        [runId],
      )
    )[0];
    expect(before).toMatchObject({ status: 'running', attempts: 1 });
    // At least 3 pages, more if the third commit held pages fetched while the second committed.
    expect(before.pages_fetched).toBeGreaterThanOrEqual(3);
    const newestFirst = sim.state.list<StripeCharge>('charges').map((c) => c.id);
    const atDeath = await cursorOf('charges');
    expect(atDeath.run_id).toBe(runId);
    expect(atDeath.cursor).toMatchObject({
      plan: { passes: [{ list: 'charges', startingAfter: newestFirst[before.pages_fetched * PAGE - 1] }] },
    });

    await a.kill();

    // Another worker, with its claim loop on: nothing to claim until the dead process's lease expires.
    const resumer = new Recording(stripeDriver());
    const b = runsServiceFor(t.db, t.locks, [resumer], env, LOOPING);
    try {
      const run = await waitForStatus(b.repo, runId, ['succeeded', 'partial', 'failed'], 20_000);
      expect(run).toMatchObject({
        status: 'succeeded',
        attempts: 2,
        mode: 'incremental',
        cursorBefore: null,
        fullBackfillTriggered: true,
        counts: {
          recordsFetched: CHARGES,
          recordsUpserted: CHARGES,
          recordsDeduped: 0,
        },
      });
      // The resumed attempt finishes the interrupted listing, then looks at the window since (one more page).
      expect(run.counts.pagesFetched).toBe(CHARGES / PAGE + 1);
      // It picked up where the dead process had committed, not from the start.
      expect(resumer.starts).toEqual([{ runId, mode: 'incremental', cursor: atDeath.cursor }]);
      expect(run.cursorAfter).toEqual({ v: 1, watermark: END + 3600, plan: null });
      expect(
        (await t.db.query<{ lease_owner: string }>(`SELECT lease_owner FROM sync_runs WHERE id = $1`, [runId]))[0]
          .lease_owner,
      ).toMatch(new RegExp(`^${b.worker.workerId}#`));
    } finally {
      await b.service.shutdown();
    }

    // Every charge is in the outbox exactly once, each row written by this run.
    const stored = await t.db.query<{ id: string; n: string; runs: string[] }>(
      `SELECT payload->>'id' AS id, count(*) AS n, array_agg(DISTINCT run_id::text) AS runs FROM ingest_outbox
        WHERE kind = 'stripe.charge' GROUP BY 1`,
    );
    expect(stored).toHaveLength(CHARGES);
    expect(new Set(stored.map((r) => r.id))).toEqual(new Set(newestFirst));
    expect(stored.every((r) => Number(r.n) === 1 && r.runs.length === 1 && r.runs[0] === runId)).toBe(true);

    // The ledger and revenue built from them are exact.
    const handler = new StripeOutboxHandler(new OutboxHandlerRegistry(), new PaymentsRepository());
    const drained = await buildWorker(t, [handler]).drain();
    expect(drained).toEqual({ processed: CHARGES, failed: 0 });
    const revenue = new RevenueService(t.db, new LedgerFiguresRepository());
    const days = dataset.charges.map((c) => new Date(c.created * 1000).toISOString().slice(0, 10)).sort();
    for (const currency of ['USD', 'EUR', 'JPY']) {
      const counted = dataset.charges.filter(
        (c) => c.currency === currency.toLowerCase() && c.status === 'succeeded' && c.captured,
      );
      const summary = summaryJson(
        await revenue.report({ startDate: days[0], endDate: days.at(-1)!, source: 'stripe', currency, tz: 'UTC' }),
      );
      expect(summary, currency).toMatchObject({
        grossCents: counted.reduce((s, c) => s + BigInt(c.amount_captured), 0n).toString(),
        refundsCents: '0',
        count: counted.length,
      });
    }
  });

  it('two workers draining one queue at once never run the same run', async () => {
    const entities = Array.from({ length: 24 }, (_, i) => `q${i}`);
    const executed: { runId: string; by: string }[] = [];
    const script = (by: string) => async (ctx: SyncContext) => {
      executed.push({ runId: ctx.runId, by });
      await new Promise((r) => setTimeout(r, 15));
      await ctx.commitPage(pageRows('stripe', `twice-${ctx.runId}`, 2), { done: ctx.runId });
    };
    const repo = new RunsRepository(t.db);
    // Queued by a process without the worker role: nobody owns them yet.
    const queued = await repo.createQueued('stripe', 'incremental', 'manual', entities);
    const one = runsServiceFor(t.db, t.locks, [new ScriptedDriver('stripe', entities, script('one'))], env);
    const two = await otherProcess([new ScriptedDriver('stripe', entities, script('two'))], {});
    await Promise.all([one.service.drain(), two.service.drain()]);

    const ids = queued.map((r) => r.id);
    expect(executed.map((e) => e.runId).sort()).toEqual([...ids].sort());
    const runs = await repo.getMany(ids);
    expect(runs.every((r) => r.status === 'succeeded' && r.attempts === 1)).toBe(true);
    const [{ n }] = await t.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ingest_outbox WHERE dedupe_key LIKE 'twice-%'`,
    );
    expect(Number(n)).toBe(2 * ids.length);
    await two.kill();
  });

  it('a run whose process keeps dying is failed after the maximum number of attempts, with the reason', async () => {
    const repo = new RunsRepository(t.db);
    const [{ id: runId }] = await repo.createQueued('stripe', 'incremental', 'manual', ['doomed']);
    for (let death = 1; death <= 3; death++) {
      const dying = new DiesAfterPage(
        new ScriptedDriver('stripe', ['doomed'], async (ctx) => {
          await ctx.commitPage(pageRows('stripe', `doomed-${death}`, 1), { death });
        }),
        1,
      );
      const p = await otherProcess([dying], LOOPING);
      await dying.died.opened;
      expect(await repo.get(runId)).toMatchObject({ status: 'running', attempts: death });
      await p.kill();
    }
    const survivor = new ScriptedDriver('stripe', ['doomed']);
    const last = runsServiceFor(t.db, t.locks, [survivor], env, LOOPING);
    try {
      const run = await waitForStatus(last.repo, runId, ['failed', 'succeeded'], 20_000);
      expect(run).toMatchObject({
        status: 'failed',
        errorClass: 'abandoned',
        attempts: 3,
        error: 'abandoned: its process stopped 3 times before the run finished; not resumed again',
        counts: { pagesFetched: 3 },
      });
      expect(survivor.calls).toEqual([]);
      // Each attempt resumed from the previous one's committed cursor.
      expect((await cursorOf('doomed')).cursor).toEqual({ death: 3 });
    } finally {
      await last.service.shutdown();
    }
  });

  it('a worker that lost its lease (its lock session cut while it ran on) has its next page refused', async () => {
    const gate = new Gate();
    const paused = new Gate();
    const zombieDriver = new ScriptedDriver('stripe', ['fenced'], async (ctx) => {
      await ctx.commitPage(pageRows('stripe', 'fenced-a', 1), { page: 1 });
      paused.open();
      await gate.opened;
      await ctx.commitPage(pageRows('stripe', 'fenced-zombie', 1), { page: 'zombie' });
    });
    // The zombie keeps its pool (it is alive) but its lock session dies and its lease runs out.
    const zombie = await otherProcess([zombieDriver], { ...FAST, heartbeatMs: 60_000 });
    const { runIds } = await zombie.service.trigger('stripe', 'incremental');
    await paused.opened;
    await t.db.query(
      `SELECT pg_terminate_backend(l.pid) FROM pg_locks l
        WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid()
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    const taker = new ScriptedDriver('stripe', ['fenced'], async (ctx) => {
      await ctx.commitPage(pageRows('stripe', 'fenced-b', 1), { page: 2 });
    });
    const b = runsServiceFor(t.db, t.locks, [taker], env, LOOPING);
    try {
      const run = await waitForStatus(b.repo, runIds[0], ['succeeded', 'failed', 'partial'], 20_000);
      expect(run).toMatchObject({ status: 'succeeded', attempts: 2, cursorAfter: { page: 2 } });
      expect(taker.calls).toEqual([{ entity: 'fenced', mode: 'incremental', cursor: { page: 1 } }]);
    } finally {
      await b.service.shutdown();
    }
    gate.open();
    await zombie.service.waitForIdle();
    const keys = await t.db.query<{ dedupe_key: string }>(
      `SELECT dedupe_key FROM ingest_outbox WHERE dedupe_key LIKE 'fenced-%' ORDER BY id`,
    );
    expect(keys.map((k) => k.dedupe_key)).toEqual(['fenced-a:0', 'fenced-b:0']);
    expect((await cursorOf('fenced')).cursor).toEqual({ page: 2 });
    expect(await b.repo.get(runIds[0])).toMatchObject({ status: 'succeeded', counts: { pagesFetched: 2 } });
  });
});
