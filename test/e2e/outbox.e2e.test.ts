import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { TEST_ADMIN_KEY, TEST_API_KEY, bootTestApp, type TestApp } from '../support/app.js';
import { insertOutbox, paymentInsert, type TestPayment } from '../support/outbox-test-kit.js';

const charge = (i: number): TestPayment => ({
  id: `ch_e${i}`,
  kind: 'charge',
  amount: 900,
  currency: 'usd',
  created: 1_780_000_000 + i,
  status: 'succeeded',
  version: 1,
});

describe('pipeline operations over HTTP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp();
  });
  afterAll(async () => t?.close());
  beforeEach(async () => {
    await t.db.query('TRUNCATE ingest_outbox, payment_orphans');
  });

  const admin = () => ({ 'X-Admin-Api-Key': TEST_ADMIN_KEY });
  const post = (path: string, body?: object, key: string | null = randomUUID()) => {
    const r = request(t.url).post(path).set(admin());
    if (key !== null) r.set('Idempotency-Key', key);
    return body === undefined ? r : r.send(body);
  };
  async function seed(n: number, status: string, receivedAgo = '0 seconds'): Promise<string[]> {
    const before = (await t.db.query<{ m: string | null }>('SELECT max(id) AS m FROM ingest_outbox'))[0].m ?? '0';
    await insertOutbox(
      t.db,
      Array.from({ length: n }, (_, i) => paymentInsert(charge(Number(before) + i + 1))),
    );
    const rows = await t.db.query<{ id: string }>(
      `UPDATE ingest_outbox SET status = $2, received_at = now() - $3::interval, attempts = 3,
              failure_class = CASE WHEN $2 = 'dead' THEN 'invalid_payload' END, last_error = CASE WHEN $2 = 'dead' THEN 'amount is not a number' END,
              processed_at = CASE WHEN $2 IN ('done','dead','ignored') THEN now() END
        WHERE id > $1 RETURNING id`,
      [before, status, receivedAgo],
    );
    return rows.map((r) => String(r.id)).sort((a, b) => Number(a) - Number(b));
  }
  const statusOf = async (id: string) =>
    (await t.db.query<{ status: string }>('SELECT status FROM ingest_outbox WHERE id = $1', [id]))[0]?.status;

  describe('auth', () => {
    it.each([
      ['get', '/outbox/stats'],
      ['get', '/outbox/dead'],
      ['post', '/outbox/dead/1/redrive'],
      ['post', '/outbox/replay'],
    ] as const)('%s %s needs the admin key (the read key is not enough)', async (method, path) => {
      for (const headers of [{}, { 'X-Api-Key': TEST_API_KEY }, { 'X-Admin-Api-Key': 'wrong-admin-key-0123456789' }]) {
        const res = await request(t.url)[method](path).set(headers).set('Idempotency-Key', 'k-auth');
        expect(res.status).toBe(401);
        expect(res.body).toMatchObject({
          error: 'unauthorized',
          code: 'invalid_admin_key',
          requestId: expect.any(String),
        });
      }
    });
  });

  describe('GET /outbox/stats', () => {
    it('reports counts, lag, dead count, per-source counts and orphans', async () => {
      await seed(2, 'done');
      await seed(1, 'dead');
      await seed(3, 'queued');
      await t.db.query(
        `INSERT INTO payment_orphans (source, external_id, kind, parent_external_id, first_seen_at) VALUES ('stripe','re_o','refund','ch_o', now() - interval '5 minutes')`,
      );
      const res = await request(t.url).get('/outbox/stats').set(admin());
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        counts: { queued: 3, running: 0, done: 2, error: 0, dead: 1, ignored: 0 },
        total: 6,
        deadCount: 1,
        oldestQueuedAgeS: expect.any(Number),
        nextRetryAt: null,
        bySource: {
          stripe: { queued: 3, running: 0, done: 2, error: 0, dead: 1, ignored: 0 },
          hubspot: { queued: 0, running: 0, done: 0, error: 0, dead: 0, ignored: 0 },
          gcal: { queued: 0, running: 0, done: 0, error: 0, dead: 0, ignored: 0 },
          buffalo: { queued: 0, running: 0, done: 0, error: 0, dead: 0, ignored: 0 },
        },
        orphans: { unreconciled: 1, givenUp: 0, oldestAgeS: expect.any(Number) },
      });
      expect(res.body.orphans.oldestAgeS).toBeGreaterThanOrEqual(299);
    });
  });

  describe('GET /outbox/dead', () => {
    it('pages through dead events newest first', async () => {
      const ids = await seed(3, 'dead');
      await seed(1, 'done');
      const p1 = await request(t.url).get('/outbox/dead?limit=2').set(admin());
      expect(p1.status).toBe(200);
      expect(p1.body.events.map((e: any) => e.id)).toEqual([ids[2], ids[1]]);
      expect(p1.body.events[0]).toEqual({
        id: ids[2],
        source: 'stripe',
        kind: 'stripe.charge',
        eventType: 'charge.snapshot',
        dedupeKey: expect.stringMatching(/^charge:ch_e\d+:v1$/),
        origin: 'poll',
        attempts: 3,
        failureClass: 'invalid_payload',
        lastError: 'amount is not a number',
        receivedAt: expect.stringMatching(/Z$/),
        deadAt: expect.stringMatching(/Z$/),
        vendorTime: expect.stringMatching(/Z$/),
      });
      expect(p1.body.nextBefore).toBe(ids[1]);
      const p2 = await request(t.url).get(`/outbox/dead?limit=2&before=${p1.body.nextBefore}`).set(admin());
      expect(p2.body).toEqual({ events: [expect.objectContaining({ id: ids[0] })], nextBefore: null });
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=1&limit=2', 'limit'],
      ['before=-1', 'before'],
      ['before=12abc', 'before'],
      ['before=99999999999999999999', 'before'],
      ['page=2', 'page'],
    ])('rejects %s', async (qs, field) => {
      const res = await request(t.url).get(`/outbox/dead?${qs}`).set(admin());
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        error: 'validation_failed',
        issues: [expect.objectContaining({ in: 'query', field })],
      });
    });
  });

  describe('POST /outbox/dead/:id/redrive', () => {
    it('requeues a dead event; the same key replays; another route with that key conflicts', async () => {
      const [id, other] = await seed(2, 'dead');
      const key = randomUUID();
      const res = await post(`/outbox/dead/${id}/redrive`, undefined, key);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ id, status: 'queued', requeued: 1 });
      const [row] = await t.db.query<any>('SELECT status, attempts, failure_class FROM ingest_outbox WHERE id = $1', [
        id,
      ]);
      expect(row).toEqual({ status: 'queued', attempts: 0, failure_class: null });

      const again = await post(`/outbox/dead/${id}/redrive`, undefined, key);
      expect(again.status).toBe(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(res.body);

      const mismatch = await post(`/outbox/dead/${other}/redrive`, undefined, key);
      expect(mismatch.status).toBe(409);
      expect(mismatch.body).toMatchObject({ error: 'idempotency_key_mismatch' });
      expect(await statusOf(other)).toBe('dead');
    });

    it('is 404 outbox_event_not_found for an unknown id or an event that is not dead', async () => {
      const [done] = await seed(1, 'done');
      for (const id of ['987654321', done]) {
        const res = await post(`/outbox/dead/${id}/redrive`);
        expect(res.status).toBe(404);
        expect(res.body).toMatchObject({ error: 'outbox_event_not_found', id, requestId: expect.any(String) });
      }
      expect(await statusOf(done)).toBe('done');
    });

    it('needs an Idempotency-Key', async () => {
      const [id] = await seed(1, 'dead');
      const res = await post(`/outbox/dead/${id}/redrive`, undefined, null);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'idempotency_key_required' });
      expect(await statusOf(id)).toBe('dead');
    });

    it.each(['abc', '0', '-3', '1.5', '99999999999999999999'])('rejects id %s', async (id) => {
      const res = await post(`/outbox/dead/${id}/redrive`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        error: 'validation_failed',
        issues: [{ in: 'params', field: 'id', message: expect.any(String) }],
      });
    });
  });

  describe('POST /outbox/replay', () => {
    const window = () => ({
      source: 'stripe',
      since: new Date(Date.now() - 3 * 3_600_000).toISOString(),
      until: new Date(Date.now() - 3_600_000).toISOString(),
    });

    it('requeues finished events in the window and reports how many', async () => {
      await seed(2, 'done', '2 hours');
      await seed(1, 'dead', '2 hours');
      await seed(1, 'done', '10 minutes');
      const body = window();
      const key = randomUUID();
      const res = await post('/outbox/replay', body, key);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        source: 'stripe',
        since: body.since,
        until: body.until,
        requeued: 3,
        byStatus: { done: 2, dead: 1, ignored: 0 },
      });
      const [{ n }] = await t.db.query<{ n: string }>(
        `SELECT count(*) AS n FROM ingest_outbox WHERE status = 'queued'`,
      );
      expect(Number(n)).toBe(3);

      const replayed = await post('/outbox/replay', body, key);
      expect(replayed.headers['idempotent-replayed']).toBe('true');
      expect(replayed.body).toEqual(res.body);
      const mismatch = await post('/outbox/replay', { ...body, source: 'hubspot' }, key);
      expect(mismatch.status).toBe(409);
      expect(mismatch.body).toMatchObject({ error: 'idempotency_key_mismatch' });
    });

    it('defaults until to now', async () => {
      await seed(2, 'ignored', '1 minute');
      const res = await post('/outbox/replay', {
        source: 'stripe',
        since: new Date(Date.now() - 3_600_000).toISOString(),
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ requeued: 2, byStatus: { done: 0, dead: 0, ignored: 2 } });
    });

    it('needs an Idempotency-Key', async () => {
      const res = await post('/outbox/replay', window(), null);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'idempotency_key_required' });
    });

    it.each([
      [{}, ['source', 'since']],
      [{ source: 'paypal', since: '2026-06-01T00:00:00Z' }, ['source']],
      [{ source: 'stripe', since: '2026-06-01' }, ['since']],
      [{ source: 'stripe', since: '2026-02-30T00:00:00Z' }, ['since']],
      [{ source: 'stripe', since: 1780000000 }, ['since']],
      [{ source: 'stripe', since: '2026-06-02T00:00:00Z', until: '2026-06-01T00:00:00Z' }, ['until']],
      [{ source: 'stripe', since: '2026-06-01T00:00:00Z', until: '2026-06-01T00:00:00Z' }, ['until']],
      [{ source: 'stripe', since: '2999-01-01T00:00:00Z' }, ['since']],
      [{ source: ['stripe'], since: '2026-06-01T00:00:00Z' }, ['source']],
      [{ source: 'stripe', since: '2026-06-01T00:00:00Z', dryRun: true }, ['dryRun']],
    ])('rejects %j', async (body, fields) => {
      const res = await post('/outbox/replay', body);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('validation_failed');
      expect(res.body.issues.map((i: any) => i.field).sort()).toEqual([...fields].sort());
      expect(res.body.issues.every((i: any) => i.in === 'body')).toBe(true);
    });

    it('rejects a body that is not a JSON object, not JSON, or too large', async () => {
      const arr = await post('/outbox/replay', ['stripe']);
      expect(arr.status).toBe(400);
      expect(arr.body.error).toBe('validation_failed');
      const broken = await request(t.url)
        .post('/outbox/replay')
        .set(admin())
        .set('Idempotency-Key', randomUUID())
        .set('Content-Type', 'application/json')
        .send('{"source":');
      expect(broken.status).toBe(400);
      expect(broken.body.error).toBe('validation_failed');
      const text = await request(t.url)
        .post('/outbox/replay')
        .set(admin())
        .set('Idempotency-Key', randomUUID())
        .set('Content-Type', 'text/plain')
        .send('source=stripe');
      expect(text.status).toBe(415);
      const huge = await post('/outbox/replay', {
        source: 'stripe',
        since: '2026-06-01T00:00:00Z',
        pad: 'x'.repeat(200_000),
      });
      expect(huge.status).toBe(413);
      expect(huge.body.error).toBe('payload_too_large');
    });
  });

  it('documents every pipeline route in the OpenAPI spec', async () => {
    const res = await request(t.url).get('/docs/openapi.json');
    const paths = res.body.paths;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining(['/outbox/stats', '/outbox/dead', '/outbox/dead/{id}/redrive', '/outbox/replay']),
    );
    expect(paths['/outbox/replay'].post.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: true })]),
    );
    expect(paths['/outbox/dead/{id}/redrive'].post.responses['404']).toBeDefined();
  });
});
