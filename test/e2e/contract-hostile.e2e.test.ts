import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import request from 'supertest';
import { gzipSync } from 'node:zlib';
import net from 'node:net';
import pg from 'pg';
import { bootTestApp, TEST_ADMIN_KEY, TEST_API_KEY, type TestApp } from '../support/app.js';
import { signStripePayload } from '../../scripts/sandbox/stripe/index.js';
import { signHubSpotV3 } from '../../scripts/sandbox/hubspot/hubspot-webhook-sender.js';
import { OutboxWorker } from '../../src/outbox/outbox.worker.js';
import { LedgerFiguresRepository } from '../../src/records/ledger-figures.repository.js';

/**
 * The HTTP surface under hostile input, checked from the outside against CONTRACT.md: every
 * non-2xx is the contract's JSON error (requestId = x-request-id, no driver text), nothing
 * answers 500, and a webhook is either stored whole or refused in a way the vendor can act on.
 */
const STRIPE_SECRET = 'whsec_hostile_secret';
const HUBSPOT_SECRET = 'hubspot-hostile-secret';
const HUBSPOT_URL = 'https://hooks.example.com/webhooks/hubspot';

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  text?: string;
}

/** The contract's error shape, with the request id of the response header. */
function expectContractError(res: Res, status: number, error: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  expect(res.body).toMatchObject({ error, message: expect.any(String), requestId: res.headers['x-request-id'] });
  expect(res.body.requestId).toBeTruthy();
}

const nowS = () => Math.floor(Date.now() / 1000);

function stripeEvent(id: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: nowS(),
    type: 'charge.succeeded',
    livemode: false,
    data: {
      object: {
        id: `ch_${id}`,
        object: 'charge',
        amount: 1200,
        amount_captured: 1200,
        captured: true,
        currency: 'usd',
        status: 'succeeded',
        created: nowS(),
        metadata: {},
      },
    },
    ...extra,
  };
}

/** Sends raw bytes over TCP and returns the parsed status line, headers and body. */
/** `keepOpen`: write without half-closing, as curl does, and wait for the server to close. */
function rawHttp(url: string, bytes: string, keepOpen = false): Promise<Res> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = net.connect(Number(port), hostname, () => (keepOpen ? sock.write(bytes) : sock.end(bytes)));
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      const bodyText = rest.join('\r\n\r\n');
      let body: unknown = null;
      try {
        body = JSON.parse(bodyText);
      } catch {
        body = bodyText;
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body, text });
    });
  });
}

