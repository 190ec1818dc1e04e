import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { createAppContext } from '../../src/app.process-entry.js';
import { loadConfig, type AppConfig } from '../../src/config/app.config.js';
import { OutboxWorker } from '../../src/outbox/outbox.worker.js';
import { RunsWorker } from '../../src/runs/runs.worker.js';
import { PERIODIC_JOBS } from '../../src/scheduling/jobs.catalog.js';
import {
  apiRoles,
  JOB_ROLES,
  PROCESS_ROLES,
  WORKER_ROLES,
  type ProcessRole,
} from '../../src/scheduling/process.roles.js';
import { createTestDatabase } from '../support/db.js';

/**
 * Where each periodic job runs, stated independently of the catalog: a job missing from a role,
 * or registered in a role it does not belong to, or registered outside SchedulerRegistry's view,
 * fails here. Every vendor is configured so that no job is left out for lack of credentials.
 */
const EXPECTED: Record<ProcessRole, string[]> = {
  api: [],
  worker: ['outbox:lease-sweep', 'outbox:retention', 'reconciler:orphans'],
  scheduler: [
    'alerts:evaluate',
    'gcal:channel-renewal',
    'hubspot:deletion-sweep',
    'hubspot:pipelines-refresh',
    'idempotency:purge',
    'revenue:verify',
    'sync:abandoned-sweep',
    'sync:gcal',
    'sync:hubspot',
    'sync:stripe',
  ],
  job: [],
};
/** One-shot first runs sooner than the interval. */
const EXPECTED_TIMEOUTS: Record<ProcessRole, string[]> = {
  api: [],
  worker: ['outbox:retention'],
  scheduler: ['hubspot:deletion-sweep', 'hubspot:pipelines-refresh'],
  job: [],
};

const unused = 'http://127.0.0.1:9';

function serviceAccountJson(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return JSON.stringify({
    type: 'service_account',
    client_email: 'buffalo@roles-test.iam.gserviceaccount.com',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    private_key_id: 'roles-test',
    token_uri: `${unused}/token`,
  });
}

describe('periodic jobs are registered with SchedulerRegistry per process role', () => {
  let config: AppConfig;
  beforeAll(async () => {
    config = loadConfig({
      NODE_ENV: 'test',
      BUFFALO_REQUIRE_KEYS: 'off',
      DATABASE_URL: await createTestDatabase(),
      STRIPE_API_KEY: 'sk_test_roles',
      STRIPE_API_BASE: unused,
      HUBSPOT_ACCESS_TOKEN: 'pat-roles-test',
      HUBSPOT_API_BASE: unused,
      GCAL_SERVICE_ACCOUNT_JSON: serviceAccountJson(),
      GCAL_CALENDAR_IDS: 'roles@example.com',
      GCAL_API_BASE: unused,
      GCAL_WEBHOOK_URL: 'https://buffalo.example.com/webhooks/gcal',
    });
  });

  it('the expectation covers every catalogued job, and every catalogued job belongs to a role', () => {
    const expected = new Set(Object.values(EXPECTED).flat());
    expect(PERIODIC_JOBS.map((j) => j.name).sort()).toEqual([...expected].sort());
    for (const job of PERIODIC_JOBS)
      expect(
        job.roles.every((r) => PROCESS_ROLES.includes(r)),
        job.name,
      ).toBe(true);
  });

  const cases: [string, readonly ProcessRole[]][] = [
    ['npm start (api + worker + scheduler)', ['api', 'worker', 'scheduler']],
    ['api only (WORKER=off SCHEDULER=off)', ['api']],
    ['npm run worker', WORKER_ROLES],
    ['scheduler only', ['scheduler']],
    ['npm run job', JOB_ROLES],
  ];

  for (const [label, roles] of cases) {
    describe(label, () => {
      let app: INestApplicationContext;
      let registry: SchedulerRegistry;
      let closed = false;
      beforeAll(async () => {
        app = await createAppContext(config, roles, { quiet: true });
        registry = app.get(SchedulerRegistry);
      });
      afterAll(async () => {
        if (!closed) await app?.close();
      });

      it('registers exactly the jobs of its roles, and the claim loops run only with the worker role', () => {
        expect(registry.getIntervals().sort()).toEqual([...new Set(roles.flatMap((r) => EXPECTED[r]))].sort());
        expect(registry.getTimeouts().sort()).toEqual(roles.flatMap((r) => EXPECTED_TIMEOUTS[r]).sort());
        expect(registry.getCronJobs().size).toBe(0);
        expect(app.get(OutboxWorker).running).toBe(roles.includes('worker'));
        expect(app.get(RunsWorker).claiming).toBe(roles.includes('worker'));
      });

      it('removes every job and stops the loop when the app closes', async () => {
        closed = true;
        await app.close();
        expect(registry.getIntervals()).toEqual([]);
        expect(registry.getTimeouts()).toEqual([]);
        expect(app.get(OutboxWorker).running).toBe(false);
        expect(app.get(RunsWorker).claiming).toBe(false);
      });
    });
  }

  it('npm start takes its roles from WORKER and SCHEDULER', () => {
    const env = { NODE_ENV: 'test' };
    expect(apiRoles(loadConfig(env))).toEqual(['api', 'worker', 'scheduler']);
    expect(apiRoles(loadConfig({ ...env, WORKER: 'off' }))).toEqual(['api', 'scheduler']);
    expect(apiRoles(loadConfig({ ...env, WORKER: 'off', SCHEDULER: 'off' }))).toEqual(['api']);
  });
});
