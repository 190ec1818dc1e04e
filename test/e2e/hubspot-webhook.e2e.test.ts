import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { bootTestApp, type TestApp } from '../support/app.js';
import {
  sendHubSpotWebhook,
  signHubSpotV3,
  type WebhookEventInput,
} from '../../scripts/sandbox/hubspot/hubspot-webhook-sender.js';

const SECRET = 'hubspot-app-client-secret-0001';

describe('POST /webhooks/hubspot', () => {
  let t: TestApp;
  let url: string;
  let eventId = 5_000;
  const ev = (over: Partial<WebhookEventInput> = {}): WebhookEventInput => ({
    eventId: eventId++,
    subscriptionType: 'deal.propertyChange',
    objectId: 9_000_000_001,
    propertyName: 'amount',
    propertyValue: '10',
    ...over,
  });
  const stored = async () =>
    (await t.db.query<{ n: string }>(`SELECT count(*) AS n FROM ingest_outbox WHERE kind = 'hubspot.webhook'`))[0].n;

  beforeAll(async () => {
    t = await bootTestApp({ HUBSPOT_CLIENT_SECRET: SECRET });
    url = `${t.url}/webhooks/hubspot`;
  });
  afterAll(async () => t?.close());

  /** Sends raw bytes with explicit headers, to forge what the sender would never produce. */
  const post = (body: string, headers: Record<string, string>) =>
    request(t.url).post('/webhooks/hubspot').set('content-type', 'application/json').set(headers).send(body);
  const signed = (body: string, o: { secret?: string; uri?: string; ts?: number } = {}) => {
    const ts = o.ts ?? Date.now();
    return {
      'x-hubspot-signature-v3': signHubSpotV3(o.secret ?? SECRET, 'POST', o.uri ?? url, body, ts),
      'x-hubspot-request-timestamp': String(ts),
    };
  };

  it('stores a correctly signed batch and answers 200 with the receipt', async () => {
    const before = Number(await stored());
    const res = await sendHubSpotWebhook(
      url,
      [ev(), ev({ subscriptionType: 'contact.creation', objectId: 42 })],
      SECRET,
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, type: 'batch', duplicate: false, stored: 2 });
    expect(Number(await stored())).toBe(before + 2);
    const rows = await t.db.query<any>(
      `SELECT dedupe_key, event_type, origin, status, vendor_time FROM ingest_outbox WHERE kind = 'hubspot.webhook' ORDER BY id DESC LIMIT 2`,
    );
    expect(rows.map((r) => r.event_type).sort()).toEqual(['contact.creation', 'deal.propertyChange']);
    expect(rows.every((r) => r.origin === 'webhook' && r.status === 'queued')).toBe(true);
  });

  it('the same batch twice stores nothing new and says duplicate', async () => {
    const batch = [ev(), ev()];
    const first = await sendHubSpotWebhook(url, batch, SECRET);
    expect(first.body).toMatchObject({ duplicate: false, stored: 2 });
    const before = await stored();
    const again = await sendHubSpotWebhook(url, batch, SECRET);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ received: true, type: 'batch', duplicate: true, stored: 0 });
    expect(await stored()).toBe(before);
  });

  it('overlapping batches store only the new events, and a single event reports stored too', async () => {
    const [a, b, c] = [ev(), ev(), ev()];
    await sendHubSpotWebhook(url, [a, b], SECRET);
    const overlap = await sendHubSpotWebhook(url, [b, c], SECRET);
    expect(overlap.body).toEqual({ received: true, type: 'batch', duplicate: false, stored: 1 });
    const single = await sendHubSpotWebhook(url, [c], SECRET);
    expect(single.body).toEqual({ received: true, type: 'batch', duplicate: true, stored: 0 });
    const fresh = await sendHubSpotWebhook(url, [ev()], SECRET);
    expect(fresh.body).toEqual({ received: true, type: 'batch', duplicate: false, stored: 1 });
  });

  it('stores unknown subscription types (they are ignored later, never bounced)', async () => {
    const res = await sendHubSpotWebhook(url, [ev({ subscriptionType: 'ticket.creation' })], SECRET);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ duplicate: false, stored: 1 });
  });

  describe('signature vectors', () => {
    const body = () =>
      JSON.stringify([
        { eventId: eventId++, subscriptionType: 'deal.creation', objectId: 1, portalId: 62515, occurredAt: Date.now() },
      ]);

    it('valid (raw) → 200', async () => {
      const b = body();
      expect((await post(b, signed(b))).status).toBe(200);
    });

    it.each([
      ['wrong secret', (b: string) => signed(b, { secret: 'not-the-secret' })],
      ['stale timestamp (6 minutes old)', (b: string) => signed(b, { ts: Date.now() - 6 * 60_000 })],
      ['timestamp from the future', (b: string) => signed(b, { ts: Date.now() + 10 * 60_000 })],
      ['wrong URI', (b: string) => signed(b, { uri: 'https://elsewhere.example.com/webhooks/hubspot' })],
      ['tampered body', (b: string) => signed(b.replace('"objectId":1', '"objectId":2'))],
    ])('%s → 400 invalid_signature, nothing stored', async (_name, headersFor) => {
      const b = body();
      const before = await stored();
      const res = await post(b, headersFor(b));
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_signature', requestId: expect.any(String) });
      expect(await stored()).toBe(before);
    });

    it.each([
      [
        'no signature',
        (h: Record<string, string>) => ({ 'x-hubspot-request-timestamp': h['x-hubspot-request-timestamp'] }),
      ],
      ['no timestamp', (h: Record<string, string>) => ({ 'x-hubspot-signature-v3': h['x-hubspot-signature-v3'] })],
      ['no headers', () => ({})],
    ])('%s → 400 missing_signature', async (_name, strip) => {
      const b = body();
      const res = await post(b, strip(signed(b)));
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('missing_signature');
    });

    it('a non-numeric timestamp → 400 invalid_signature', async () => {
      const b = body();
      const res = await post(b, { ...signed(b), 'x-hubspot-request-timestamp': 'yesterday' });
      expect(res.body.error).toBe('invalid_signature');
    });

    it('honours X-Forwarded-Proto/Host when rebuilding the signed URI', async () => {
      const b = body();
      const publicUri = 'https://hooks.example.com/webhooks/hubspot';
      const res = await post(b, {
        ...signed(b, { uri: publicUri }),
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'hooks.example.com',
      });
      expect(res.status).toBe(200);
    });
  });

  describe('odd bodies (correctly signed) are stored whatever their shape (signed means stored)', () => {
    it.each([
      ['not JSON', '{nope'],
      ['an object, not an array', JSON.stringify({ eventId: 1 })],
      ['an empty array', '[]'],
      [
        'more than 100 events',
        JSON.stringify(
          Array.from({ length: 101 }, (_, i) => ({
            eventId: 980_000 + i,
            subscriptionType: 'deal.creation',
            objectId: 1,
            portalId: 1,
            occurredAt: 1,
          })),
        ),
      ],
      [
        'an event without eventId',
        JSON.stringify([{ subscriptionType: 'deal.creation', objectId: 1, portalId: 1, occurredAt: 1781000000000 }]),
      ],
      [
        'an event with a string occurredAt',
        JSON.stringify([
          { eventId: 990_001, subscriptionType: 'deal.creation', objectId: 1, portalId: 1, occurredAt: 'now' },
        ]),
      ],
      ['an empty body', ''],
    ])('%s', async (name, b) => {
      const before = Number(await stored());
      const res = await post(b, signed(b));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      // Every element of an array is an event; anything else (not JSON, an object) is one.
      const expected = name === 'an empty array' ? 0 : name === 'more than 100 events' ? 101 : 1;
      expect(res.body).toEqual({ received: true, type: 'batch', duplicate: false, stored: expected });
      expect(Number(await stored())).toBe(before + expected);
      if (expected) expect((await post(b, signed(b))).body).toMatchObject({ duplicate: true, stored: 0 });
    });
  });

  it('is in the OpenAPI document', async () => {
    const doc = await request(t.url).get('/docs/openapi.json');
    expect(doc.body.paths['/webhooks/hubspot'].post).toBeDefined();
  });
});

