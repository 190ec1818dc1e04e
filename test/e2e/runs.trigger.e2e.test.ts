import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { SyncDriverRegistry } from '../../src/runs/sync.drivers.js';
import { RunsService } from '../../src/runs/runs.service.js';
import { bootTestApp, TEST_ADMIN_KEY, TEST_API_KEY, type TestApp } from '../support/app.js';
import { Gate, pageRows, ScriptedDriver } from '../support/runs-test-driver.js';

const RUN_KEYS = [
  'attempts',
  'counts',
  'createdAt',
  'cursorAfter',
  'cursorBefore',
  'entity',
  'error',
  'errorClass',
  'finishedAt',
  'fullBackfillTriggered',
  'mode',
  'runId',
  'source',
  'staleCursorDetected',
  'startedAt',
  'status',
  'trigger',
  'unmappedStatusesSeen',
];

let keySeq = 0;
const key = () => `runs-e2e-${process.pid}-${Date.now()}-${keySeq++}`;

describe('POST /trigger, GET /runs, GET /runs/:runId', () => {
  let t: TestApp;
  let driver: ScriptedDriver;
  let runs: RunsService;
  let gate: Gate | null = null;

  beforeAll(async () => {
    // Stripe is pollable (API key set); the test driver stands in for the SDK connector. The worker
    // role is on, as in `npm start`: the process that queues a run executes it.
    t = await bootTestApp({ STRIPE_API_KEY: 'sk_test_runs_e2e', STRIPE_API_BASE: 'http://127.0.0.1:9', WORKER: 'on' });
    driver = new ScriptedDriver('stripe', ['charges', 'refunds'], async (ctx) => {
      if (gate) await gate.opened;
      await ctx.commitPage(pageRows('stripe', `e2e-${ctx.runId}`, 2), { last: ctx.runId });
    });
    t.app.get(SyncDriverRegistry).register(driver);
    runs = t.app.get(RunsService);
  });
  afterAll(async () => t?.close());

  const trigger = (path: string, idemKey: string | null = key(), body?: unknown) => {
    let r = request(t.url).post(path).set('X-Admin-Api-Key', TEST_ADMIN_KEY);
    if (idemKey !== null) r = r.set('Idempotency-Key', idemKey);
    return body === undefined ? r : r.send(body as object);
  };
  const runCount = async () => Number((await t.db.query<{ n: string }>(`SELECT count(*) AS n FROM sync_runs`))[0].n);

  describe('POST /trigger/:source/:mode', () => {
    it('202 with the contract shape; the queued run rows exist before the answer', async () => {
      gate = new Gate();
      try {
        const res = await trigger('/trigger/stripe/incremental');
        // Read straight from Postgres before letting the driver go on.
        const rows = await t.db.query<{
          id: string;
          status: string;
          entity: string;
          finished_at: string | null;
          trigger: string;
        }>(`SELECT id, status, entity, finished_at, trigger FROM sync_runs WHERE id = ANY($1::bigint[]) ORDER BY id`, [
          res.body.runIds ?? [],
        ]);
        expect(res.status).toBe(202);
        expect(res.body).toEqual({
          runId: expect.stringMatching(/^\d+$/),
          source: 'stripe',
          mode: 'incremental',
          status: 'accepted',
          runIds: [res.body.runId, expect.stringMatching(/^\d+$/)],
        });
        expect(rows.map((r) => r.entity)).toEqual(['charges', 'refunds']);
        for (const r of rows) {
          expect(['queued', 'running']).toContain(r.status);
          expect(r.finished_at).toBeNull();
          expect(r.trigger).toBe('manual');
        }
        gate.open();
        await runs.waitForIdle();
        const done = await request(t.url).get(`/runs/${res.body.runId}`).set('X-Api-Key', TEST_API_KEY);
        expect(done.body).toMatchObject({ status: 'succeeded', counts: { pagesFetched: 1, recordsUpserted: 2 } });
      } finally {
        gate?.open();
        gate = null;
      }
    });

    it('400 idempotency_key_required without the header, and nothing is queued', async () => {
      const before = await runCount();
      const res = await trigger('/trigger/stripe/full', null);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'idempotency_key_required', requestId: expect.any(String) });
      expect(await runCount()).toBe(before);
    });

    it('a replay returns the same body with Idempotent-Replayed: true and starts nothing new', async () => {
      const k = key();
      const first = await trigger('/trigger/stripe/full', k);
      expect(first.status).toBe(202);
      await runs.waitForIdle();
      const before = await runCount();
      const again = await trigger('/trigger/stripe/full', k);
      expect(again.status).toBe(202);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await runCount()).toBe(before);
    });

    it('409 idempotency_key_mismatch for the same key with another route or body', async () => {
      const k = key();
      expect((await trigger('/trigger/stripe/incremental', k)).status).toBe(202);
      const otherRoute = await trigger('/trigger/stripe/full', k);
      expect(otherRoute.status).toBe(409);
      expect(otherRoute.body).toMatchObject({ error: 'idempotency_key_mismatch' });
      const otherBody = await trigger('/trigger/stripe/incremental', k, { entities: ['refunds'] });
      expect(otherBody.status).toBe(409);
      expect(otherBody.body.error).toBe('idempotency_key_mismatch');
      await runs.waitForIdle();
    });

    it('two concurrent requests with one key queue the runs once', async () => {
      const k = key();
      const before = await runCount();
      const [a, b] = await Promise.all([
        trigger('/trigger/stripe/incremental', k),
        trigger('/trigger/stripe/incremental', k),
      ]);
      expect([a.status, b.status]).toEqual([202, 202]);
      expect(a.body).toEqual(b.body);
      expect([a.headers['idempotent-replayed'], b.headers['idempotent-replayed']].filter(Boolean)).toEqual(['true']);
      await runs.waitForIdle();
      expect(await runCount()).toBe(before + 2);
    });

    it('an optional body narrows the entities', async () => {
      const res = await trigger('/trigger/stripe/incremental', key(), { entities: ['refunds'] });
      expect(res.status).toBe(202);
      expect(res.body.runIds).toEqual([res.body.runId]);
      await runs.waitForIdle();
      const run = await request(t.url).get(`/runs/${res.body.runId}`).set('X-Api-Key', TEST_API_KEY);
      expect(run.body.entity).toBe('refunds');
    });

    it('400 validation_failed for an unknown source or mode, with every issue in params', async () => {
      const res = await trigger('/trigger/paypal/sometimes');
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'validation_failed', requestId: expect.any(String) });
      expect(res.body.issues).toEqual([
        { in: 'params', field: 'source', message: 'source must be one of stripe, hubspot, gcal.' },
        { in: 'params', field: 'mode', message: 'mode must be one of incremental, full.' },
      ]);
      const mode = await trigger('/trigger/stripe/FULL');
      expect(mode.status).toBe(400);
      expect(mode.body.issues).toEqual([{ in: 'params', field: 'mode', message: expect.any(String) }]);
    });

    it('400 source_not_enabled for a source without polling credentials', async () => {
      for (const source of ['hubspot', 'gcal']) {
        const res = await trigger(`/trigger/${source}/incremental`);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({
          error: 'source_not_enabled',
          source,
          message: expect.stringContaining(source),
        });
      }
    });

    it('400 for bad bodies: unknown fields, bad entities, unknown entity, non-JSON', async () => {
      const unknownField = await trigger('/trigger/stripe/incremental', key(), { entities: ['charges'], force: true });
      expect(unknownField.status).toBe(400);
      expect(unknownField.body.issues).toEqual([{ in: 'body', field: 'force', message: expect.any(String) }]);
      for (const entities of ['charges', [], [1], ['a b']]) {
        const res = await trigger('/trigger/stripe/incremental', key(), { entities });
        expect(res.status).toBe(400);
        expect(res.body.issues[0]).toMatchObject({ in: 'body', field: 'entities' });
      }
      const unknownEntity = await trigger('/trigger/stripe/incremental', key(), { entities: ['payouts'] });
      expect(unknownEntity.status).toBe(400);
      expect(unknownEntity.body).toMatchObject({ error: 'unknown_entity', entities: ['charges', 'refunds'] });
      const array = await trigger('/trigger/stripe/incremental', key(), [1, 2]);
      expect(array.status).toBe(400);
      const text = await request(t.url)
        .post('/trigger/stripe/incremental')
        .set('X-Admin-Api-Key', TEST_ADMIN_KEY)
        .set('Idempotency-Key', key())
        .set('Content-Type', 'text/plain')
        .send('go');
      expect(text.status).toBe(415);
    });

    it('401 invalid_admin_key without the admin key (the read key is not enough)', async () => {
      const none = await request(t.url).post('/trigger/stripe/incremental').set('Idempotency-Key', key());
      expect(none.status).toBe(401);
      expect(none.body).toMatchObject({ error: 'unauthorized', code: 'invalid_admin_key' });
      const readKey = await request(t.url)
        .post('/trigger/stripe/incremental')
        .set('X-Api-Key', TEST_API_KEY)
        .set('Idempotency-Key', key());
      expect(readKey.status).toBe(401);
      expect(readKey.body.code).toBe('invalid_admin_key');
    });
  });

  describe('GET /runs and /runs/:runId', () => {
    it('a run has exactly the contract fields (plus trigger, createdAt, errorClass, attempts)', async () => {
      const { body } = await trigger('/trigger/stripe/incremental', key(), { entities: ['charges'] });
      await runs.waitForIdle();
      const res = await request(t.url).get(`/runs/${body.runId}`).set('X-Api-Key', TEST_API_KEY);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(RUN_KEYS);
      expect(res.body).toMatchObject({
        runId: body.runId,
        source: 'stripe',
        entity: 'charges',
        mode: 'incremental',
        status: 'succeeded',
        trigger: 'manual',
        staleCursorDetected: false,
        fullBackfillTriggered: false,
        error: null,
        errorClass: null,
        attempts: 1,
        cursorAfter: { last: body.runId },
        counts: { pagesFetched: 1, recordsFetched: 2, recordsUpserted: 2, recordsDeduped: 0, recordsFailed: 0 },
        unmappedStatusesSeen: [],
      });
      for (const f of ['createdAt', 'startedAt', 'finishedAt'])
        expect(new Date(res.body[f]).toISOString()).toBe(res.body[f]);
    });

    it('lists newest first with filters and keyset pagination', async () => {
      const res = await request(t.url).get('/runs?source=stripe&limit=3').set('X-Api-Key', TEST_API_KEY);
      expect(res.status).toBe(200);
      expect(res.body.runs).toHaveLength(3);
      const ids = res.body.runs.map((r: { runId: string }) => BigInt(r.runId));
      expect([...ids].sort((a, b) => (a > b ? -1 : 1))).toEqual(ids);
      expect(res.body.nextBefore).toBe(res.body.runs[2].runId);

      const all: string[] = [];
      let before: string | null = null;
      do {
        const page: request.Response = await request(t.url)
          .get(`/runs?limit=2${before ? `&before=${before}` : ''}`)
          .set('X-Api-Key', TEST_API_KEY);
        expect(page.status).toBe(200);
        all.push(...page.body.runs.map((r: { runId: string }) => r.runId));
        before = page.body.nextBefore;
      } while (before);
      const total = await runCount();
      expect(all).toHaveLength(total);
      expect(new Set(all).size).toBe(total);

      const succeeded = await request(t.url)
        .get('/runs?status=succeeded&limit=100')
        .set('X-Admin-Api-Key', TEST_ADMIN_KEY);
      expect(succeeded.status).toBe(200);
      expect(succeeded.body.runs.length).toBeGreaterThan(0);
      expect(succeeded.body.runs.every((r: { status: string }) => r.status === 'succeeded')).toBe(true);
      expect(succeeded.body.nextBefore).toBeNull();

      const refunds = await request(t.url).get('/runs?entity=refunds').set('X-Api-Key', TEST_API_KEY);
      expect(refunds.body.runs.every((r: { entity: string }) => r.entity === 'refunds')).toBe(true);
      const hubspot = await request(t.url).get('/runs?source=hubspot').set('X-Api-Key', TEST_API_KEY);
      expect(hubspot.body).toEqual({ runs: [], nextBefore: null });
    });

    it('400 validation_failed for bad query parameters', async () => {
      const cases: [string, string][] = [
        ['limit=0', 'limit'],
        ['limit=101', 'limit'],
        ['limit=ten', 'limit'],
        ['status=done', 'status'],
        ['source=paypal', 'source'],
        ['before=abc', 'before'],
        ['before=0', 'before'],
        ['before=99999999999999999999', 'before'],
        ['source=stripe&source=hubspot', 'source'],
        ['entity=%20drop%20table', 'entity'],
      ];
      for (const [qs, field] of cases) {
        const res = await request(t.url).get(`/runs?${qs}`).set('X-Api-Key', TEST_API_KEY);
        expect(res.status, qs).toBe(400);
        expect(res.body.error).toBe('validation_failed');
        expect(res.body.issues, qs).toEqual([{ in: 'query', field, message: expect.any(String) }]);
      }
    });

    it('GET /runs/:runId: 404 run_not_found for any id that is not a run, whatever its format', async () => {
      const missing = await request(t.url).get('/runs/987654321').set('X-Api-Key', TEST_API_KEY);
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ error: 'run_not_found', runId: '987654321', requestId: expect.any(String) });
      for (const other of [
        'abc',
        '0',
        '-1',
        '1.5',
        '99999999999999999999',
        '6f1d2c9e-1b1a-4c55-9d5e-3a2b1c0d9e8f',
        '%20',
      ]) {
        const res = await request(t.url).get(`/runs/${other}`).set('X-Api-Key', TEST_API_KEY);
        expect(res.status, other).toBe(404);
        expect(res.body, other).toMatchObject({
          error: 'run_not_found',
          runId: decodeURIComponent(other),
          requestId: expect.any(String),
        });
      }
    });

    it('401 invalid_api_key without a key', async () => {
      for (const path of ['/runs', '/runs/1']) {
        const res = await request(t.url).get(path);
        expect(res.status).toBe(401);
        expect(res.body).toMatchObject({ error: 'unauthorized', code: 'invalid_api_key' });
        const wrong = await request(t.url).get(path).set('X-Api-Key', 'not-the-key-0123456789');
        expect(wrong.status).toBe(401);
      }
    });

    it('the OpenAPI document describes the three routes with examples', async () => {
      const doc = (await request(t.url).get('/docs/openapi.json')).body;
      const post = doc.paths['/trigger/{source}/{mode}'].post;
      expect(post.responses['202'].content['application/json'].example.status).toBe('accepted');
      expect(Object.keys(post.responses['400'].content['application/json'].examples)).toEqual(
        expect.arrayContaining(['validation_failed', 'source_not_enabled', 'idempotency_key_required']),
      );
      expect(post.responses['409']).toBeDefined();
      expect(post.responses['401']).toBeDefined();
      expect(doc.paths['/runs'].get.responses['200'].content['application/json'].example.runs[0].runId).toBe('42');
      expect(
        doc.paths['/runs/{runId}'].get.responses['404'].content['application/json'].examples.run_not_found,
      ).toBeDefined();
    });
  });
});
