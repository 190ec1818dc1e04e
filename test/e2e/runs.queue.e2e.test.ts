import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { INestApplicationContext } from '@nestjs/common';
import { createAppContext } from '../../src/app.process-entry.js';
import { loadConfig } from '../../src/config/app.config.js';
import { RunsWorker } from '../../src/runs/runs.worker.js';
import { WORKER_ROLES } from '../../src/scheduling/process.roles.js';
import {
  generateStripeDataset,
  startStripeSimulator,
  type StripeDataset,
  type StripeSimulator,
} from '../../scripts/sandbox/stripe/index.js';
import { bootTestApp, TEST_ADMIN_KEY, TEST_API_KEY, type TestApp } from '../support/app.js';

const KEY = 'sk_test_runs_queue_e2e_0123456789';
const END = 1_790_000_000;

/** Net revenue of one currency straight from the dataset (captured charges less succeeded refunds and lost disputes). */
function expectedTotals(d: StripeDataset, currency: string) {
  const cur = currency.toLowerCase();
  let gross = 0n;
  let refunds = 0n;
  for (const c of d.charges)
    if (c.currency === cur && c.status === 'succeeded' && c.captured) gross += BigInt(c.amount_captured);
  for (const r of d.refunds) if (r.currency === cur && r.status === 'succeeded') refunds += BigInt(r.amount);
  for (const x of d.disputes) if (x.currency === cur && x.status === 'lost') refunds += BigInt(x.amount);
  return { grossCents: gross.toString(), refundsCents: refunds.toString() };
}

/**
 * `WORKER=off npm start` + `npm run worker`: the API process only queues runs; a separate process
 * with the worker role (another Nest application context on the same database) claims and
 * executes them, and processes what they fetched. Nothing runs while no worker is up.
 */
describe('sync runs are queued work: an API with WORKER=off queues, `npm run worker` executes', () => {
  let sim: StripeSimulator;
  let dataset: StripeDataset;
  let api: TestApp;
  let worker: INestApplicationContext | null = null;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataset = generateStripeDataset({ seed: 17, charges: 300, end: END });
    sim = await startStripeSimulator({ apiKey: KEY, dataset, clock: () => END + 3600 });
    env = { STRIPE_API_KEY: KEY, STRIPE_API_BASE: sim.url, STRIPE_RATE_LIMIT_PER_S: '100' };
    // bootTestApp: WORKER=off and SCHEDULER=off, the API role alone.
    api = await bootTestApp(env);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await sim?.stop();
  });

  const getRun = async (id: string) =>
    (await request(api.url).get(`/runs/${id}`).set('X-Api-Key', TEST_API_KEY)).body as Record<string, any>;
  const waitForRuns = async (ids: string[], done: (r: Record<string, any>) => boolean, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const runs = await Promise.all(ids.map(getRun));
      if (runs.every(done)) return runs;
      if (Date.now() > deadline) throw new Error(`runs not done in time: ${JSON.stringify(runs.map((r) => r.status))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const leaseOwners = async (ids: string[]) =>
    (
      await api.db.query<{ lease_owner: string | null }>(
        `SELECT lease_owner FROM sync_runs WHERE id = ANY($1::bigint[]) ORDER BY id`,
        [ids],
      )
    ).map((r) => r.lease_owner);

  it('a run triggered over HTTP stays queued while no worker runs; a worker started later executes it', async () => {
    const res = await request(api.url)
      .post('/trigger/stripe/full')
      .set('X-Admin-Api-Key', TEST_ADMIN_KEY)
      .set('Idempotency-Key', 'runs-queue-e2e-1');
    expect(res.status).toBe(202);
    const ids: string[] = res.body.runIds;
    expect(ids).toHaveLength(3);

    await new Promise((r) => setTimeout(r, 500));
    for (const run of await Promise.all(ids.map(getRun)))
      expect(run).toMatchObject({ status: 'queued', startedAt: null, attempts: 0 });
    expect(await leaseOwners(ids)).toEqual([null, null, null]);

    worker = await createAppContext(
      loadConfig({ NODE_ENV: 'test', ...env, DATABASE_URL: api.config.databaseUrl!, BUFFALO_REQUIRE_KEYS: 'off' }),
      WORKER_ROLES,
      { quiet: true },
    );
    const workerId = worker.get(RunsWorker).workerId;
    expect(api.app.get(RunsWorker).workerId).not.toBe(workerId);

    const runs = await waitForRuns(ids, (r) => !['queued', 'running'].includes(r.status));
    expect(runs.map((r) => [r.entity, r.status, r.attempts]).sort()).toEqual([
      ['charges', 'succeeded', 1],
      ['events', 'succeeded', 1],
      ['refunds', 'succeeded', 1],
    ]);
    for (const owner of await leaseOwners(ids)) expect(owner).toMatch(new RegExp(`^${workerId}#`));

    // The worker role also processes the outbox: revenue on the API is exact.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const [{ open, dead }] = await api.db.query<{ open: string; dead: string }>(
        `SELECT count(*) FILTER (WHERE status IN ('queued','running','error')) AS open, count(*) FILTER (WHERE status = 'dead') AS dead FROM ingest_outbox`,
      );
      expect(Number(dead)).toBe(0);
      if (Number(open) === 0) break;
      if (Date.now() > deadline) throw new Error('outbox not drained in time');
      await new Promise((r) => setTimeout(r, 50));
    }
    const days = dataset.charges.map((c) => new Date(c.created * 1000).toISOString().slice(0, 10)).sort();
    const endDate = new Date((END + 86_400 * 45) * 1000).toISOString().slice(0, 10);
    for (const currency of ['USD', 'EUR']) {
      const q = `startDate=${days[0]}&endDate=${endDate}&source=stripe&currency=${currency}&tz=UTC`;
      const summary = (await request(api.url).get(`/metrics/revenue/summary?${q}`).set('X-Api-Key', TEST_API_KEY)).body;
      expect(summary, currency).toMatchObject(expectedTotals(dataset, currency));
    }
  });

  it('with the worker up, a new trigger is claimed at once (NOTIFY), not at the next poll', async () => {
    expect(worker).not.toBeNull();
    const res = await request(api.url)
      .post('/trigger/stripe/incremental')
      .set('X-Admin-Api-Key', TEST_ADMIN_KEY)
      .set('Idempotency-Key', 'runs-queue-e2e-2')
      .send({ entities: ['charges'] });
    expect(res.status).toBe(202);
    const [run] = await waitForRuns([res.body.runId], (r) => r.status === 'succeeded');
    // The fallback poll is every 5 s; a notified worker starts within a fraction of that.
    expect(Date.parse(run.startedAt) - Date.parse(run.createdAt)).toBeLessThan(2_500);
    expect((await leaseOwners([res.body.runId]))[0]).toMatch(new RegExp(`^${worker!.get(RunsWorker).workerId}#`));
  });
});
