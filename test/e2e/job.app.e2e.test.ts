import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { INestApplicationContext } from '@nestjs/common';
import { loadConfig } from '../../src/config/app.config.js';
import { Database } from '../../src/database/database.sql.js';
import { createAppContext } from '../../src/app.process-entry.js';
import { JOB_ROLES } from '../../src/scheduling/process.roles.js';
import { runJobInContext } from '../../src/runs/job.cli.js';
import { SyncDriverRegistry } from '../../src/runs/sync.drivers.js';
import { createTestDatabase } from '../support/db.js';
import { pageRows, ScriptedDriver } from '../support/runs-test-driver.js';

/**
 * The one-shot job as `npm run job` runs it: the application context without HTTP, in the job
 * role (no claim loop, no periodic job), then the command. (Spawning the built CLI would be slow and brittle.)
 */
describe('npm run job (in-process, full application context)', () => {
  let app: INestApplicationContext;
  let db: Database;
  const driver = new ScriptedDriver('stripe', ['charges'], async (ctx) => {
    await ctx.commitPage(pageRows('stripe', `jobctx-${ctx.runId}`, 4), { upTo: 4 });
  });

  beforeAll(async () => {
    // No API keys: a process without HTTP must not need them.
    const config = loadConfig({
      NODE_ENV: 'test',
      BUFFALO_REQUIRE_KEYS: 'off',
      STRIPE_API_KEY: 'sk_test_job',
      STRIPE_API_BASE: 'http://127.0.0.1:9',
      DATABASE_URL: await createTestDatabase(),
    });
    app = await createAppContext(config, JOB_ROLES);
    app.get(SyncDriverRegistry).register(driver);
    db = app.get(Database);
  });
  afterAll(async () => app?.close());

  it('fetch syncs through the app’s RunsService and stores the page', async () => {
    const res = await runJobInContext(app, { command: 'fetch', source: 'stripe', mode: 'incremental' });
    expect(res.exitCode).toBe(0);
    expect(res.summary).toMatchObject({
      status: 'succeeded',
      runs: [{ entity: 'charges', trigger: 'job', cursorAfter: { upTo: 4 } }],
    });
    const [{ n }] = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ingest_outbox WHERE dedupe_key LIKE 'jobctx-%'`,
    );
    expect(Number(n)).toBe(4);
  });

  it('process drains the outbox once with the real worker (a kind without handler is parked dead)', async () => {
    await db.query(
      `INSERT INTO ingest_outbox (source, kind, dedupe_key, origin, event_type, payload) SELECT 'stripe', 'test.no_handler', 'nohandler-' || g, 'poll', 'x', '{}'::jsonb FROM generate_series(1, 3) g`,
    );
    // Rows from the fetch above may be processed by real handlers too; only count ours.
    const res = await runJobInContext(app, { command: 'process' });
    expect(res.exitCode).toBe(0);
    expect(res.summary).toMatchObject({
      command: 'process',
      processed: expect.any(Number),
      failed: expect.any(Number),
    });
    expect((res.summary.processed as number) + (res.summary.failed as number)).toBeGreaterThanOrEqual(3);
    const rows = await db.query<{ status: string; failure_class: string }>(
      `SELECT status, failure_class FROM ingest_outbox WHERE dedupe_key LIKE 'nohandler-%'`,
    );
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.status === 'dead' && r.failure_class === 'unsupported')).toBe(true);
    const claimable = await db.query(`SELECT 1 FROM ingest_outbox WHERE status = 'queued' AND available_at <= now()`);
    expect(claimable).toHaveLength(0);
  });
});
