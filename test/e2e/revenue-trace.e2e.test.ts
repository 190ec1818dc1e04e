import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { OutboxInsertRepository } from '../../src/outbox/outbox-insert.repository.js';
import { OutboxRepository } from '../../src/outbox/outbox.repository.js';
import { OutboxWorker } from '../../src/outbox/outbox.worker.js';
import { eventRow } from '../../src/connectors/stripe/stripe.outbox-rows.js';
import {
  generateStripeDataset,
  sendStripeWebhook,
  StripeSimState,
  type StripeEvent,
} from '../../scripts/sandbox/stripe/index.js';
import { bootTestApp, TEST_API_KEY, type TestApp } from '../support/app.js';
import { seedLedger, wonDeal } from '../support/revenue-ledger.js';

/**
 * "Explain a figure" over HTTP. A Stripe account's history arrives half by webhook and half through
 * the Events API path (some events by both), is processed by the real worker and handler, and a few
 * HubSpot deals sit beside it; then for several zones (including +05:45, −03:30 and +12:45/+13:45
 * across Chatham's DST end), currencies and sources, the trace's pages must hold exactly the
 * counted rows of the zone's days and add up to /metrics/revenue/summary to the cent.
 */
const SECRET = 'whsec_trace_e2e';
const DAY = 86_400;
// 2026-03-28 … 2026-04-09 UTC: Pacific/Chatham leaves DST on 2026-04-05.
const START = Date.UTC(2026, 2, 28) / 1000;
const END = START + 12 * DAY;
const ZONES = ['UTC', 'Asia/Kathmandu', 'America/St_Johns', 'Pacific/Chatham'];
const CURRENCIES = ['USD', 'EUR', 'JPY'];

let t: TestApp;
let url: string;

const get = (path: string) => request(t.url).get(path).set('X-Api-Key', TEST_API_KEY);

interface TraceRow {
  source: string;
  kind: string;
  externalId: string;
  effect: 'gross' | 'refund';
  amountCents: string;
  currency: string;
  occurredAt: string;
  events: Array<Record<string, unknown>>;
}