describe('hostile input over HTTP', () => {
  let t: TestApp;
  const outboxRows = (key: string) =>
    t.db.query<{ payload: any; vendor_time: string | null }>(
      `SELECT payload, vendor_time FROM ingest_outbox WHERE dedupe_key = $1`,
      [key],
    );
  const outboxCount = async () =>
    Number((await t.db.query<{ n: string }>(`SELECT count(*) AS n FROM ingest_outbox`))[0].n);
  const postStripe = (body: string, header = signStripePayload(body, STRIPE_SECRET), path = '/webhooks/stripe') =>
    request(t.url).post(path).set('content-type', 'application/json').set('stripe-signature', header).send(body);
  const postHubspot = (body: string) => {
    const ts = String(Date.now());
    return request(t.url)
      .post('/webhooks/hubspot')
      .set('content-type', 'application/json')
      .set('x-hubspot-request-timestamp', ts)
      .set('x-hubspot-signature-v3', signHubSpotV3(HUBSPOT_SECRET, 'POST', HUBSPOT_URL, body, ts))
      .send(body);
  };
  const hubspotEvent = (eventId: number | string, extra: Record<string, unknown> = {}) => ({
    eventId,
    subscriptionId: 1,
    portalId: 62515,
    appId: 7,
    occurredAt: Date.now(),
    subscriptionType: 'deal.propertyChange',
    attemptNumber: 0,
    objectId: 42,
    propertyName: 'dealstage',
    propertyValue: 'closedwon',
    ...extra,
  });

  beforeAll(async () => {
    t = await bootTestApp({
      STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
      HUBSPOT_CLIENT_SECRET: HUBSPOT_SECRET,
      HUBSPOT_WEBHOOK_URL: HUBSPOT_URL,
    });
  });
  afterAll(async () => t?.close());

  describe('instants the database cannot hold are refused, not a 500', () => {
    // 9999-12-31T23:00-14:00 is 10000-01-01T13:00Z: a valid-looking ISO string past year 9999 UTC.
    const past9999 = { from: '9999-12-31T23:00:00-14:00', to: '9999-12-31T23:30:00-14:00' };

    it.each(['/metrics/revenue', '/metrics/revenue/breakdown'])(
      'GET %s with from/to past 9999-12-31 UTC → 400 validation_failed',
      async (path) => {
        const res = await request(t.url).get(path).query(past9999).set('x-api-key', TEST_API_KEY);
        expectContractError(res, 400, 'validation_failed');
        expect(res.body.issues.map((i: any) => i.field).sort()).toEqual(['from', 'to']);
      },
    );

    it('the last representable instants still work', async () => {
      const res = await request(t.url)
        .get('/metrics/revenue')
        .query({ from: '9999-12-31T00:00:00Z', to: '9999-12-31T23:59:59.999Z' })
        .set('x-api-key', TEST_API_KEY);
      expect(res.status).toBe(200);
    });

    it('POST /outbox/replay with until past 9999-12-31 UTC → 400 validation_failed', async () => {
      const res = await request(t.url)
        .post('/outbox/replay')
        .set('x-admin-api-key', TEST_ADMIN_KEY)
        .set('idempotency-key', 'hostile-replay-10000')
        .send({ source: 'stripe', since: '2026-01-01T00:00:00Z', until: '9999-12-31T23:59:59-14:00' });
      expectContractError(res, 400, 'validation_failed');
      expect(res.body.issues[0]).toMatchObject({ in: 'body', field: 'until' });
    });
  });

  describe('Stripe-Signature timestamps', () => {
    it.each([
      ['an hour ahead', () => nowS() + 3600],
      ['in the year 5138', () => 99_999_999_999],
    ])('a signature dated %s → 400 invalid_signature, nothing stored', async (_name, ts) => {
      const body = JSON.stringify(stripeEvent(`evt_future_${ts() % 1000}_${_name.length}`));
      const before = await outboxCount();
      const res = await postStripe(body, signStripePayload(body, STRIPE_SECRET, ts()));
      expectContractError(res, 400, 'invalid_signature');
      expect(await outboxCount()).toBe(before);
    });

    it('a few seconds of clock skew ahead is accepted', async () => {
      const body = JSON.stringify(stripeEvent('evt_skew_ahead'));
      const res = await postStripe(body, signStripePayload(body, STRIPE_SECRET, nowS() + 20));
      expect(res.status).toBe(200);
    });
  });

  describe('event times no database column can hold → stored without a version time, never a 503 the vendor retries forever', () => {
    it.each([1e15, Number.MAX_SAFE_INTEGER, 253_402_300_800])(
      'Stripe created = %d → 200, stored with vendor_time null (the worker parks it as invalid_payload)',
      async (created) => {
        const body = JSON.stringify(stripeEvent(`evt_created_${created}`, { created }));
        const res = await postStripe(body);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(await outboxRows(`evt_created_${created}`)).toEqual([expect.objectContaining({ vendor_time: null })]);
      },
    );

    it.each([9e15, Number.MAX_SAFE_INTEGER])(
      'HubSpot occurredAt = %d → 200, the batch is stored whole, that event without a version time',
      async (occurredAt) => {
        const res = await postHubspot(JSON.stringify([hubspotEvent(910_001), hubspotEvent(910_002, { occurredAt })]));
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(await outboxRows('910001')).toHaveLength(1);
        expect(await outboxRows('910002')).toEqual([expect.objectContaining({ vendor_time: null })]);
      },
    );
  });

  describe('text Postgres jsonb cannot hold (U+0000, unpaired surrogates) is stored, not bounced with 503', () => {
    it('a signed Stripe event with NUL and a lone surrogate in its metadata is stored once, those characters as U+FFFD', async () => {
      const event = stripeEvent('evt_nul_metadata');
      event.data.object.metadata = { note: 'a\u0000b', broken: 'x\ud800y', path: 'C:\\u0000 stays text', pair: '😀' };
      const body = JSON.stringify(event);
      const res = await postStripe(body);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toEqual({ received: true, type: 'charge.succeeded', duplicate: false });
      const rows = await outboxRows('evt_nul_metadata');
      expect(rows).toHaveLength(1);
      expect(rows[0].payload.data.object.metadata).toEqual({
        note: 'a\ufffdb',
        broken: 'x\ufffdy',
        path: 'C:\\u0000 stays text',
        pair: '😀',
      });
      expect(rows[0].payload.data.object.amount).toBe(1200);

      const again = await postStripe(body);
      expect(again.body).toEqual({ received: true, type: 'charge.succeeded', duplicate: true });
      expect(await outboxRows('evt_nul_metadata')).toHaveLength(1);
    });

    it('a HubSpot batch with NUL in a property value and in a subscription type is stored whole', async () => {
      const res = await postHubspot(
        JSON.stringify([
          hubspotEvent(920_001, { propertyValue: 'closed\u0000won' }),
          hubspotEvent(920_002, { subscriptionType: 'deal.\u0000' }),
        ]),
      );
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ duplicate: false, stored: 2 });
      expect((await outboxRows('920001'))[0].payload.propertyValue).toBe('closed\ufffdwon');
      expect(await t.db.query(`SELECT event_type FROM ingest_outbox WHERE dedupe_key = '920002'`)).toEqual([
        { event_type: 'deal.\ufffd' },
      ]);
    });
  });

  describe('absurdly nested JSON is kept as bytes, never parsed', () => {
    const nest = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

    it('Stripe: 5,000 levels → 200, stored once as base64 bytes', async () => {
      const body = JSON.stringify(stripeEvent('evt_deep')).replace('"data":{', `"deep":${nest(5000)},"data":{`);
      const before = await outboxCount();
      const res = await postStripe(body);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(await outboxCount()).toBe(before + 1);
      expect(await outboxRows('evt_deep')).toHaveLength(0);
      expect((await postStripe(body)).body.duplicate).toBe(true);
    });

    it('HubSpot: 20,000 levels → 200, stored once as base64 bytes', async () => {
      const body = JSON.stringify([hubspotEvent(930_001)]).replace('"eventId"', `"deep":${nest(20_000)},"eventId"`);
      const before = await outboxCount();
      const res = await postHubspot(body);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ stored: 1 });
      expect(await outboxCount()).toBe(before + 1);
    });

    it('ordinary nesting (Stripe objects go a few levels deep) is accepted', async () => {
      const body = JSON.stringify(stripeEvent('evt_nested_ok')).replace('"data":{', `"deep":${nest(40)},"data":{`);
      const res = await postStripe(body);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    });
  });

  describe('errors raised below the router still use the contract shape', () => {
    it('oversized request headers → 431 JSON error with x-request-id', async () => {
      const res = await rawHttp(
        t.url,
        `GET /runs HTTP/1.1\r\nHost: x\r\nX-Api-Key: ${TEST_API_KEY}\r\nX-Junk: ${'a'.repeat(40_000)}\r\nConnection: close\r\n\r\n`,
      );
      expectContractError(res, 431, 'headers_too_large');
    });

    it('a request that is not HTTP → 400 JSON error with x-request-id', async () => {
      const res = await rawHttp(t.url, `GET /runs HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n`);
      expectContractError(res, 400, 'bad_request');
    });

    it('an HTTP/1.1 request without Host → 400 JSON error with x-request-id', async () => {
      const res = await rawHttp(t.url, `GET /runs HTTP/1.1\r\nX-Api-Key: ${TEST_API_KEY}\r\nConnection: close\r\n\r\n`);
      expectContractError(res, 400, 'bad_request');
    });

    it('a body that claims gzip but is not → 400 validation_failed, no zlib text', async () => {
      const res = await request(t.url)
        .post('/outbox/replay')
        .set('x-admin-api-key', TEST_ADMIN_KEY)
        .set('idempotency-key', 'hostile-gzip')
        .set('content-type', 'application/json')
        .set('content-encoding', 'gzip')
        .send('{"source":"stripe","since":"2026-01-01T00:00:00Z"}');
      expectContractError(res, 400, 'validation_failed');
      expect(res.body.issues).toEqual([expect.objectContaining({ in: 'body' })]);
      expect(res.body.message).not.toMatch(/header check/i);
    });

    it('a path parameter that is not valid percent-encoding → 400 validation_failed in params', async () => {
      const res = await request(t.url).get('/runs/%E0%A4%A').set('x-api-key', TEST_API_KEY);
      expectContractError(res, 400, 'validation_failed');
      expect(res.body.issues).toEqual([expect.objectContaining({ in: 'params' })]);
    });
  });

  describe('money dated at the very end of year 9999', () => {
    // 9999-12-31T23:59:59Z is already 10000-01-01 on Kiritimati (UTC+14).
    beforeAll(async () => {
      for (const [id, created] of [
        ['evt_edge_2026', Date.UTC(2026, 5, 15) / 1000],
        ['evt_edge_9999', 253_402_300_799],
        ['evt_edge_unsafe', Number.MAX_SAFE_INTEGER],
      ] as const) {
        const event = stripeEvent(id);
        event.data.object.created = created;
        expect((await postStripe(JSON.stringify(event))).status).toBe(200);
      }
      await t.app.get(OutboxWorker).drain();
    });

    it('an open-ended query answers the same in a UTC+14 zone as in UTC (no silent zero from a five-digit year)', async () => {
      for (const tz of ['UTC', 'Pacific/Kiritimati']) {
        for (const view of ['summary', 'daily', 'weekly']) {
          const res = await request(t.url).get(`/metrics/revenue/${view}`).query({ tz }).set('x-api-key', TEST_API_KEY);
          expectContractError(res, 400, 'date_range_too_large');
        }
      }
    });

    it('explicit ranges still count the 2026 charge, and the last UTC day holds the 9999 one', async () => {
      const y2026 = await request(t.url)
        .get('/metrics/revenue/summary')
        .query({ startDate: '2026-06-15', endDate: '2026-06-15', tz: 'Pacific/Kiritimati' })
        .set('x-api-key', TEST_API_KEY);
      expect(y2026.body).toMatchObject({ grossCents: '1200', count: 1 });
      const last = await request(t.url)
        .get('/metrics/revenue/daily')
        .query({ startDate: '9999-12-31', endDate: '9999-12-31' })
        .set('x-api-key', TEST_API_KEY);
      expect(last.body).toMatchObject({
        grossCents: '1200',
        count: 1,
        breakdown: [expect.objectContaining({ date: '9999-12-31', grossCents: '1200' })],
      });
    });

    it('a charge created past year 9999 is dead-lettered as invalid_payload at once, not retried as transient', async () => {
      const [row] = await t.db.query<{ status: string; failure_class: string }>(
        `SELECT status, failure_class FROM ingest_outbox WHERE dedupe_key = 'evt_edge_unsafe'`,
      );
      expect(row).toEqual({ status: 'dead', failure_class: 'invalid_payload' });
    });
  });

  describe('an unknown route is 404 not_found whatever body comes with it', () => {
    it.each([
      ['POST', '/nope', 'text/plain', 'hello'],
      ['DELETE', '/runs', 'application/x-www-form-urlencoded', 'a=1'],
      ['PATCH', '/metrics/revenue/summary', 'application/json', '{not json'],
      ['PUT', '/outbox/replay', 'application/json', JSON.stringify({ pad: 'x'.repeat(200_000) })],
    ])('%s %s with %s', async (method, path, type, body) => {
      const res = await request(t.url)
        [method.toLowerCase() as 'post'](path)
        .set('x-api-key', TEST_API_KEY)
        .set('content-type', type)
        .send(body);
      expectContractError(res, 404, 'not_found');
      expect(res.body.path).toBe(path);
    });

    it('a known route still refuses the same bodies with 415, 400 and 413', async () => {
      const post = (type: string, body: string) =>
        request(t.url)
          .post('/outbox/replay')
          .set('x-admin-api-key', TEST_ADMIN_KEY)
          .set('idempotency-key', `hostile-body-${type}-${body.length}`)
          .set('content-type', type)
          .send(body);
      expectContractError(await post('text/plain', 'hello'), 415, 'unsupported_media_type');
      expectContractError(await post('application/json', '{not json'), 400, 'validation_failed');
      expectContractError(
        await post('application/json', JSON.stringify({ pad: 'x'.repeat(200_000) })),
        413,
        'payload_too_large',
      );
      // Before auth, as before: a body error is reported even without a key.
      const anon = await request(t.url).post('/outbox/replay').set('content-type', 'text/plain').send('hello');
      expectContractError(anon, 415, 'unsupported_media_type');
    });

    it('bodies the framework would judge first get the contract answer (415, 413) from ours', async () => {
      // fetch, not supertest: superagent would re-encode a Buffer body sent as application/json.
      const post = async (headers: Record<string, string>, body: string | Buffer) => {
        const r = await fetch(`${t.url}/outbox/replay`, {
          method: 'POST',
          headers: {
            'x-admin-api-key': TEST_ADMIN_KEY,
            'idempotency-key': `hostile-framework-${Object.values(headers).join('-')}`,
            ...headers,
          },
          body,
        });
        return { status: r.status, headers: Object.fromEntries(r.headers), body: (await r.json()) as any };
      };
      // A Content-Type header that does not parse at all.
      expectContractError(await post({ 'content-type': ';;;' }, '{}'), 415, 'unsupported_media_type');
      expectContractError(
        await post({ 'content-type': 'application/json; charset=latin1' }, '{}'),
        415,
        'unsupported_media_type',
      );
      expectContractError(
        await post({ 'content-type': 'application/json', 'content-encoding': 'zstd' }, '{}'),
        415,
        'unsupported_media_type',
      );
      // 5 MB of spaces gzip to a few KB: the limit applies to what the body decodes to.
      expectContractError(
        await post(
          { 'content-type': 'application/json', 'content-encoding': 'gzip' },
          gzipSync(Buffer.alloc(5_000_000, 32)),
        ),
        413,
        'payload_too_large',
      );
      // A correct gzip body is read like a plain one.
      const ok = await post(
        { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        gzipSync(Buffer.from('{"source":"stripe","since":"2026-01-01T00:00:00Z"}')),
      );
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    });
  });

  describe('an Idempotency-Key whose request never recorded its outcome (crash, or Postgres lost mid-request)', () => {
    const replay = (key: string, since = '2026-01-01T00:00:00Z') =>
      request(t.url)
        .post('/outbox/replay')
        .set('x-admin-api-key', TEST_ADMIN_KEY)
        .set('idempotency-key', key)
        .send({ source: 'stripe', since });
    const abandon = (key: string, age: string) =>
      t.db.query(
        `UPDATE api_idempotency SET state = 'in_progress', response_status = NULL, response_body = NULL, created_at = now() - $2::interval WHERE key = $1`,
        [key, age],
      );

    it('is taken over by a retry with the same request once abandoned, instead of 409 in_progress for 24 h', async () => {
      expect((await replay('hostile-abandoned')).status).toBe(200);
      await abandon('hostile-abandoned', '10 minutes');
      const t0 = Date.now();
      const retry = await replay('hostile-abandoned');
      expect(retry.status, JSON.stringify(retry.body)).toBe(200);
      expect(retry.headers['idempotent-replayed']).toBeUndefined();
      expect(Date.now() - t0).toBeLessThan(5000);
      const again = await replay('hostile-abandoned');
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(retry.body);
    });

    it('is not taken over by a request with another body', async () => {
      expect((await replay('hostile-abandoned-2')).status).toBe(200);
      await abandon('hostile-abandoned-2', '10 minutes');
      expectContractError(await replay('hostile-abandoned-2', '2026-02-01T00:00:00Z'), 409, 'idempotency_key_mismatch');
    });
  });

  it('every 500 carries an errorId, metric_drift included', async () => {
    const repo = t.app.get(LedgerFiguresRepository);
    const original = repo.totals;
    repo.totals = async (...args) => ({ ...(await original.apply(repo, args)), count: -1 });
    try {
      const res = await request(t.url)
        .get('/metrics/revenue/summary')
        .query({ startDate: '2026-06-01', endDate: '2026-06-30' })
        .set('x-api-key', TEST_API_KEY);
      expectContractError(res, 500, 'metric_drift');
      expect(res.body.errorId).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      repo.totals = original;
    }
  });

  it('the webhook path matches case-insensitively like every route, so it gets the raw bytes too', async () => {
    const body = JSON.stringify(stripeEvent('evt_mixed_case_path'));
    const res = await postStripe(body, undefined, '/Webhooks/Stripe');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await outboxRows('evt_mixed_case_path')).toHaveLength(1);
  });

  it('a percent-encoded webhook path is routed decoded, so it gets the raw bytes too', async () => {
    const body = JSON.stringify(stripeEvent('evt_encoded_path'));
    const res = await postStripe(body, undefined, '/%77ebhooks/stripe');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await outboxRows('evt_encoded_path')).toHaveLength(1);
  });

  it('bad percent-encoding in a path no route fits is still 404 not_found', async () => {
    for (const path of ['/nope/%ZZ', '/%']) {
      const res = await request(t.url).get(path).set('x-api-key', TEST_API_KEY);
      expectContractError(res, 404, 'not_found');
    }
  });

  it('a POST with a Content-Type but neither Content-Length nor Transfer-Encoding has no body: no 415', async () => {
    const res = await rawHttp(
      t.url,
      `POST /reconciliation/sweep HTTP/1.1\r\nHost: x\r\nX-Admin-Api-Key: ${TEST_ADMIN_KEY}\r\n` +
        `Idempotency-Key: hostile-no-length\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n`,
      true,
    );
    expect(res.status, res.text).toBe(200);
  });
});

