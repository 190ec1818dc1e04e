import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { LedgerFiguresRepository } from '../../src/records/ledger-figures.repository.js';
import { bootTestApp, TEST_ADMIN_KEY, TEST_API_KEY, type TestApp } from '../support/app.js';
import { charge, notCounted, refund, seedLedger, wonDeal } from '../support/revenue-ledger.js';

/** The six revenue routes over HTTP: auth, every 400, and the exact response shapes. */
let t: TestApp;

const RANGE = ['/metrics/revenue/summary', '/metrics/revenue/daily', '/metrics/revenue/weekly'];
const V1 = '/metrics/revenue?from=2026-06-01T00:00:00Z&to=2026-07-01T00:00:00Z';
const ALL = [
  ...RANGE,
  V1,
  '/metrics/revenue/breakdown?from=2026-06-01T00:00:00Z&to=2026-07-01T00:00:00Z',
  '/metrics/unmapped-statuses',
];

const get = (path: string, key: string | null = TEST_API_KEY) => {
  const r = request(t.url).get(path).set('x-request-id', 'rev-e2e-1');
  return key === null ? r : r.set('X-Api-Key', key);
};

/** The CONTRACT 400 body, field by field, with nothing unexpected in it. */
async function expectValidation(path: string, field: string) {
  const res = await get(path);
  expect(res.status, path).toBe(400);
  expect(Object.keys(res.body).sort(), path).toEqual(['error', 'issues', 'message', 'requestId']);
  expect(res.body.error).toBe('validation_failed');
  expect(res.body.requestId).toBe('rev-e2e-1');
  expect(typeof res.body.message).toBe('string');
  expect(res.body.issues, path).toContainEqual({ in: 'query', field, message: expect.any(String) });
  for (const i of res.body.issues) expect(Object.keys(i).sort()).toEqual(['field', 'in', 'message']);
  return res.body;
}

async function expectTooLarge(path: string, maxDays: number) {
  const res = await get(path);
  expect(res.status, path).toBe(400);
  expect(res.body).toEqual({
    error: 'date_range_too_large',
    message: expect.stringContaining(`at most ${maxDays}`),
    requestId: 'rev-e2e-1',
    maxDays,
    days: expect.any(Number),
  });
}

beforeAll(async () => {
  t = await bootTestApp();
  await seedLedger(t.db, [
    charge({ at: '2026-06-15T10:00:00Z', cents: 54_900 }),
    charge({ at: '2026-06-16T10:00:00Z', cents: 9_900 }),
    refund({ at: '2026-06-17T10:00:00Z', cents: 900 }),
    wonDeal({ at: '2026-06-17T12:00:00Z', cents: 18_000 }),
    charge({ at: '2026-06-15T10:00:00Z', cents: 10_000, currency: 'EUR' }),
    notCounted({
      at: '2026-06-15T10:00:00Z',
      cents: 1,
      status: 'UNKNOWN',
      rawStatus: 'requires_action',
      externalId: 'ch_unk',
    }),
  ]);
});
afterAll(async () => t?.close());

describe('auth', () => {
  it.each(ALL)('%s: 401 without a key and with a wrong key', async (path) => {
    for (const key of [null, 'wrong-key-0123456789']) {
      const res = await get(path, key);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        error: 'unauthorized',
        code: 'invalid_api_key',
        message: expect.any(String),
        requestId: 'rev-e2e-1',
      });
    }
  });

  it.each(ALL)('%s: the admin key is accepted in X-Api-Key and X-Admin-Api-Key', async (path) => {
    expect((await get(path, TEST_ADMIN_KEY)).status).toBe(200);
    expect((await request(t.url).get(path).set('X-Admin-Api-Key', TEST_ADMIN_KEY)).status).toBe(200);
  });
});

