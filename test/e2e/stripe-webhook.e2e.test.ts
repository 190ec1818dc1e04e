import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import request from 'supertest';
import pg from 'pg';
import { createHash } from 'node:crypto';
import { bootTestApp, TEST_ADMIN_KEY, TEST_API_KEY, type TestApp } from '../support/app.js';
import {
  sendStripeWebhook,
  signStripePayload,
  StripeSimState,
  type StripeEvent,
} from '../../scripts/sandbox/stripe/index.js';

const SECRET = 'whsec_e2e_current_secret';
const OLD_SECRET = 'whsec_e2e_previous_secret';

/** Real events from the simulator's account model, so bodies look exactly like Stripe's. */
function makeEvents(): StripeEvent[] {
  const state = new StripeSimState({ seed: 101 });
  const c = state.createCharge({ amount: 4_200, currency: 'usd', customer: 'cus_e2e' });
  state.refundCharge(c.id, { amount: 1_200 });
  state.createCharge({ amount: 990, currency: 'eur' });
  state.createCharge({ amount: 1_000, currency: 'usd' });
  return state.snapshot().events;
}

describe('POST /webhooks/stripe', () => {
  let t: TestApp;
  let url: string;
  const events = makeEvents();
  const rowsFor = (id: string) =>
    t.db.query<any>(
      `SELECT kind, dedupe_key, origin, event_type, payload, vendor_time, status FROM ingest_outbox WHERE source = 'stripe' AND dedupe_key = $1`,
      [id],
    );
  const count = async () => Number((await t.db.query<{ n: string }>(`SELECT count(*) AS n FROM ingest_outbox`))[0].n);
  const post = (body: string, headers: Record<string, string>) =>
    request(t.url).post('/webhooks/stripe').set('content-type', 'application/json').set(headers).send(body);

  beforeAll(async () => {
    // Only the webhook secret (two, mid-rotation): no STRIPE_API_KEY.
    t = await bootTestApp({ STRIPE_WEBHOOK_SECRET: `${SECRET},${OLD_SECRET}`, MAX_WEBHOOK_BODY_BYTES: '4096' });
    url = `${t.url}/webhooks/stripe`;
  });
  afterAll(async () => t?.close());

  it('stores a correctly signed event once and answers after commit', async () => {
    const e = events[0];
    const res = await sendStripeWebhook({ url, secret: SECRET, event: e });
    expect(res).toEqual({ status: 200, body: { received: true, type: 'charge.succeeded', duplicate: false } });
    const rows = await rowsFor(e.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      kind: 'stripe.event',
      origin: 'webhook',
      event_type: 'charge.succeeded',
      status: 'queued',
    });
    expect(new Date(rows[0].vendor_time).getTime()).toBe(e.created * 1000);
    expect(rows[0].payload).toEqual(e);
  });

  it('a redelivery (new signature, same event id) answers duplicate: true and stores nothing', async () => {
    const e = events[1];
    await sendStripeWebhook({ url, secret: SECRET, event: e });
    const before = await count();
    const again = await sendStripeWebhook({
      url,
      secret: SECRET,
      event: e,
      timestampS: Math.floor(Date.now() / 1000) - 5,
    });
    expect(again).toEqual({ status: 200, body: { received: true, type: e.type, duplicate: true } });
    expect(await count()).toBe(before);
    expect(await rowsFor(e.id)).toHaveLength(1);
  });

  it('accepts the previous secret while it is being rolled', async () => {
    const res = await sendStripeWebhook({ url, secret: OLD_SECRET, event: events[2] });
    expect(res.status).toBe(200);
  });

  it('refuses a missing Stripe-Signature header', async () => {
    const before = await count();
    const res = await post(JSON.stringify(events[3]), {});
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: 'missing_signature',
      message: expect.any(String),
      requestId: expect.any(String),
    });
    expect(await count()).toBe(before);
  });

  it('refuses a signature made with the wrong secret, a tampered body, and a malformed header', async () => {
    const before = await count();
    const body = JSON.stringify(events[3]);
    const wrong = await post(body, { 'stripe-signature': signStripePayload(body, 'whsec_not_ours') });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ error: 'invalid_signature', requestId: expect.any(String) });

    const header = signStripePayload(body, SECRET);
    const forged = body.replace(/"amount":\d+/, '"amount":9999999');
    expect(forged).not.toBe(body);
    const tampered = await post(forged, { 'stripe-signature': header });
    expect(tampered.status).toBe(400);
    expect(tampered.body.error).toBe('invalid_signature');

    const garbage = await post(body, { 'stripe-signature': 'definitely-not-a-signature' });
    expect(garbage.status).toBe(400);
    expect(garbage.body).toMatchObject({ error: 'invalid_signature', message: expect.stringContaining('t=') });
    expect(await count()).toBe(before);
  });

  it('enforces the 300 s timestamp tolerance', async () => {
    const body = JSON.stringify(events[3]);
    const now = Math.floor(Date.now() / 1000);
    const stale = await post(body, { 'stripe-signature': signStripePayload(body, SECRET, now - 301) });
    expect(stale.status).toBe(400);
    expect(stale.body).toMatchObject({ error: 'invalid_signature', message: expect.stringContaining('300 s') });
    const recent = await post(body, { 'stripe-signature': signStripePayload(body, SECRET, now - 240) });
    expect(recent.status).toBe(200);
  });

  it('a correctly signed body is stored whatever its shape: not JSON, not an event, no created (signed means stored)', async () => {
    const before = await count();
    const key = (raw: string) => `sha256:${createHash('sha256').update(raw).digest('hex')}`;
    const notJson = 'id=evt_1&type=charge.succeeded';
    const r1 = await post(notJson, { 'stripe-signature': signStripePayload(notJson, SECRET) });
    expect(r1.status).toBe(200);
    expect(r1.body).toEqual({ received: true, type: 'unknown', duplicate: false });
    const [kept] = await rowsFor(key(notJson));
    expect(kept).toMatchObject({
      kind: 'stripe.event',
      origin: 'webhook',
      event_type: 'unknown',
      status: 'queued',
      vendor_time: null,
    });
    expect(Buffer.from(kept.payload.unparsedBody.base64, 'base64').toString()).toBe(notJson);

    const notEvent = JSON.stringify({ hello: 'world' });
    const r2 = await post(notEvent, { 'stripe-signature': signStripePayload(notEvent, SECRET) });
    expect(r2.body).toEqual({ received: true, type: 'unknown', duplicate: false });
    expect((await rowsFor(key(notEvent)))[0].payload).toEqual({ hello: 'world' });

    const array = JSON.stringify([events[0]]);
    const r3 = await post(array, { 'stripe-signature': signStripePayload(array, SECRET) });
    expect(r3.status).toBe(200);
    expect(await rowsFor(key(array))).toHaveLength(1);

    const noCreated = JSON.stringify({ ...events[0], id: 'evt_nocreated', created: 'yesterday' });
    const r4 = await post(noCreated, { 'stripe-signature': signStripePayload(noCreated, SECRET) });
    expect(r4.body).toEqual({ received: true, type: 'charge.succeeded', duplicate: false });
    expect(await rowsFor('evt_nocreated')).toEqual([expect.objectContaining({ vendor_time: null, status: 'queued' })]);
    // Redelivered: deduped by the event id, or by the bytes when there is no id.
    expect((await post(noCreated, { 'stripe-signature': signStripePayload(noCreated, SECRET) })).body.duplicate).toBe(
      true,
    );
    expect((await post(notJson, { 'stripe-signature': signStripePayload(notJson, SECRET) })).body.duplicate).toBe(true);

    const empty = await request(t.url).post('/webhooks/stripe').set('stripe-signature', signStripePayload('', SECRET));
    expect(empty.status).toBe(200);
    expect(await count()).toBe(before + 5);
  });

  it('an oversize body is 413 payload_too_large', async () => {
    const big = JSON.stringify({ ...events[0], id: 'evt_big', padding: 'x'.repeat(5000) });
    const res = await post(big, { 'stripe-signature': signStripePayload(big, SECRET) });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: 'payload_too_large', requestId: expect.any(String) });
  });

  it('works without STRIPE_API_KEY: webhooks are on, polling is not', async () => {
    const res = await request(t.url)
      .post('/trigger/stripe/incremental')
      .set('x-admin-api-key', TEST_ADMIN_KEY)
      .set('idempotency-key', 'stripe-no-key-1');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('source_not_enabled');
  });

  it('is documented in OpenAPI with every response and examples', async () => {
    const doc = (await request(t.url).get('/docs/openapi.json')).body;
    const op = doc.paths['/webhooks/stripe'].post;
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '404', '413', '503']);
    expect(Object.keys(op.responses['400'].content['application/json'].examples)).toEqual(
      expect.arrayContaining(['missing_signature', 'invalid_signature', 'stale_signature']),
    );
    expect(op.responses['404'].content['application/json'].example.error).toBe('stripe_disabled');
    expect(op.parameters.some((p: any) => p.name === 'Stripe-Signature' && p.in === 'header')).toBe(true);
  });
});