describe('Postgres refusing connections (ALLOW_CONNECTIONS false) is "database unavailable"', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp({ STRIPE_WEBHOOK_SECRET: STRIPE_SECRET });
  });
  afterAll(async () => t?.close());

  it('read, admin and webhook endpoints answer 503 database_unavailable, then recover', async () => {
    // An empty ledger first: an open query has no range at all.
    const empty = await request(t.url)
      .get('/metrics/revenue/daily')
      .query({ tz: 'Pacific/Kiritimati' })
      .set('x-api-key', TEST_API_KEY);
    expect(empty.body).toMatchObject({ startDate: null, endDate: null, grossCents: '0', breakdown: [] });
    const dbName = new URL(t.config.databaseUrl!).pathname.slice(1);
    const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
    await admin.connect();
    const body = JSON.stringify(stripeEvent('evt_refused_then_stored'));
    try {
      await admin.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS false`);
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [dbName],
      );
      // The first query on each pooled connection may see the termination itself; what matters is what follows.
      await request(t.url).get('/runs').set('x-api-key', TEST_API_KEY);
      for (const path of ['/runs', '/runs/1', '/metrics/revenue/summary', '/metrics/unmapped-statuses']) {
        const res = await request(t.url).get(path).set('x-api-key', TEST_API_KEY);
        expectContractError(res, 503, 'database_unavailable');
        expect(res.headers['retry-after']).toBe('5');
      }
      expectContractError(
        await request(t.url).get('/outbox/stats').set('x-admin-api-key', TEST_ADMIN_KEY),
        503,
        'database_unavailable',
      );
      const hook = await request(t.url)
        .post('/webhooks/stripe')
        .set('content-type', 'application/json')
        .set('stripe-signature', signStripePayload(body, STRIPE_SECRET))
        .send(body);
      expectContractError(hook, 503, 'database_unavailable');
      // Its own documented body, plus the error fields every non-2xx carries.
      const ready = await request(t.url).get('/readyz');
      expectContractError(ready, 503, 'database_unavailable');
      expect(ready.body).toMatchObject({ status: 'down', syncStatus: 'degraded', checks: { db: { ok: false } } });
    } finally {
      await admin.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    const hook = await request(t.url)
      .post('/webhooks/stripe')
      .set('content-type', 'application/json')
      .set('stripe-signature', signStripePayload(body, STRIPE_SECRET))
      .send(body);
    expect(hook.body).toEqual({ received: true, type: 'charge.succeeded', duplicate: false });
    expect((await request(t.url).get('/runs').set('x-api-key', TEST_API_KEY)).status).toBe(200);
    expect((await request(t.url).get('/readyz')).status).toBe(200);
  });
});