/** Every page of a trace; asserts each page's figure is the same. */
async function allPages(query: string, limit: number) {
  const rows: TraceRow[] = [];
  let cursor: string | null = null;
  let figure: unknown = undefined;
  let pages = 0;
  do {
    const res = await get(
      `/metrics/revenue/trace?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['figure', 'nextCursor', 'rows']);
    if (figure === undefined) figure = res.body.figure;
    else expect(res.body.figure).toEqual(figure);
    expect(res.body.rows.length).toBeLessThanOrEqual(limit);
    rows.push(...res.body.rows);
    cursor = res.body.nextCursor;
    pages += 1;
  } while (cursor !== null);
  return { rows, figure: figure as Record<string, unknown>, pages };
}

function sum(rows: readonly TraceRow[]) {
  let gross = 0n;
  let refunds = 0n;
  for (const r of rows) {
    if (r.effect === 'gross') gross += BigInt(r.amountCents);
    else refunds += BigInt(r.amountCents);
  }
  return {
    totalRevenueCents: (gross - refunds).toString(),
    grossCents: gross.toString(),
    refundsCents: refunds.toString(),
    count: rows.filter((r) => r.effect === 'gross').length,
    refundCount: rows.filter((r) => r.effect === 'refund').length,
  };
}

beforeAll(async () => {
  t = await bootTestApp({ STRIPE_WEBHOOK_SECRET: SECRET, RATE_LIMIT_PER_S: '100000', RATE_LIMIT_BURST: '100000' });
  url = `${t.url}/webhooks/stripe`;
  const { events } = generateStripeDataset({ seed: 7, charges: 140, start: START, end: END });
  const outbox = t.app.get(OutboxInsertRepository);
  for (const [i, e] of events.entries()) {
    if (i % 2 === 0 || i % 7 === 0) {
      const res = await sendStripeWebhook({ url, secret: SECRET, event: e });
      expect(res.status).toBe(200);
    }
    if (i % 2 === 1) await outbox.insertMany(t.db, [eventRow(e, 'poll')]);
  }
  // HubSpot won deals beside them (written without lineage, like rows from before issue 7).
  const deals = Array.from({ length: 30 }, (_, i) =>
    wonDeal({
      at: new Date((START + Math.floor((i * 12 * DAY) / 30) + 977 * i) * 1000),
      cents: 10_000 + i * 137,
      currency: i % 3 === 0 ? 'EUR' : 'USD',
    }),
  );
  await seedLedger(t.db, deals);
  await t.app.get(OutboxWorker).drain();
}, 120_000);
afterAll(async () => t?.close());

describe('GET /metrics/revenue/trace', () => {
  it('pages through exactly the counted rows of the zone’s days and adds up to the summary, in every zone, currency and source', async () => {
    let compared = 0;
    for (const tz of ZONES)
      for (const currency of CURRENCIES)
        for (const source of [null, 'stripe', 'hubspot']) {
          const query = `startDate=2026-03-30&endDate=2026-04-07&tz=${encodeURIComponent(tz)}&currency=${currency}${source ? `&source=${source}` : ''}`;
          const summary = await get(`/metrics/revenue/summary?${query}`);
          expect(summary.status).toBe(200);
          const { rows, figure, pages } = await allPages(query, 9);
          const { totalRevenueCents, grossCents, refundsCents, count, refundCount } = summary.body;
          expect(figure, `${query}`).toEqual({ totalRevenueCents, grossCents, refundsCents, count, refundCount });
          expect(sum(rows), query).toEqual(figure);
          // Exactly the counted rows whose instant falls on one of the zone's days, each once.
          const expected = await t.db.query<{ source: string; external_id: string }>(
            `SELECT source, external_id FROM payments
              WHERE effect <> 'none' AND deleted_at IS NULL AND currency = $1 AND ($2::text IS NULL OR source = $2)
                AND (occurred_at AT TIME ZONE $3)::date BETWEEN '2026-03-30' AND '2026-04-07'
              ORDER BY occurred_at, id`,
            [currency, source, tz],
          );
          expect(
            rows.map((r) => `${r.source}:${r.externalId}`),
            query,
          ).toEqual(expected.map((e) => `${e.source}:${e.external_id}`));
          for (const r of rows) {
            expect(r.currency).toBe(currency);
            if (r.source === 'stripe') expect(r.events.length, r.externalId).toBeGreaterThan(0);
            else expect(r.events).toEqual([]);
          }
          if (rows.length > 9) expect(pages).toBeGreaterThan(1);
          if (rows.length) compared += 1;
        }
    expect(compared).toBeGreaterThan(20);
  }, 120_000);

  it('each Stripe row lists the events that wrote it, by receipt, webhook or poll, with a payload hash', async () => {
    const { rows } = await allPages('startDate=2026-03-28&endDate=2026-04-09&source=stripe', 1000);
    expect(rows.length).toBeGreaterThan(50);
    const origins = new Set(rows.flatMap((r) => r.events.map((e) => e.origin)));
    expect([...origins].sort()).toEqual(['poll', 'webhook']);
    for (const r of rows) {
      const received = r.events.map((e) => Date.parse(e.receivedAt as string));
      expect(received).toEqual([...received].sort((a, b) => a - b));
      for (const e of r.events) {
        expect(e).toMatchObject({
          outboxId: expect.stringMatching(/^\d+$/),
          vendorEventId: expect.stringMatching(/^evt_/),
          type: expect.any(String),
          payloadKept: true,
          payloadSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
          replayed: false,
        });
      }
      // Delivered in order: the newest event of the row is the one that won last.
      expect(r.events.at(-1)?.won).toBe(true);
    }
  });

  it('limit=1000 answers the whole window at once; the last page has nextCursor null', async () => {
    const res = await get('/metrics/revenue/trace?startDate=2026-03-28&endDate=2026-04-09&limit=1000');
    expect(res.status).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    expect(sum(res.body.rows)).toEqual(res.body.figure);
    // Without dates: the range of the data, like the summary.
    const open = await get('/metrics/revenue/trace?limit=1000&currency=EUR');
    const summary = await get('/metrics/revenue/summary?currency=EUR');
    expect(open.body.figure.totalRevenueCents).toBe(summary.body.totalRevenueCents);
    expect(sum(open.body.rows)).toEqual(open.body.figure);
    // No data at all: zero figure, no rows.
    const none = await get('/metrics/revenue/trace?currency=CHF');
    expect(none.body).toEqual({
      figure: { totalRevenueCents: '0', grossCents: '0', refundsCents: '0', count: 0, refundCount: 0 },
      rows: [],
      nextCursor: null,
    });
  });

  it.each([
    ['cursor=abc', 'cursor'],
    [`cursor=${Buffer.from('2026-04-01T00:00:00.000000Z|0').toString('base64url')}`, 'cursor'],
    ['cursor=', null],
    ['limit=1001', 'limit'],
    ['limit=0', 'limit'],
    ['limit=ten', 'limit'],
    ['source=paypal', 'source'],
    ['tz=Mars/Olympus', 'tz'],
    ['startDate=2026-04-02&endDate=2026-04-01', 'endDate'],
    ['startDate=2026-02-30', 'startDate'],
    ['page=2', 'page'],
  ])('%s → 400 validation_failed on %s', async (q, field) => {
    const res = await get(`/metrics/revenue/trace?${q}`);
    if (field === null) {
      expect(res.status).toBe(200); // an empty parameter counts as absent
      return;
    }
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body).toMatchObject({ error: 'validation_failed', requestId: expect.any(String) });
    expect(res.body.issues).toContainEqual({ in: 'query', field, message: expect.any(String) });
  });

  it('needs the read key', async () => {
    expect((await request(t.url).get('/metrics/revenue/trace')).status).toBe(401);
    expect((await request(t.url).get('/records/payments/stripe/ch_1')).status).toBe(401);
  });
});

describe('GET /records/payments/:source/:externalId', () => {
  let chargeId: string;
  let pending: StripeEvent;
  let succeeded: StripeEvent;

  beforeAll(async () => {
    // A bank debit: pending, then succeeded in the same second. Delivered newest first, so the
    // pending event arrives last and loses last-write-wins.
    const now = END + DAY;
    const state = new StripeSimState({ seed: 3, clock: () => now });
    const c = state.createCharge({ amount: 7_700, currency: 'usd', outcome: 'pending' });
    state.settleCharge(c.id, 'succeeded');
    chargeId = c.id;
    const events = state.snapshot().events.filter((e) => (e.data.object as { id?: string }).id === c.id);
    pending = events.find((e) => e.type === 'charge.pending')!;
    succeeded = events.find((e) => e.type === 'charge.succeeded')!;
    expect(pending && succeeded).toBeTruthy();
    const worker = t.app.get(OutboxWorker);
    expect((await sendStripeWebhook({ url, secret: SECRET, event: succeeded })).status).toBe(200);
    await worker.drain();
    expect((await sendStripeWebhook({ url, secret: SECRET, event: pending })).status).toBe(200);
    await worker.drain();
  });

  it('shows the row, every version that arrived with which one won, and the events in order of receipt', async () => {
    const res = await get(`/records/payments/stripe/${chargeId}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      source: 'stripe',
      kind: 'charge',
      externalId: chargeId,
      effect: 'gross',
      counted: true,
      status: 'SUCCEEDED',
      amountCents: '7700',
      currency: 'USD',
      version: { tiebreak: succeeded.id },
    });
    expect(res.body.versions).toEqual([
      expect.objectContaining({ tiebreak: pending.id, won: false, current: false }),
      expect.objectContaining({ tiebreak: succeeded.id, won: true, current: true }),
    ]);
    expect(res.body.events.map((e: any) => [e.vendorEventId, e.won, e.origin, e.payloadKept])).toEqual([
      [succeeded.id, true, 'webhook', true],
      [pending.id, false, 'webhook', true],
    ]);
  });

  it('keeps the lineage after retention purged the payloads (payloadKept: false)', async () => {
    const purged = await t.app.get(OutboxRepository).purgeBatch(0, 1_000_000);
    expect(purged).toBeGreaterThan(0);
    const res = await get(`/records/payments/stripe/${chargeId}`);
    expect(res.body.events.map((e: any) => [e.vendorEventId, e.payloadKept])).toEqual([
      [succeeded.id, false],
      [pending.id, false],
    ]);
    const trace = await get('/metrics/revenue/trace?startDate=2026-03-28&endDate=2026-04-09&source=stripe&limit=1000');
    const events = trace.body.rows.flatMap((r: TraceRow) => r.events);
    expect(events.length).toBeGreaterThan(50);
    expect(events.every((e: any) => e.payloadKept === false && /^[0-9a-f]{64}$/.test(e.payloadSha256))).toBe(true);
  });

  it('a row without lineage (written before issue 7) still shows its current version', async () => {
    const [deal] = await t.db.query<{ external_id: string }>(
      `SELECT external_id FROM payments WHERE source = 'hubspot' ORDER BY id LIMIT 1`,
    );
    const res = await get(`/records/payments/hubspot/${deal.external_id}`);
    expect(res.status).toBe(200);
    expect(res.body.events).toEqual([]);
    expect(res.body.versions).toEqual([expect.objectContaining({ won: true, current: true, outboxIds: [] })]);
  });

  it('unknown → 404 record_not_found; a bad source → 400', async () => {
    const missing = await get('/records/payments/stripe/ch_does_not_exist');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      error: 'record_not_found',
      source: 'stripe',
      externalId: 'ch_does_not_exist',
      requestId: expect.any(String),
    });
    const bad = await get('/records/payments/paypal/x');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'validation_failed', issues: [{ in: 'params', field: 'source' }] });
    // Postgres text cannot hold NUL: a 400 from validation, not a 500 from the driver.
    const nul = await get('/records/payments/stripe/ch_%00');
    expect(nul.status).toBe(400);
    expect(nul.body).toMatchObject({ error: 'validation_failed', issues: [{ in: 'params', field: 'externalId' }] });
  });
});
