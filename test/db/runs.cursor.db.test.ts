import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncError } from '../../src/runs/sync.drivers.js';
import { RunsRepository } from '../../src/runs/runs.repository.js';
import { openTestDb } from '../support/db.js';
import {
  Gate,
  pageRows,
  runsServiceFor,
  ScriptedDriver,
  waitForStatus,
  waitUntil,
} from '../support/runs-test-driver.js';

/** Cursor semantics of a run: atomic page commits, auth vs stale cursor, partial runs, verdicts. */
describe('sync runs: cursors and verdicts', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  beforeAll(async () => {
    t = await openTestDb();
  });
  afterAll(async () => t?.close());

  const outboxKeys = async (prefix: string) =>
    await t.db.query<{ dedupe_key: string; run_id: string }>(
      `SELECT dedupe_key, run_id FROM ingest_outbox WHERE dedupe_key LIKE $1 ORDER BY id`,
      [`${prefix}%`],
    );
  const cursorOf = async (entity: string) => {
    const rows = await t.db.query<{ cursor: unknown }>(
      `SELECT cursor FROM sync_cursors WHERE source = 'stripe' AND entity = $1`,
      [entity],
    );
    return rows[0]?.cursor ?? null;
  };
  const seedCursor = (entity: string, cursor: unknown) =>
    t.db.query(`INSERT INTO sync_cursors (source, entity, cursor) VALUES ('stripe', $1, $2::jsonb)`, [
      entity,
      JSON.stringify(cursor),
    ]);

  it('commits pages with their cursor and counts; the next incremental run starts from the stored cursor', async () => {
    const driver = new ScriptedDriver('stripe', ['c-happy'], async (ctx, call) => {
      if (call === 1) {
        await ctx.commitPage(pageRows('stripe', 'happy-a', 3), { page: 1 });
        ctx.noteUnmappedStatus('weird_status');
        ctx.noteFailed(2);
        await ctx.commitPage([...pageRows('stripe', 'happy-a', 3), ...pageRows('stripe', 'happy-b', 2)], { page: 2 });
      } else {
        await ctx.commitPage([], undefined);
        await ctx.saveCursor({ page: 3 });
      }
    });
    const { service } = runsServiceFor(t.db, t.locks, [driver]);
    const [first] = await service.runNow('stripe', 'incremental', 'job');
    expect(first).toMatchObject({
      status: 'succeeded',
      cursorBefore: null,
      cursorAfter: { page: 2 },
      error: null,
      counts: { pagesFetched: 2, recordsFetched: 8, recordsUpserted: 5, recordsDeduped: 3, recordsFailed: 2 },
      unmappedStatusesSeen: ['weird_status'],
    });
    const rows = await outboxKeys('happy-');
    expect(rows).toHaveLength(5);
    expect(new Set(rows.map((r) => String(r.run_id)))).toEqual(new Set([first.id]));

    const [second] = await service.runNow('stripe', 'incremental', 'job');
    expect(driver.calls[1]).toEqual({ entity: 'c-happy', mode: 'incremental', cursor: { page: 2 } });
    expect(second).toMatchObject({
      status: 'succeeded',
      cursorBefore: { page: 2 },
      cursorAfter: { page: 3 },
      counts: { pagesFetched: 1, recordsFetched: 0 },
    });
  });

  it('a failure inside the page transaction leaves neither the rows nor the cursor of that page', async () => {
    // A real Postgres error raised by the cursor write, after the page's outbox insert in the same transaction.
    await t.db.query(`CREATE OR REPLACE FUNCTION poison_cursor() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.cursor = '"poison"'::jsonb THEN RAISE EXCEPTION 'cursor write failed'; END IF; RETURN NEW; END $$`);
    await t.db.query(
      `CREATE TRIGGER poison_cursor BEFORE INSERT OR UPDATE ON sync_cursors FOR EACH ROW EXECUTE FUNCTION poison_cursor()`,
    );
    try {
      const driver = new ScriptedDriver('stripe', ['c-atomic'], async (ctx) => {
        await ctx.commitPage(pageRows('stripe', 'atomic-1', 4), 'after-page-1');
        await ctx.commitPage(pageRows('stripe', 'atomic-2', 4), 'poison');
      });
      const { service } = runsServiceFor(t.db, t.locks, [driver]);
      const [run] = await service.runNow('stripe', 'incremental', 'job');
      expect(await outboxKeys('atomic-1')).toHaveLength(4);
      expect(await outboxKeys('atomic-2')).toHaveLength(0);
      expect(await cursorOf('c-atomic')).toBe('after-page-1');
      // The counts are part of the same transaction: only the first page is counted.
      expect(run).toMatchObject({
        status: 'partial',
        errorClass: 'internal',
        cursorAfter: 'after-page-1',
        counts: { pagesFetched: 1, recordsUpserted: 4 },
      });
      // The database's own text stays in the log; the run points at it with an errorId.
      expect(run.error).toMatch(/^internal error \(errorId [0-9a-f-]{36}\)/);
      expect(run.error).not.toContain('cursor write failed');
    } finally {
      await t.db.query(`DROP TRIGGER poison_cursor ON sync_cursors`);
    }
  });

  it('an auth error fails the run and keeps the cursor, even after pages were committed', async () => {
    await seedCursor('c-auth', { since: 100 });
    await seedCursor('c-auth2', { since: 100 });
    const driver = new ScriptedDriver('stripe', ['c-auth', 'c-auth2'], async (ctx) => {
      if (ctx.entity === 'c-auth2') await ctx.commitPage(pageRows('stripe', 'auth2', 2), { since: 150 });
      throw new SyncError('auth', 'Invalid API Key provided (401)');
    });
    const { service } = runsServiceFor(t.db, t.locks, [driver]);
    const [noPages, withPages] = await service.runNow('stripe', 'incremental', 'job');
    expect(noPages).toMatchObject({
      status: 'failed',
      errorClass: 'auth',
      error: 'Invalid API Key provided (401)',
      staleCursorDetected: false,
      fullBackfillTriggered: false,
    });
    expect(await cursorOf('c-auth')).toEqual({ since: 100 });
    expect(noPages.cursorAfter).toEqual({ since: 100 });
    // Not `partial`: an auth failure needs a person, and the committed page's cursor stays.
    expect(withPages).toMatchObject({ status: 'failed', errorClass: 'auth', counts: { pagesFetched: 1 } });
    expect(await cursorOf('c-auth2')).toEqual({ since: 150 });
    expect(driver.calls.every((c) => c.mode === 'incremental')).toBe(true);
  });

  it('a stale cursor is cleared and the same run resyncs in full, flagged on the run', async () => {
    await seedCursor('c-stale', { events: 'evt_too_old' });
    const driver = new ScriptedDriver('stripe', ['c-stale'], async (ctx) => {
      if (ctx.mode === 'incremental') throw new SyncError('stale_cursor', 'events cursor is older than 30 days');
      await ctx.commitPage(pageRows('stripe', 'stale-full', 3), { events: 'evt_new' });
    });
    const { service } = runsServiceFor(t.db, t.locks, [driver]);
    const [run] = await service.runNow('stripe', 'incremental', 'job');
    expect(driver.calls).toEqual([
      { entity: 'c-stale', mode: 'incremental', cursor: { events: 'evt_too_old' } },
      { entity: 'c-stale', mode: 'full', cursor: null },
    ]);
    expect(run).toMatchObject({
      status: 'succeeded',
      mode: 'incremental',
      staleCursorDetected: true,
      fullBackfillTriggered: true,
      cursorBefore: { events: 'evt_too_old' },
      cursorAfter: { events: 'evt_new' },
      counts: { pagesFetched: 1, recordsUpserted: 3 },
    });
  });

  it('a stale cursor again during the full resync fails the run instead of looping; the cursor stays cleared', async () => {
    await seedCursor('c-stale2', 'old');
    const driver = new ScriptedDriver('stripe', ['c-stale2'], async () => {
      throw new SyncError('stale_cursor', 'still stale');
    });
    const { service } = runsServiceFor(t.db, t.locks, [driver]);
    const [run] = await service.runNow('stripe', 'incremental', 'job');
    expect(driver.calls).toHaveLength(2);
    expect(run).toMatchObject({
      status: 'failed',
      errorClass: 'stale_cursor',
      staleCursorDetected: true,
      cursorAfter: null,
    });
    expect(await cursorOf('c-stale2')).toBeNull();
  });

  it('a transient error after committed pages is partial (pages kept); before any page it is failed', async () => {
    const driver = new ScriptedDriver('stripe', ['c-partial', 'c-nopage'], async (ctx) => {
      if (ctx.entity === 'c-partial') {
        await ctx.commitPage(pageRows('stripe', 'partial-1', 2), { p: 1 });
        await ctx.commitPage(pageRows('stripe', 'partial-2', 2), { p: 2 });
      }
      throw new SyncError('transient', 'Stripe answered 503 after 3 retries');
    });
    const { service } = runsServiceFor(t.db, t.locks, [driver]);
    const [partial, failed] = await service.runNow('stripe', 'incremental', 'job');
    expect(partial).toMatchObject({
      status: 'partial',
      errorClass: 'transient',
      cursorAfter: { p: 2 },
      counts: { pagesFetched: 2, recordsUpserted: 4 },
    });
    expect(await outboxKeys('partial-')).toHaveLength(4);
    expect(failed).toMatchObject({ status: 'failed', errorClass: 'transient', counts: { pagesFetched: 0 } });
  });

  it('flags set by the driver itself are recorded; a permanent error fails the run', async () => {
    const driver = new ScriptedDriver('stripe', ['c-flags', 'c-perm'], async (ctx) => {
      if (ctx.entity === 'c-perm') throw new SyncError('permanent', 'unexpected response shape');
      ctx.markFullBackfill();
      await ctx.clearCursor();
      ctx.markStaleCursor();
    });
    const { service } = runsServiceFor(t.db, t.locks, [driver]);
    await seedCursor('c-flags', 'x');
    const [flags, perm] = await service.runNow('stripe', 'full', 'job');
    expect(flags).toMatchObject({
      status: 'succeeded',
      mode: 'full',
      staleCursorDetected: true,
      fullBackfillTriggered: true,
      cursorBefore: 'x',
      cursorAfter: null,
    });
    expect(perm).toMatchObject({ status: 'failed', errorClass: 'permanent', error: 'unexpected response shape' });
  });

  it('shutdown asks drivers to stop between pages: the run goes back to the queue, and new triggers are refused', async () => {
    const started = new Gate();
    const driver = new ScriptedDriver('stripe', ['c-abort'], async (ctx) => {
      for (let i = 0; !ctx.signal.aborted; i++) {
        await ctx.commitPage(pageRows('stripe', `abort-${i}`, 1), { i });
        started.open();
        await new Promise((r) => setTimeout(r, 10));
      }
    });
    const { service, repo } = runsServiceFor(t.db, t.locks, [driver]);
    const { runIds } = await service.trigger('stripe', 'incremental');
    await started.opened;
    await service.shutdown(5_000);
    const run = (await repo.get(runIds[0]))!;
    // Not a verdict: the committed pages and cursor stay, and the next worker resumes from them.
    expect(run).toMatchObject({ status: 'queued', error: null, finishedAt: null, attempts: 0 });
    expect(run.counts.pagesFetched).toBeGreaterThan(0);
    await expect(service.trigger('stripe', 'incremental')).rejects.toMatchObject({
      status: 503,
      code: 'shutting_down',
    });
    const next = runsServiceFor(t.db, t.locks, [new ScriptedDriver('stripe', ['c-abort'])]);
    await next.service.drain();
    const resumed = (await repo.get(runIds[0]))!;
    expect(resumed).toMatchObject({ status: 'succeeded', attempts: 1, cursorBefore: null });
    expect(resumed.counts.pagesFetched).toBe(run.counts.pagesFetched);
    expect((next.registry.get('stripe') as ScriptedDriver).calls).toEqual([
      { entity: 'c-abort', mode: 'incremental', cursor: { i: run.counts.pagesFetched - 1 } },
    ]);
  });

  it('a driver that ignores the shutdown signal loses its claim when the grace period ends', async () => {
    const never = new Gate();
    const driver = new ScriptedDriver('stripe', ['c-stuck'], async (ctx) => {
      await never.opened;
      await ctx.commitPage(pageRows('stripe', 'stuck-late', 1), { late: true });
    });
    const { service, repo } = runsServiceFor(t.db, t.locks, [driver]);
    const { runIds } = await service.trigger('stripe', 'incremental');
    await waitForStatus(repo, runIds[0], ['running']);
    await service.shutdown(100);
    expect(await repo.get(runIds[0])).toMatchObject({ status: 'queued', finishedAt: null });
    never.open();
    await service.waitForIdle();
    // Its late page is refused (claim revoked), and its late verdict does not overwrite the state.
    expect(await outboxKeys('stuck-late')).toHaveLength(0);
    expect(await cursorOf('c-stuck')).toBeNull();
    expect(await repo.get(runIds[0])).toMatchObject({ status: 'queued', counts: { pagesFetched: 0 } });
  });

  it('the abandoned sweep re-queues runs whose process died, fails those that died too often or were never claimed, and leaves live ones alone', async () => {
    const gate = new Gate();
    const driver = new ScriptedDriver('stripe', ['c-live'], async () => gate.opened);
    const { service, repo } = runsServiceFor(t.db, t.locks, [driver]);
    // Runs a dead process left `running` (lease expired, nobody holds their lock): one started
    // once, one already resumed up to the limit; and one left `queued` that no worker ever claimed.
    const [dead] = await t.db.query<{ id: string }>(
      `INSERT INTO sync_runs (source, entity, mode, status, started_at, heartbeat_at, attempts, lease_owner, lease_until)
       VALUES ('stripe', 'c-dead', 'incremental', 'running', now() - interval '10 minutes', now() - interval '10 minutes', 1, 'gone#1', now() - interval '9 minutes') RETURNING id`,
    );
    const [exhausted] = await t.db.query<{ id: string }>(
      `INSERT INTO sync_runs (source, entity, mode, status, started_at, heartbeat_at, attempts, lease_owner, lease_until)
       VALUES ('stripe', 'c-dead2', 'incremental', 'running', now() - interval '10 minutes', now() - interval '10 minutes', 3, 'gone#2', now() - interval '9 minutes') RETURNING id`,
    );
    const [orphan] = await t.db.query<{ id: string }>(
      `INSERT INTO sync_runs (source, entity, mode, status, created_at) VALUES ('stripe', 'c-dead', 'incremental', 'queued', now() - interval '1 hour') RETURNING id`,
    );
    // A live run in another "process": its lease has expired but it still holds its lock.
    const other = runsServiceFor(t.db, t.locks, [driver]);
    const live = (await other.service.trigger('stripe', 'incremental')).runIds[0];
    await waitUntil(() => driver.active === 1);
    await t.db.query(`UPDATE sync_runs SET lease_until = now() - interval '1 minute' WHERE id = $1`, [live]);

    const swept = await service.sweepAbandoned({ unclaimedMs: 60_000 });
    expect(swept.requeued).toEqual([String(dead.id)]);
    expect(swept.failed.sort()).toEqual([String(exhausted.id), String(orphan.id)].sort());
    expect(await repo.get(String(dead.id))).toMatchObject({ status: 'queued', attempts: 1, error: null });
    expect(await repo.get(String(exhausted.id))).toMatchObject({
      status: 'failed',
      errorClass: 'abandoned',
      error: expect.stringMatching(/^abandoned: its process stopped 3 times/),
    });
    expect(await repo.get(String(orphan.id))).toMatchObject({
      status: 'failed',
      errorClass: 'abandoned',
      error: expect.stringMatching(/^abandoned: no worker claimed the run/),
    });
    expect((await repo.get(live))!.status).toBe('running');
    gate.open();
    await other.service.waitForIdle();
    expect((await repo.get(live))!.status).toBe('succeeded');
  });

  it('refuses sources that cannot be polled and entities the driver does not have', async () => {
    const driver = new ScriptedDriver('stripe', ['charges']);
    const { service } = runsServiceFor(t.db, t.locks, [driver]);
    await expect(service.trigger('gcal', 'incremental')).rejects.toMatchObject({
      status: 400,
      code: 'source_not_enabled',
    });
    // Configured (token set) but no connector registered.
    await expect(service.trigger('hubspot', 'incremental')).rejects.toMatchObject({
      status: 400,
      code: 'source_not_enabled',
    });
    await expect(service.trigger('stripe', 'incremental', { entities: ['nope'] })).rejects.toMatchObject({
      status: 400,
      code: 'unknown_entity',
    });
    const none = runsServiceFor(t.db, t.locks, [driver], { STRIPE_API_KEY: '' });
    await expect(none.service.trigger('stripe', 'incremental')).rejects.toMatchObject({
      status: 400,
      code: 'source_not_enabled',
    });
  });

  it('inside one transaction a cursor reads back as last written, deletions included, and unusual statuses stay exact', async () => {
    const repo = new RunsRepository(t.db);
    const [run] = await repo.createQueued('stripe', 'incremental', 'manual', ['c-tx']);
    const seen = await t.db.tx(async (sql) => {
      await repo.saveCursor(sql, 'stripe', 'c-tx', { v: 1 }, run.id);
      const first = await repo.loadCursor('stripe', 'c-tx', sql);
      await repo.saveCursor(sql, 'stripe', 'c-tx', null, run.id);
      return [first, await repo.loadCursor('stripe', 'c-tx', sql)];
    });
    expect(seen).toEqual([{ v: 1 }, null]);
    // Text arrays keep blanks, a bare NULL, quotes, backslashes and commas as they were.
    const statuses = ['charge:odd ', 'NULL', 'a,b', 'q"', 'b\\s', ''];
    const token = 'cursor-test#1';
    await t.db.tx((sql) => repo.takeClaim(sql, run.id, token, 60_000, null));
    const outcome = {
      status: 'succeeded' as const,
      error: null,
      errorClass: null,
      staleCursorDetected: false,
      fullBackfillTriggered: false,
      recordsFailed: 0,
    };
    expect(await repo.finish(run.id, 'another-claim#1', { ...outcome, unmappedStatusesSeen: [] }, null)).toBe(false);
    expect(await repo.finish(run.id, token, { ...outcome, unmappedStatusesSeen: statuses }, null)).toBe(true);
    expect((await repo.get(run.id))!.unmappedStatusesSeen).toEqual(statuses);
  });
});