describe('POST /webhooks/hubspot with HUBSPOT_WEBHOOK_URL', () => {
  let t: TestApp;
  const publicUrl = 'https://buffalo.example.com/webhooks/hubspot';
  beforeAll(async () => {
    t = await bootTestApp({ HUBSPOT_CLIENT_SECRET: SECRET, HUBSPOT_WEBHOOK_URL: publicUrl });
  });
  afterAll(async () => t?.close());

  it('verifies against the configured public URL, not the local one', async () => {
    const b = JSON.stringify([
      { eventId: 1, subscriptionType: 'deal.creation', objectId: 1, portalId: 1, occurredAt: Date.now() },
    ]);
    const ts = Date.now();
    const send = (uri: string) =>
      request(t.url)
        .post('/webhooks/hubspot')
        .set('content-type', 'application/json')
        .set({
          'x-hubspot-signature-v3': signHubSpotV3(SECRET, 'POST', uri, b, ts),
          'x-hubspot-request-timestamp': String(ts),
        })
        .send(b);
    expect((await send(`${t.url}/webhooks/hubspot`)).body.error).toBe('invalid_signature');
    expect((await send(publicUrl)).status).toBe(200);
  });
});

describe('POST /webhooks/hubspot without HUBSPOT_CLIENT_SECRET', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp({});
  });
  afterAll(async () => t?.close());

  it('is 404 hubspot_disabled', async () => {
    const res = await request(t.url).post('/webhooks/hubspot').set('content-type', 'application/json').send('[]');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: 'hubspot_disabled', requestId: expect.any(String) });
  });
});