describe('POST /webhooks/stripe without STRIPE_WEBHOOK_SECRET', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp({});
  });
  afterAll(async () => t?.close());

  it('is 404 stripe_disabled, signature or not', async () => {
    const body = JSON.stringify(makeEvents()[0]);
    const res = await request(t.url)
      .post('/webhooks/stripe')
      .set('content-type', 'application/json')
      .set('stripe-signature', signStripePayload(body, 'whsec_x'))
      .send(body);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: 'stripe_disabled', requestId: expect.any(String) });
  });
});

describe('stripe webhook to revenue, and 503 when it cannot be stored', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp({ STRIPE_WEBHOOK_SECRET: SECRET, WORKER: 'on', WORKER_POLL_MS: '50' });
  });
  afterAll(async () => t?.close());

  it('a webhook charge and its refund show up in revenue within about a second', async () => {
    const state = new StripeSimState({ seed: 202 });
    const c = state.createCharge({ amount: 7_700, currency: 'usd' });
    state.refundCharge(c.id, { amount: 700 });
    const day = new Date(c.created * 1000).toISOString().slice(0, 10);
    const t0 = Date.now();
    for (const e of state.snapshot().events)
      expect((await sendStripeWebhook({ url: `${t.url}/webhooks/stripe`, secret: SECRET, event: e })).status).toBe(200);
    let body: any;
    for (;;) {
      body = (
        await request(t.url)
          .get(`/metrics/revenue/summary?startDate=${day}&endDate=${day}&source=stripe&currency=USD`)
          .set('x-api-key', TEST_API_KEY)
      ).body;
      if (body.refundsCents === '700' || Date.now() - t0 > 5000) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(body).toMatchObject({
      grossCents: '7700',
      refundsCents: '700',
      totalRevenueCents: '7000',
      count: 1,
      refundCount: 1,
    });
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('answers 503 with Retry-After when Postgres refuses, so Stripe retries', async () => {
    const dbName = new URL(t.config.databaseUrl!).pathname.slice(1);
    const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS false`);
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [dbName],
      );
      const body = JSON.stringify({ ...makeEvents()[0], id: 'evt_during_outage' });
      const res = await request(t.url)
        .post('/webhooks/stripe')
        .set('content-type', 'application/json')
        .set('stripe-signature', signStripePayload(body, SECRET))
        .send(body);
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body).toMatchObject({
        error: expect.stringMatching(/^(database_unavailable|storage_failed)$/),
        requestId: expect.any(String),
      });
    } finally {
      await admin.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    const e = makeEvents()[0];
    const retry = await sendStripeWebhook({
      url: `${t.url}/webhooks/stripe`,
      secret: SECRET,
      event: { ...e, id: 'evt_during_outage' },
    });
    expect(retry.status).toBe(200);
  });
});