describe('summary, daily, weekly: validation', () => {
  it.each(RANGE)('%s: impossible or malformed dates', async (path) => {
    await expectValidation(`${path}?startDate=2026-02-30`, 'startDate');
    await expectValidation(`${path}?endDate=2026-13-01`, 'endDate');
    await expectValidation(`${path}?startDate=2026-1-1`, 'startDate');
    await expectValidation(`${path}?startDate=2026-06-01T00:00:00Z`, 'startDate');
    await expectValidation(`${path}?startDate=2026-06-01&startDate=2026-06-02`, 'startDate');
  });

  it.each(RANGE)('%s: endDate before startDate', async (path) => {
    const body = await expectValidation(`${path}?startDate=2026-06-02&endDate=2026-06-01`, 'endDate');
    expect(body.message).toBe('endDate must be on or after startDate.');
  });

  it.each(RANGE)('%s: unknown source, currency, zone, and parameter', async (path) => {
    await expectValidation(`${path}?source=paypal`, 'source');
    await expectValidation(`${path}?source=gcal`, 'source');
    for (const c of ['XYZ', 'US', 'USDD', '12$', 'usd%00']) await expectValidation(`${path}?currency=${c}`, 'currency');
    for (const z of [
      'Mars/Olympus',
      'Local',
      'UTC%2B3',
      'Factory',
      'posixrules',
      'localtime',
      "Europe/Paris'%3B--",
      'x'.repeat(65),
    ]) {
      await expectValidation(`${path}?tz=${z}`, 'tz');
    }
    await expectValidation(`${path}?start_date=2026-06-01`, 'start_date');
  });

  it('collects every bad field into one 400', async () => {
    const body = await expectValidation(
      '/metrics/revenue/daily?startDate=2026-02-30&source=x&currency=ABC&tz=Nowhere',
      'startDate',
    );
    expect(body.issues.map((i: { field: string }) => i.field).sort()).toEqual([
      'currency',
      'source',
      'startDate',
      'tz',
    ]);
    expect(body.message).toBe('4 request fields are invalid.');
  });

  it.each(RANGE)('%s: more than 3,700 days is date_range_too_large; exactly 3,700 is fine', async (path) => {
    await expectTooLarge(`${path}?startDate=2016-01-01&endDate=2026-02-18`, 3700); // 3,702 days
    const ok = await get(`${path}?startDate=2016-01-01&endDate=2026-02-16`); // 3,700 days
    expect(ok.status).toBe(200);
  });

  it('accepts lower-case currency and zone names, answering in canonical spelling', async () => {
    const res = await get(
      '/metrics/revenue/summary?startDate=2026-06-15&endDate=2026-06-15&currency=eur&tz=europe/berlin',
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ currency: 'EUR', tz: 'Europe/Berlin', grossCents: '10000' });
  });

  it('accepts zones Postgres knows even when they are links or legacy names', async () => {
    for (const z of ['US/Eastern', 'Etc/GMT%2B3', 'Asia/Calcutta', 'Asia/Kolkata'])
      expect((await get(`/metrics/revenue/summary?tz=${z}`)).status).toBe(200);
  });
});

