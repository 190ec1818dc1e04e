import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { logger } from '../../src/common/app.logger.js';
import { createOrm } from '../../src/database/database.orm.js';
import { Database } from '../../src/database/database.sql.js';
import { lockKey, PgLocks } from '../../src/database/database.locks.js';
import { SyncScheduler } from '../../src/runs/sync.scheduler.js';
import { openTestDb } from '../support/db.js';
import {
  Gate,
  pageRows,
  pollableTestConfig,
  runsServiceFor,
  ScriptedDriver,
  waitForStatus,
  waitUntil,
} from '../support/runs-test-driver.js';

/** Advisory-lock double-fire protection: one sync per (source, entity), across instances. */
describe('sync runs: locking', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  beforeAll(async () => {
    t = await openTestDb();
  });
  afterAll(async () => t?.close());

  it('two triggers of the same source at once: exactly one syncs, the other is skipped', async () => {
    const gate = new Gate();
    const driver = new ScriptedDriver('stripe', ['charges'], async (ctx) => {
      await gate.opened;
      await ctx.commitPage(pageRows('stripe', `double-${ctx.runId}`, 3), { at: 1 });
    });
    const { service, repo } = runsServiceFor(t.db, t.locks, [driver]);
    const [a, b] = await Promise.all([
      service.trigger('stripe', 'incremental'),
      service.trigger('stripe', 'incremental'),
    ]);
    const ids = [a.runIds[0], b.runIds[0]];
    // Hold the winner inside its sync until the loser has been turned away.
    await waitUntil(async () => (await repo.getMany(ids)).some((r) => r.status === 'skipped'));
    gate.open();
    await service.waitForIdle();
    const runs = await repo.getMany(ids);
    expect(runs.map((r) => r.status).sort()).toEqual(['skipped', 'succeeded']);
    expect(driver.calls).toHaveLength(1);
    const skipped = runs.find((r) => r.status === 'skipped')!;
    expect(skipped).toMatchObject({ errorClass: 'locked', startedAt: null, counts: { pagesFetched: 0 } });
    expect(skipped.error).toContain('stripe/charges');
    expect(skipped.finishedAt).toBeInstanceOf(Date);
  });

  it('two processes (separate pools and lock sessions) on one database: one syncs, one is skipped', async () => {
    const orm2 = await createOrm(t.url, 5);
    const db2 = new Database(orm2);
    const locks2 = new PgLocks(orm2);
    try {
      const gate = new Gate();
      const script = async () => {
        await gate.opened;
      };
      const d1 = new ScriptedDriver('hubspot', ['deals'], script);
      const d2 = new ScriptedDriver('hubspot', ['deals'], script);
      const p1 = runsServiceFor(t.db, t.locks, [d1]);
      const p2 = runsServiceFor(db2, locks2, [d2]);
      const [a, b] = await Promise.all([
        p1.service.trigger('hubspot', 'incremental'),
        p2.service.trigger('hubspot', 'incremental'),
      ]);
      const ids = [a.runIds[0], b.runIds[0]];
      await waitUntil(async () => (await p1.repo.getMany(ids)).some((r) => r.status === 'skipped'));
      gate.open();
      await Promise.all([p1.service.waitForIdle(), p2.service.waitForIdle()]);
      expect((await p1.repo.getMany(ids)).map((r) => r.status).sort()).toEqual(['skipped', 'succeeded']);
      expect(d1.calls.length + d2.calls.length).toBe(1);
    } finally {
      await locks2.close();
      await orm2.close(true);
    }
  });

  it('a trigger while a run is in progress ends skipped; the running one is unaffected', async () => {
    const gate = new Gate();
    const driver = new ScriptedDriver('stripe', ['refunds'], async () => gate.opened);
    const { service, repo } = runsServiceFor(t.db, t.locks, [driver]);
    const first = (await service.trigger('stripe', 'incremental')).runIds[0];
    await waitForStatus(repo, first, ['running']);
    const second = (await service.trigger('stripe', 'full')).runIds[0];
    expect((await waitForStatus(repo, second, ['skipped', 'succeeded', 'failed'])).status).toBe('skipped');
    gate.open();
    await service.waitForIdle();
    expect((await repo.get(first))!.status).toBe('succeeded');
    expect(driver.calls).toEqual([{ entity: 'refunds', mode: 'incremental', cursor: null }]);
  });

  it('once a run shows a final status its lock is free: an immediate re-trigger is never skipped', async () => {
    const driver = new ScriptedDriver('stripe', ['balance'], async (ctx) => {
      await ctx.commitPage(pageRows('stripe', `again-${ctx.runId}`, 1), { n: ctx.runId });
    });
    const { service, repo } = runsServiceFor(t.db, t.locks, [driver]);
    let runId = (await service.trigger('stripe', 'incremental')).runIds[0];
    for (let i = 0; i < 10; i++) {
      // Poll as a client would (no waitForIdle), as tightly as possible.
      let run = await repo.get(runId);
      while (run!.status === 'queued' || run!.status === 'running') run = await repo.get(runId);
      expect(run!.status).toBe('succeeded');
      runId = (await service.trigger('stripe', 'incremental')).runIds[0];
    }
    await service.waitForIdle();
    expect((await repo.get(runId))!.status).toBe('succeeded');
    expect(driver.calls).toHaveLength(11);
  });

  it('different entities of one source run in parallel, each under its own lock', async () => {
    const gate = new Gate();
    const driver = new ScriptedDriver('hubspot', ['deals', 'contacts'], async () => gate.opened);
    const { service, repo } = runsServiceFor(t.db, t.locks, [driver]);
    const { runIds } = await service.trigger('hubspot', 'incremental');
    expect(runIds).toHaveLength(2);
    await waitUntil(() => driver.active === 2);
    gate.open();
    await service.waitForIdle();
    const runs = await repo.getMany(runIds);
    expect(runs.map((r) => [r.entity, r.status])).toEqual([
      ['deals', 'succeeded'],
      ['contacts', 'succeeded'],
    ]);
    expect(driver.maxActive).toBe(2);
  });

  it('after a run finishes the lock is free again: the next trigger syncs', async () => {
    const driver = new ScriptedDriver('stripe', ['disputes']);
    const { service, repo } = runsServiceFor(t.db, t.locks, [driver]);
    const [first] = await service.runNow('stripe', 'incremental', 'job');
    const [second] = await service.runNow('stripe', 'incremental', 'job');
    expect([first.status, second.status]).toEqual(['succeeded', 'succeeded']);
    expect(first.trigger).toBe('job');
    expect(driver.calls).toHaveLength(2);
    expect((await repo.get(second.id))!.finishedAt).toBeInstanceOf(Date);
  });

  it('a double-fired scheduler tick (two instances) queues two runs, and only one syncs', async () => {
    const gate = new Gate();
    const driver = new ScriptedDriver('stripe', ['payouts'], async () => gate.opened);
    const { service, repo } = runsServiceFor(t.db, t.locks, [driver]);
    const config = pollableTestConfig();
    const a = new SyncScheduler(config, { get: () => driver } as any, service);
    const b = new SyncScheduler(config, { get: () => driver } as any, service);
    await Promise.all([a.tick('stripe'), b.tick('stripe')]);
    const { runs } = await repo.list({ source: 'stripe', entity: 'payouts', limit: 10 });
    expect(runs).toHaveLength(2);
    expect(runs.every((r) => r.trigger === 'schedule' && r.mode === 'incremental')).toBe(true);
    await waitUntil(async () => (await repo.getMany(runs.map((r) => r.id))).some((r) => r.status === 'skipped'));
    gate.open();
    await service.waitForIdle();
    expect((await repo.getMany(runs.map((r) => r.id))).map((r) => r.status).sort()).toEqual(['skipped', 'succeeded']);
    expect(driver.calls).toHaveLength(1);
  });

  it('a held lock whose connection Postgres cuts: the process lives, the lock is free, release still resolves', async () => {
    const name = `cut-${Date.now()}`;
    const held = await t.locks.tryAcquire(name);
    expect(held).not.toBeNull();
    // The backend holding the advisory lock, ended from another session as an admin or a failover would.
    const [victim] = await t.db.query<{ pid: number }>(
      `SELECT pid FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
      [lockKey(name)],
    );
    expect(victim).toBeDefined();
    const warn = vi.spyOn(logger, 'warn');
    await t.db.query('SELECT pg_terminate_backend($1)', [victim.pid]);
    // pg emits the server's FATAL on the idle checked-out client: the lock's listener takes it.
    await waitUntil(async () =>
      warn.mock.calls.some(([msg]) => String(msg).startsWith('session lock connection lost')),
    );
    warn.mockRestore();
    // The lock is gone with the session: it can be taken again.
    await waitUntil(async () => (await t.locks.tryAcquire(name).then(async (l) => (await l?.release(), l))) !== null);
    await expect(held!.release()).resolves.toBeUndefined();
  });
});
