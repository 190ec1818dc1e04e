import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { bootTestApp, TEST_ADMIN_KEY, TEST_API_KEY, type TestApp } from '../support/app.js';
import {
  generateStripeDataset,
  startStripeSimulator,
  type StripeDataset,
  type StripeSimulator,
} from '../../scripts/sandbox/stripe/index.js';

const KEY = 'sk_test_e2e_revenue_0123456789';
const END = 1_790_000_000;

interface Figures {
  gross: bigint;
  refunds: bigint;
  count: number;
  refundCount: number;
}

/**
 * Revenue straight from the simulator's dataset, by the rules finance would apply by hand:
 * captured money of succeeded charges on the charge's UTC day; succeeded refunds and lost disputes
 * on their own UTC day. Computed here, independently of the app's mappers and SQL.
 */
function expected(d: StripeDataset, currency: string): { total: Figures; byDay: Map<string, Figures> } {
  const byDay = new Map<string, Figures>();
  const total: Figures = { gross: 0n, refunds: 0n, count: 0, refundCount: 0 };
  const at = (unix: number) => {
    const day = new Date(unix * 1000).toISOString().slice(0, 10);
    if (!byDay.has(day)) byDay.set(day, { gross: 0n, refunds: 0n, count: 0, refundCount: 0 });
    return byDay.get(day)!;
  };
  const cur = currency.toLowerCase();
  for (const c of d.charges) {
    if (c.currency !== cur || c.status !== 'succeeded' || !c.captured) continue;
    for (const f of [at(c.created), total]) ((f.gross += BigInt(c.amount_captured)), f.count++);
  }
  for (const r of d.refunds) {
    if (r.currency !== cur || r.status !== 'succeeded') continue;
    for (const f of [at(r.created), total]) ((f.refunds += BigInt(r.amount)), f.refundCount++);
  }
  for (const x of d.disputes) {
    if (x.currency !== cur || x.status !== 'lost') continue;
    for (const f of [at(x.created), total]) ((f.refunds += BigInt(x.amount)), f.refundCount++);
  }
  return { total, byDay };
}

describe('stripe end to end: simulator → SDK sync → outbox → worker → revenue', () => {
  let sim: StripeSimulator;
  let t: TestApp;
  let dataset: StripeDataset;

  beforeAll(async () => {
    dataset = generateStripeDataset({ seed: 21, charges: 1500, end: END });
    sim = await startStripeSimulator({ apiKey: KEY, dataset, clock: () => END + 3600 });
    t = await bootTestApp({
      STRIPE_API_KEY: KEY,
      STRIPE_API_BASE: sim.url,
      STRIPE_RATE_LIMIT_PER_S: '100',
      WORKER: 'on',
      WORKER_POLL_MS: '50',
    });
  });
  afterAll(async () => {
    await t?.close();
    await sim?.stop();
  });

  it('a full sync triggered over HTTP yields exactly the revenue computed from the dataset', async () => {
    const trig = await request(t.url)
      .post('/trigger/stripe/full')
      .set('x-admin-api-key', TEST_ADMIN_KEY)
      .set('idempotency-key', 'e2e-stripe-full-1');
    expect(trig.status).toBe(202);
    const runIds: string[] = trig.body.runIds ?? [trig.body.runId];
    expect(runIds).toHaveLength(3);

    const deadline = Date.now() + 15_000;
    let runs: any[] = [];
    for (;;) {
      runs = await Promise.all(
        runIds.map(async (id) => (await request(t.url).get(`/runs/${id}`).set('x-api-key', TEST_API_KEY)).body),
      );
      if (runs.every((r) => ['succeeded', 'partial', 'failed'].includes(r.status)) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(runs.map((r) => [r.entity, r.status, r.fullBackfillTriggered]).sort()).toEqual([
      ['charges', 'succeeded', true],
      ['events', 'succeeded', true],
      ['refunds', 'succeeded', true],
    ]);
    expect(runs.find((r) => r.entity === 'charges').counts.recordsUpserted).toBe(dataset.charges.length);

    for (;;) {
      const [{ open, bad }] = await t.db.query<{ open: string; bad: string }>(
        `SELECT count(*) FILTER (WHERE status IN ('queued','running','error')) AS open, count(*) FILTER (WHERE status = 'dead') AS bad FROM ingest_outbox`,
      );
      expect(Number(bad)).toBe(0);
      if (Number(open) === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }

    const days = dataset.charges.map((c) => new Date(c.created * 1000).toISOString().slice(0, 10)).sort();
    const [startDate, endDate] = [days[0], new Date((END + 86_400 * 45) * 1000).toISOString().slice(0, 10)];
    for (const currency of ['USD', 'EUR', 'JPY']) {
      const want = expected(dataset, currency);
      const q = `startDate=${startDate}&endDate=${endDate}&source=stripe&currency=${currency}&tz=UTC`;
      const summary = (await request(t.url).get(`/metrics/revenue/summary?${q}`).set('x-api-key', TEST_API_KEY)).body;
      expect(summary, currency).toMatchObject({
        grossCents: want.total.gross.toString(),
        refundsCents: want.total.refunds.toString(),
        totalRevenueCents: (want.total.gross - want.total.refunds).toString(),
        count: want.total.count,
        refundCount: want.total.refundCount,
        currency,
      });
      expect(summary.currencies).toEqual(expect.arrayContaining(['EUR', 'JPY', 'USD']));
      const daily = (await request(t.url).get(`/metrics/revenue/daily?${q}`).set('x-api-key', TEST_API_KEY)).body;
      for (const b of daily.breakdown) {
        const w = want.byDay.get(b.date) ?? { gross: 0n, refunds: 0n, count: 0, refundCount: 0 };
        expect(b, `${currency} ${b.date}`).toMatchObject({
          grossCents: w.gross.toString(),
          refundsCents: w.refunds.toString(),
          count: w.count,
          refundCount: w.refundCount,
        });
      }
    }
  });
});
