import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from '../../src/runs/job.cli.js';
import { runLockName } from '../../src/runs/run.types.js';
import { SyncError } from '../../src/runs/sync.drivers.js';
import { openTestDb } from '../support/db.js';
import { pageRows, runsServiceFor, ScriptedDriver } from '../support/runs-test-driver.js';

/** `npm run job -- …` in-process: the same RunsService path and locks, awaited, with an exit code. */
describe('job: fetch and process', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  beforeAll(async () => {
    t = await openTestDb();
  });
  afterAll(async () => t?.close());
  const noDrain = async () => {
    throw new Error('not used');
  };
  const notUsed = async (): Promise<never> => {
    throw new Error('not used');
  };
  const unusedRevenue = { verifyRevenue: notUsed, rebuildRevenue: notUsed };

  it('fetch runs every entity to completion and exits 0 with a JSON summary', async () => {
    const driver = new ScriptedDriver('stripe', ['charges', 'refunds'], async (ctx) => {
      await ctx.commitPage(pageRows('stripe', `job-${ctx.entity}`, 3), { done: true });
    });
    const { service } = runsServiceFor(t.db, t.locks, [driver]);
    const res = await runJob(
      { command: 'fetch', source: 'stripe', mode: 'full' },
      { runNow: (s, m, tr) => service.runNow(s, m, tr), drain: noDrain, ...unusedRevenue },
    );
    expect(res.exitCode).toBe(0);
    expect(res.summary).toMatchObject({ command: 'fetch', source: 'stripe', mode: 'full', status: 'succeeded' });
    const runs = res.summary.runs as {
      entity: string;
      status: string;
      trigger: string;
      mode: string;
      counts: { recordsUpserted: number };
    }[];
    expect(runs.map((r) => [r.entity, r.status, r.trigger, r.mode, r.counts.recordsUpserted])).toEqual([
      ['charges', 'succeeded', 'job', 'full', 3],
      ['refunds', 'succeeded', 'job', 'full', 3],
    ]);
    expect(JSON.parse(JSON.stringify(res.summary))).toEqual(res.summary);
  });

  it('exits 0 with status skipped when another process holds the locks', async () => {
    const driver = new ScriptedDriver('hubspot', ['deals', 'contacts']);
    const { service } = runsServiceFor(t.db, t.locks, [driver]);
    // Another "process": its own lock session holding both entities' locks.
    const held = await Promise.all(['deals', 'contacts'].map((e) => t.locks.tryAcquire(runLockName('hubspot', e))));
    try {
      const res = await runJob(
        { command: 'fetch', source: 'hubspot', mode: 'incremental' },
        { runNow: (s, m, tr) => service.runNow(s, m, tr), drain: noDrain, ...unusedRevenue },
      );
      expect(res.exitCode).toBe(0);
      expect(res.summary.status).toBe('skipped');
      expect(driver.calls).toHaveLength(0);
    } finally {
      await Promise.all(held.map((h) => h?.release()));
    }
  });

  it('exits 1 when a run fails or is partial', async () => {
    const driver = new ScriptedDriver('stripe', ['charges'], async () => {
      throw new SyncError('auth', 'Invalid API Key provided');
    });
    const { service } = runsServiceFor(t.db, t.locks, [driver]);
    const res = await runJob(
      { command: 'fetch', source: 'stripe', mode: 'incremental' },
      { runNow: (s, m, tr) => service.runNow(s, m, tr), drain: noDrain, ...unusedRevenue },
    );
    expect(res.exitCode).toBe(1);
    expect(res.summary).toMatchObject({
      status: 'failed',
      runs: [{ status: 'failed', error: 'Invalid API Key provided', errorClass: 'auth' }],
    });
  });

  it('exits 2 when the source is not configured, without queuing anything', async () => {
    const { service, repo } = runsServiceFor(t.db, t.locks, []);
    const before = (await repo.list({ source: 'gcal', limit: 10 })).runs.length;
    const res = await runJob(
      { command: 'fetch', source: 'gcal', mode: 'incremental' },
      { runNow: (s, m, tr) => service.runNow(s, m, tr), drain: noDrain, ...unusedRevenue },
    );
    expect(res).toMatchObject({ exitCode: 2, summary: { status: 'not_run', error: 'source_not_enabled' } });
    expect((await repo.list({ source: 'gcal', limit: 10 })).runs.length).toBe(before);
  });

  it('process drains the outbox once and reports the counts', async () => {
    let calls = 0;
    const res = await runJob(
      { command: 'process' },
      {
        runNow: async () => [],
        ...unusedRevenue,
        drain: async () => {
          calls++;
          return { processed: 7, failed: 1 };
        },
      },
    );
    expect(calls).toBe(1);
    expect(res).toMatchObject({ exitCode: 0, summary: { command: 'process', processed: 7, failed: 1 } });
  });
});
