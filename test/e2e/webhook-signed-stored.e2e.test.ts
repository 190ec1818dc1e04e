import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import request from 'supertest';
import { OutboxWorker } from '../../src/outbox/outbox.worker.js';
import { signStripePayload, StripeSimState } from '../../scripts/sandbox/stripe/index.js';
import { signHubSpotV3 } from '../../scripts/sandbox/hubspot/hubspot-webhook-sender.js';
import { bootTestApp, TEST_ADMIN_KEY, TEST_API_KEY, type TestApp } from '../support/app.js';

/**
 * Signed means stored (DESIGN invariant 6): once the signature verifies, the event is evidence.
 * It is answered 200 and kept whatever its shape; the worker parks what it cannot map as dead
 * `invalid_payload` with a lastError that says why, and a redrive after the mapper is fixed brings
 * it into the ledger. The "fix" here stands in for a code change: a Stripe event without `created`
 * (what a new API version or a vendor's test tool can send) is versioned at its object's `created`.
 */
const fix = vi.hoisted(() => ({ on: false }));

/** What the fixed mapper does with an event that has no `created`. */
function withCreated(raw: unknown): unknown {
  const e = raw as { created?: unknown; data?: { object?: { created?: unknown } } } | null;
  if (!fix.on || !e || typeof e !== 'object' || e.created !== undefined) return raw;
  return { ...e, created: e.data?.object?.created };
}

vi.mock('../../src/connectors/stripe/stripe-webhook.event.js', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../src/connectors/stripe/stripe-webhook.event.js')>();
  return { ...orig, stripeEventIssues: (body: unknown) => orig.stripeEventIssues(withCreated(body)) };
});
vi.mock('../../src/connectors/stripe/stripe.mappers.js', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../src/connectors/stripe/stripe.mappers.js')>();
  return {
    ...orig,
    eventRecords: (raw: unknown, rules?: Parameters<typeof orig.eventRecords>[1]) =>
      orig.eventRecords(withCreated(raw), rules),
  };
});

const STRIPE_SECRET = 'whsec_signed_means_stored';
const HUBSPOT_SECRET = 'hubspot-signed-means-stored';

let t: TestApp;
const drain = () => t.app.get(OutboxWorker).drain();
const admin = (r: request.Test) => r.set('x-admin-api-key', TEST_ADMIN_KEY);
const postStripe = (body: string, signature = signStripePayload(body, STRIPE_SECRET)) =>
  request(t.url)
    .post('/webhooks/stripe')
    .set('content-type', 'application/json')
    .set('stripe-signature', signature)
    .send(body);
const postHubspot = (body: string) => {
  const ts = Date.now();
  return request(t.url)
    .post('/webhooks/hubspot')
    .set('content-type', 'application/json')
    .set('x-hubspot-signature-v3', signHubSpotV3(HUBSPOT_SECRET, 'POST', `${t.url}/webhooks/hubspot`, body, ts))
    .set('x-hubspot-request-timestamp', String(ts))
    .send(body);
};
const outboxRow = async (key: string) =>
  (
    await t.db.query<{ id: string; status: string; failure_class: string | null; last_error: string | null }>(
      `SELECT id::text, status, failure_class, last_error FROM ingest_outbox WHERE dedupe_key = $1`,
      [key],
    )
  )[0];

beforeAll(async () => {
  t = await bootTestApp({ STRIPE_WEBHOOK_SECRET: STRIPE_SECRET, HUBSPOT_CLIENT_SECRET: HUBSPOT_SECRET });
});
afterAll(async () => t?.close());