describe('summary, daily, weekly: shapes', () => {
  const qs = '?startDate=2026-06-15&endDate=2026-06-17';
  const totals = {
    totalRevenueCents: '81900',
    grossCents: '82800',
    refundsCents: '900',
    currency: 'USD',
    count: 3,
    refundCount: 1,
    startDate: '2026-06-15',
    endDate: '2026-06-17',
    source: null,
    tz: 'UTC',
    currencies: ['EUR', 'USD'],
  };

  it('summary', async () => {
    const res = await get(`/metrics/revenue/summary${qs}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(totals);
  });

  it('daily', async () => {
    const res = await get(`/metrics/revenue/daily${qs}`);
    expect(res.body).toEqual({
      ...totals,
      breakdown: [
        { date: '2026-06-15', amountCents: '54900', grossCents: '54900', refundsCents: '0', count: 1, refundCount: 0 },
        { date: '2026-06-16', amountCents: '9900', grossCents: '9900', refundsCents: '0', count: 1, refundCount: 0 },
        {
          date: '2026-06-17',
          amountCents: '17100',
          grossCents: '18000',
          refundsCents: '900',
          count: 1,
          refundCount: 1,
        },
      ],
    });
  });

  it('weekly', async () => {
    const res = await get(`/metrics/revenue/weekly${qs}`);
    expect(res.body).toEqual({
      ...totals,
      breakdown: [
        {
          weekStartDate: '2026-06-15',
          amountCents: '81900',
          grossCents: '82800',
          refundsCents: '900',
          count: 3,
          refundCount: 1,
        },
      ],
    });
  });

  it('source filter is echoed; without dates the range comes from the data', async () => {
    const res = await get('/metrics/revenue/daily?source=hubspot');
    expect(res.body).toMatchObject({
      source: 'hubspot',
      startDate: '2026-06-17',
      endDate: '2026-06-17',
      grossCents: '18000',
      currencies: ['USD'],
    });
    const none = await get('/metrics/revenue/weekly?currency=JPY');
    expect(none.body).toMatchObject({ startDate: null, endDate: null, totalRevenueCents: '0', breakdown: [] });
  });
});

describe('edges that must not 500', () => {
  it('the first and last representable days, in extreme zones', async () => {
    for (const tz of ['UTC', 'Pacific/Kiritimati', 'Pacific/Pago_Pago']) {
      for (const range of ['startDate=1970-01-01&endDate=1970-01-07', 'startDate=9999-12-25&endDate=9999-12-31']) {
        const res = await get(`/metrics/revenue/weekly?${range}&tz=${tz}`);
        expect(res.status, `${range} ${tz}`).toBe(200);
        expect(res.body.totalRevenueCents).toBe('0');
      }
    }
  });

  it('empty parameters count as absent', async () => {
    const res = await get('/metrics/revenue/summary?startDate=&endDate=&tz=&currency=&source=');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      tz: 'UTC',
      currency: 'USD',
      source: null,
      startDate: '2026-06-15',
      endDate: '2026-06-17',
    });
  });
});

describe('metric_drift over HTTP', () => {
  it('buckets that do not add up are answered 500 metric_drift with the contract error shape', async () => {
    const repo = t.app.get(LedgerFiguresRepository);
    const original = repo.totals;
    repo.totals = async (...args) => {
      const f = await original.apply(repo, args);
      return { ...f, grossCents: f.grossCents + 1n };
    };
    try {
      const paths = [
        ...RANGE.map((p) => `${p}?startDate=2026-06-15&endDate=2026-06-17`),
        '/metrics/revenue/breakdown?from=2026-06-01T00:00:00Z&to=2026-07-01T00:00:00Z',
      ];
      for (const path of paths) {
        const res = await get(path);
        expect(res.status, path).toBe(500);
        expect(res.body).toEqual({
          error: 'metric_drift',
          message: expect.any(String),
          requestId: 'rev-e2e-1',
          errorId: expect.any(String),
        });
      }
    } finally {
      repo.totals = original;
    }
    expect((await get('/metrics/revenue/summary')).status).toBe(200);
  });
});

describe('v1 endpoints', () => {
  it('GET /metrics/revenue shape', async () => {
    const res = await get(V1);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      totalCollectedCents: '81900',
      txnCount: 3,
      from: '2026-06-01T00:00:00.000Z',
      to: '2026-07-01T00:00:00.000Z',
      source: null,
      currency: 'USD',
    });
    const offset = await get(
      '/metrics/revenue?from=2026-06-15T12:00:00%2B02:00&to=2026-06-16T12:00:00%2B02:00&source=stripe',
    );
    expect(offset.body).toEqual({
      totalCollectedCents: '54900',
      txnCount: 1,
      from: '2026-06-15T10:00:00.000Z',
      to: '2026-06-16T10:00:00.000Z',
      source: 'stripe',
      currency: 'USD',
    });
  });

  it('GET /metrics/revenue/breakdown shape', async () => {
    const res = await get(
      '/metrics/revenue/breakdown?granularity=week&from=2026-06-10T00:00:00Z&to=2026-06-22T00:00:00Z',
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      granularity: 'week',
      from: '2026-06-10T00:00:00.000Z',
      to: '2026-06-22T00:00:00.000Z',
      source: null,
      currency: 'USD',
      tz: 'UTC',
      buckets: [
        { bucketStart: '2026-06-08T00:00:00.000Z', collectedCents: '0', txnCount: 0 },
        { bucketStart: '2026-06-15T00:00:00.000Z', collectedCents: '81900', txnCount: 3 },
      ],
      totalCollectedCents: '81900',
      totalTxnCount: 3,
    });
  });

  it.each([V1.split('?')[0], '/metrics/revenue/breakdown'])('%s: validation and range limit', async (path) => {
    await expectValidation(path, 'from');
    await expectValidation(`${path}?from=2026-06-01T00:00:00Z`, 'to');
    await expectValidation(`${path}?from=2026-06-01T00:00:00&to=2026-07-01T00:00:00Z`, 'from'); // no offset
    await expectValidation(`${path}?from=2026-06-01&to=2026-07-01T00:00:00Z`, 'from');
    await expectValidation(`${path}?from=2026-02-30T00:00:00Z&to=2026-07-01T00:00:00Z`, 'from');
    await expectValidation(`${path}?from=2026-06-01T00:00:00Z&to=2026-06-01T00:00:00Z`, 'to');
    await expectValidation(`${path}?from=2026-06-02T00:00:00Z&to=2026-06-01T00:00:00Z`, 'to');
    await expectValidation(`${path}?from=2026-06-01T00:00:00Z&to=2026-07-01T00:00:00Z&source=x`, 'source');
    await expectTooLarge(`${path}?from=2025-01-01T00:00:00Z&to=2026-01-02T00:00:01Z`, 366);
    expect((await get(`${path}?from=2025-01-01T00:00:00Z&to=2026-01-02T00:00:00Z`)).status).toBe(200); // exactly 366 days
  });

  it('breakdown refuses an unknown granularity', async () => {
    await expectValidation(
      '/metrics/revenue/breakdown?granularity=year&from=2026-06-01T00:00:00Z&to=2026-07-01T00:00:00Z',
      'granularity',
    );
  });
});

describe('unmapped statuses', () => {
  it('shape, default limit and bounds', async () => {
    const res = await get('/metrics/unmapped-statuses');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      count: 1,
      statuses: [{ source: 'stripe', rawStatus: 'requires_action', count: 1, sample: 'ch_unk' }],
    });
    for (const l of ['0', '501', 'abc', '1.5', '-1'])
      await expectValidation(`/metrics/unmapped-statuses?limit=${l}`, 'limit');
    expect((await get('/metrics/unmapped-statuses?limit=500')).status).toBe(200);
  });
});

describe('OpenAPI', () => {
  it('documents all six routes with success and error examples', async () => {
    const doc = (await request(t.url).get('/docs/openapi.json')).body;
    for (const p of [
      '/metrics/revenue/summary',
      '/metrics/revenue/daily',
      '/metrics/revenue/weekly',
      '/metrics/revenue',
      '/metrics/revenue/breakdown',
      '/metrics/unmapped-statuses',
    ]) {
      const op = doc.paths[p]?.get;
      expect(op, p).toBeDefined();
      expect(Object.keys(op.responses), p).toEqual(expect.arrayContaining(['200', '400', '401']));
      const ok = op.responses['200'].content['application/json'];
      expect(ok.schema.example ?? ok.example, p).toBeDefined();
      const bad = op.responses['400'].content['application/json'];
      expect(bad.examples ?? bad.example, p).toBeDefined();
    }
    expect(doc.paths['/metrics/revenue/daily'].get.responses['500'].content['application/json'].example.error).toBe(
      'metric_drift',
    );
    expect(doc.paths['/metrics/revenue/daily'].get.description).toContain('plain sum across Stripe and HubSpot');
  });
});