describe('signed means stored', () => {
  it('a signed Stripe event without `created` → 200, stored, dead invalid_payload; redriven after the fix it reaches the ledger', async () => {
    const state = new StripeSimState({ seed: 9 });
    const charge = state.createCharge({ amount: 4_900, currency: 'usd' });
    const event = state.snapshot().events.find((e) => e.type === 'charge.succeeded')!;
    const { created: _created, ...withoutCreated } = event;
    const body = JSON.stringify(withoutCreated);

    const res = await postStripe(body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ received: true, type: 'charge.succeeded', duplicate: false });
    expect(await outboxRow(event.id)).toMatchObject({ status: 'queued' });

    await drain();
    const parked = await outboxRow(event.id);
    expect(parked).toMatchObject({ status: 'dead', failure_class: 'invalid_payload' });
    expect(parked.last_error).toMatch(/created/);
    const dead = await admin(request(t.url).get('/outbox/dead'));
    expect(dead.body.events).toContainEqual(
      expect.objectContaining({
        id: parked.id,
        dedupeKey: event.id,
        failureClass: 'invalid_payload',
        lastError: expect.stringContaining('created'),
      }),
    );
    expect(
      (await request(t.url).get(`/records/payments/stripe/${charge.id}`).set('x-api-key', TEST_API_KEY)).status,
    ).toBe(404);

    // The mapper is fixed; the dead event is redriven and lands in the ledger, with its lineage.
    fix.on = true;
    const redrive = await admin(request(t.url).post(`/outbox/dead/${parked.id}/redrive`)).set(
      'idempotency-key',
      'signed-stored-redrive-1',
    );
    expect(redrive.status, JSON.stringify(redrive.body)).toBe(200);
    await drain();
    expect(await outboxRow(event.id)).toMatchObject({ status: 'done', failure_class: null });
    const record = await request(t.url).get(`/records/payments/stripe/${charge.id}`).set('x-api-key', TEST_API_KEY);
    expect(record.status).toBe(200);
    expect(record.body).toMatchObject({ status: 'SUCCEEDED', amountCents: '4900', counted: true });
    expect(record.body.events).toEqual([
      expect.objectContaining({ outboxId: parked.id, vendorEventId: event.id, origin: 'webhook', won: true }),
    ]);
  });

  it('a signed body that is not JSON → 200, kept byte for byte, dead invalid_payload', async () => {
    const body = '{"id":"evt_truncated","type":"charge.succ';
    const res = await postStripe(body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, type: 'unknown', duplicate: false });
    const [row] = await t.db.query<{ dedupe_key: string; payload: any }>(
      `SELECT dedupe_key, payload FROM ingest_outbox WHERE payload ? 'unparsedBody' AND source = 'stripe'`,
    );
    expect(row.dedupe_key).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(Buffer.from(row.payload.unparsedBody.base64, 'base64').toString('utf8')).toBe(body);
    await drain();
    const parked = await outboxRow(row.dedupe_key);
    expect(parked).toMatchObject({ status: 'dead', failure_class: 'invalid_payload' });
    expect(parked.last_error).toMatch(/not a JSON event/);
  });

  it('a signed Stripe event of an unknown type and shape → 200, stored, dead (not silently ignored)', async () => {
    const body = JSON.stringify({
      id: 'evt_future_shape',
      object: 'event',
      type: 'billing.meter.v2_created',
      payload: {},
    });
    expect((await postStripe(body)).body).toEqual({
      received: true,
      type: 'billing.meter.v2_created',
      duplicate: false,
    });
    await drain();
    expect(await outboxRow('evt_future_shape')).toMatchObject({ status: 'dead', failure_class: 'invalid_payload' });
  });

  it('a signed HubSpot batch with odd items → 200, every item stored; the unusable ones dead invalid_payload, the rest flows', async () => {
    const now = Date.now();
    const body = JSON.stringify([
      { eventId: 700_001, subscriptionType: 'company.creation', objectId: 5, portalId: 1, occurredAt: now },
      { eventId: 700_002, subscriptionType: 'deal.creation', objectId: 'abc', portalId: 1, occurredAt: 'now' },
      { subscriptionType: 'deal.creation', portalId: 1, note: 'no ids at all' },
    ]);
    const res = await postHubspot(body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ received: true, type: 'batch', duplicate: false, stored: 3 });
    await drain();
    expect(await outboxRow('700001')).toMatchObject({ status: 'ignored' });
    const odd = await outboxRow('700002');
    expect(odd).toMatchObject({ status: 'dead', failure_class: 'invalid_payload' });
    expect(odd.last_error).toMatch(/objectId must be a non-negative integer.*occurredAt must be epoch milliseconds/);
    const [noId] = await t.db.query<{ dedupe_key: string; status: string; failure_class: string }>(
      `SELECT dedupe_key, status, failure_class FROM ingest_outbox WHERE payload->>'note' = 'no ids at all'`,
    );
    expect(noId).toMatchObject({
      dedupe_key: expect.stringMatching(/^sha256:/),
      status: 'dead',
      failure_class: 'invalid_payload',
    });
    // Redelivered as is: nothing new.
    expect((await postHubspot(body)).body).toMatchObject({ duplicate: true, stored: 0 });
  });

  it('an invalid or missing signature is still 400, and nothing is stored', async () => {
    const count = async () => Number((await t.db.query<{ n: string }>(`SELECT count(*) AS n FROM ingest_outbox`))[0].n);
    const before = await count();
    const body = JSON.stringify({ id: 'evt_unsigned', type: 'charge.succeeded' });
    const wrong = await postStripe(body, signStripePayload(body, 'whsec_someone_else'));
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_signature');
    const missing = await request(t.url).post('/webhooks/stripe').set('content-type', 'application/json').send(body);
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('missing_signature');
    const hubspot = await request(t.url)
      .post('/webhooks/hubspot')
      .set('content-type', 'application/json')
      .set('x-hubspot-signature-v3', 'bm9wZQ==')
      .set('x-hubspot-request-timestamp', String(Date.now()))
      .send('[]');
    expect(hubspot.status).toBe(400);
    expect(await count()).toBe(before);
  });
});
