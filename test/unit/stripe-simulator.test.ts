import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { loadConfig } from '../../src/config/app.config.js';
import { StripeGateway } from '../../src/connectors/stripe/stripe.gateway.js';
import { STRIPE_API_VERSION, stripeClientOptions } from '../../src/connectors/stripe/stripe.client.js';
import { SyncError } from '../../src/runs/sync.drivers.js';
import {
  generateStripeDataset,
  sendStripeWebhook,
  signStripePayload,
  startStripeSimulator,
  type StripeDataset,
  type StripeSimulator,
} from '../../scripts/sandbox/stripe/index.js';

const KEY = 'sk_test_simulator_0123456789';
const END = 1_790_000_000;
const DAY = 86_400;

function gatewayFor(sim: StripeSimulator, env: Record<string, string> = {}) {
  return new StripeGateway(
    loadConfig({
      NODE_ENV: 'test',
      STRIPE_API_KEY: KEY,
      STRIPE_API_BASE: sim.url,
      STRIPE_MAX_RETRIES: '2',
      STRIPE_RATE_LIMIT_PER_S: '100',
      ...env,
    }),
  );
}

describe('stripe dataset generator', () => {
  it('is deterministic per seed and realistic', () => {
    const a = generateStripeDataset({ seed: 11, charges: 2000, end: END });
    const b = generateStripeDataset({ seed: 11, charges: 2000, end: END });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(generateStripeDataset({ seed: 12, charges: 2000, end: END }))).not.toBe(JSON.stringify(a));

    expect(a.charges).toHaveLength(2000);
    expect(new Set(a.charges.map((c) => c.currency))).toEqual(new Set(['usd', 'eur', 'jpy']));
    expect(a.charges.some((c) => c.status === 'failed')).toBe(true);
    expect(a.charges.some((c) => c.status === 'succeeded' && !c.captured)).toBe(true);
    expect(a.charges.some((c) => c.captured && c.amount_captured < c.amount && c.status === 'succeeded')).toBe(true);
    const byCharge = new Map(a.charges.map((c) => [c.id, c]));
    expect(a.refunds.some((r) => r.amount === byCharge.get(r.charge!)!.amount_captured)).toBe(true);
    expect(a.refunds.some((r) => r.amount < byCharge.get(r.charge!)!.amount_captured)).toBe(true);
    expect(a.disputes.some((d) => d.status === 'lost')).toBe(true);
    expect(a.disputes.some((d) => d.status === 'won')).toBe(true);
    const span = Math.max(...a.charges.map((c) => c.created)) - Math.min(...a.charges.map((c) => c.created));
    expect(span).toBeGreaterThan(120 * DAY);
    // Every object was born with an event carrying it.
    const born = new Set(
      a.events.filter((e) => /^charge\.(succeeded|failed|pending)$/.test(e.type)).map((e) => e.data.object.id),
    );
    for (const c of a.charges) expect(born.has(c.id)).toBe(true);
  });
});

describe('stripe simulator through the official SDK', () => {
  let sim: StripeSimulator;
  let data: StripeDataset;
  let stripe: Stripe;

  beforeAll(async () => {
    data = generateStripeDataset({ seed: 5, charges: 1200, end: END });
    sim = await startStripeSimulator({ apiKey: KEY, dataset: data, clock: () => END });
    stripe = new Stripe(
      KEY,
      stripeClientOptions(
        loadConfig({ NODE_ENV: 'test', STRIPE_API_KEY: KEY, STRIPE_API_BASE: sim.url, STRIPE_MAX_RETRIES: '0' }),
      ),
    );
  });
  afterAll(async () => sim?.stop());

  it('auto-pagination returns every charge once, newest first', async () => {
    const seen: Stripe.Charge[] = [];
    for await (const c of stripe.charges.list({ limit: 100 })) seen.push(c);
    expect(seen).toHaveLength(data.charges.length);
    expect(new Set(seen.map((c) => c.id)).size).toBe(data.charges.length);
    for (let i = 1; i < seen.length; i++) expect(seen[i - 1].created).toBeGreaterThanOrEqual(seen[i].created);
    expect(seen.at(-1)!.object).toBe('charge');
  });

  it('starting_after and ending_before page without gaps or overlaps', async () => {
    const p1 = await stripe.charges.list({ limit: 7 });
    const p2 = await stripe.charges.list({ limit: 7, starting_after: p1.data.at(-1)!.id });
    const all = await stripe.charges.list({ limit: 14 });
    expect([...p1.data, ...p2.data].map((c) => c.id)).toEqual(all.data.map((c) => c.id));
    expect(p2.has_more).toBe(true);
    const back = await stripe.charges.list({ limit: 7, ending_before: p2.data[0].id });
    expect(back.data.map((c) => c.id)).toEqual(p1.data.map((c) => c.id));
    expect(back.has_more).toBe(false);
  });

  it('created filters match the dataset exactly', async () => {
    const lo = END - 30 * DAY;
    const hi = END - 10 * DAY;
    const count = async (created: Stripe.RangeQueryParam) => {
      let n = 0;
      for await (const _ of stripe.charges.list({ limit: 100, created })) n++;
      return n;
    };
    expect(await count({ gte: lo, lte: hi })).toBe(
      data.charges.filter((c) => c.created >= lo && c.created <= hi).length,
    );
    expect(await count({ gt: lo, lt: hi })).toBe(data.charges.filter((c) => c.created > lo && c.created < hi).length);
    const refunds = await stripe.refunds.list({ limit: 100, created: { gte: lo } });
    expect(refunds.data.every((r) => r.created >= lo)).toBe(true);
  });

  it('serves only 30 days of events and filters by types', async () => {
    let n = 0;
    for await (const e of stripe.events.list({ limit: 100, types: ['refund.created', 'charge.dispute.closed'] })) {
      expect(['refund.created', 'charge.dispute.closed']).toContain(e.type);
      expect(e.created).toBeGreaterThanOrEqual(END - 30 * DAY);
      n++;
    }
    expect(n).toBe(
      data.events.filter(
        (e) => e.created >= END - 30 * DAY && ['refund.created', 'charge.dispute.closed'].includes(e.type),
      ).length,
    );
    const old = data.events.find((e) => e.created < END - 31 * DAY)!;
    await expect(stripe.events.retrieve(old.id)).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  it('answers Stripe-shaped errors: 401 for bad keys, 400 for unknown params and lost anchors', async () => {
    const bad = await fetch(`${sim.url}/v1/charges`, { headers: { authorization: 'Bearer sk_test_wrong' } });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({
      error: expect.objectContaining({
        type: 'invalid_request_error',
        message: expect.stringContaining('Invalid API Key'),
      }),
    });
    const none = await fetch(`${sim.url}/v1/charges`);
    expect(none.status).toBe(401);
    await expect(stripe.charges.list({ limit: 5, starting_after: 'ch_doesnotexist' })).rejects.toMatchObject({
      statusCode: 400,
      code: 'resource_missing',
      param: 'starting_after',
    });
    const unknown = await fetch(`${sim.url}/v1/charges?colour=red`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as any).error.param).toBe('colour');
  });

  it('the client pins the API version on every request', async () => {
    await stripe.charges.list({ limit: 1 });
    expect(sim.requests.at(-1)!.stripeVersion).toBe(STRIPE_API_VERSION);
  });

  it('mutations move objects and emit the events Stripe would', async () => {
    const before = sim.state.count('events');
    const ch = sim.state.createCharge({ amount: 5000, currency: 'eur', capture: false });
    sim.state.captureCharge(ch.id, 4000);
    const re = sim.state.refundCharge(ch.id, { amount: 1000, status: 'pending' });
    sim.state.updateRefund(re.id, 'succeeded');
    const types = sim.state
      .list<any>('events')
      .slice(0, sim.state.count('events') - before)
      .map((e) => e.type)
      .reverse();
    expect(types).toEqual([
      'charge.succeeded',
      'charge.captured',
      'charge.refunded',
      'refund.created',
      'charge.refund.updated',
      'refund.updated',
    ]);
    const fetched = await stripe.charges.retrieve(ch.id);
    expect(fetched).toMatchObject({ captured: true, amount_captured: 4000, amount_refunded: 2000 });
  });
});

describe('stripe gateway: limiter, 429 and error classes', () => {
  let sim: StripeSimulator;
  beforeAll(async () => {
    sim = await startStripeSimulator({
      apiKey: KEY,
      dataset: generateStripeDataset({ seed: 9, charges: 50, end: END }),
      clock: () => END,
    });
  });
  afterAll(async () => sim?.stop());
  const pass = { list: 'charges' as const, gte: null, lte: END, startingAfter: null };

  it('waits out Retry-After on a 429, then succeeds', async () => {
    const gw = gatewayFor(sim);
    sim.failNext(1, 429, 1);
    const t0 = Date.now();
    const page = await gw.listPage(pass, 10);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(page.data).toHaveLength(10);
    expect(sim.requests.slice(-2).map((r) => r.status)).toEqual([429, 200]);
  });

  it('a 429 cool-down slows every concurrent call, not just the one that hit it', async () => {
    const gw = gatewayFor(sim);
    sim.failNext(1, 429, 1);
    const t0 = Date.now();
    const times = await Promise.all([0, 1, 2].map(async () => (await gw.listPage(pass, 5), Date.now() - t0)));
    expect(times.filter((t) => t >= 950).length).toBeGreaterThanOrEqual(2);
  });

  it('a 429 storm ends in a transient SyncError after STRIPE_MAX_RETRIES retries, in bounded time', async () => {
    const gw = gatewayFor(sim, { STRIPE_MAX_RETRIES: '2' });
    sim.failNext(50, 429, 0);
    const n0 = sim.requests.length;
    const err = await gw.listPage(pass, 10).catch((e) => e);
    sim.clearFailures();
    expect(err).toBeInstanceOf(SyncError);
    expect(err.errorClass).toBe('transient');
    expect(sim.requests.length - n0).toBe(3);
  });

  it('a Retry-After longer than we are willing to wait fails fast as transient with the hint', async () => {
    const gw = gatewayFor(sim);
    sim.failNext(1, 429, 3600);
    const t0 = Date.now();
    const err = await gw.listPage(pass, 10).catch((e) => e);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(err).toMatchObject({ errorClass: 'transient', retryAfterMs: 3_600_000 });
  });

  it('shutdown ends a long cool-down at once instead of holding the run', async () => {
    const gw = gatewayFor(sim);
    sim.failNext(1, 429, 30);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 150);
    const t0 = Date.now();
    const err = await gw.listPage(pass, 10, abort.signal).catch((e) => e);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(err).toMatchObject({ errorClass: 'transient', message: expect.stringContaining('shutdown') });
  });

  it('5xx is retried by the SDK; 401/403 are auth errors', async () => {
    const gw = gatewayFor(sim);
    sim.failNext(2, 503);
    expect((await gw.listPage(pass, 3)).data).toHaveLength(3);
    sim.failNext(1, 401);
    await expect(gw.listPage(pass, 3)).rejects.toMatchObject({ errorClass: 'auth' });
    sim.failNext(1, 403);
    await expect(gw.listPage(pass, 3)).rejects.toMatchObject({ errorClass: 'auth' });
    const wrongKey = new StripeGateway(
      loadConfig({ NODE_ENV: 'test', STRIPE_API_KEY: 'sk_test_wrong_key_000', STRIPE_API_BASE: sim.url }),
    );
    await expect(wrongKey.listPage(pass, 3)).rejects.toMatchObject({
      errorClass: 'auth',
      message: expect.stringContaining('STRIPE_API_KEY'),
    });
  });

  it('an unreachable Stripe is transient', async () => {
    const gw = new StripeGateway(
      loadConfig({
        NODE_ENV: 'test',
        STRIPE_API_KEY: KEY,
        STRIPE_API_BASE: 'http://127.0.0.1:9',
        STRIPE_MAX_RETRIES: '0',
      }),
    );
    await expect(gw.listPage(pass, 3)).rejects.toMatchObject({ errorClass: 'transient' });
  });

  it('the limiter holds calls to STRIPE_RATE_LIMIT_PER_S', async () => {
    const gw = gatewayFor(sim, { STRIPE_RATE_LIMIT_PER_S: '10' });
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 15 }, () => gw.listPage(pass, 1)));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });
});

describe('stripe simulator rate limit', () => {
  it('answers 429 once a client goes faster than rateLimitPerS', async () => {
    const sim = await startStripeSimulator({ apiKey: KEY, rateLimitPerS: 5 });
    try {
      const statuses = await Promise.all(
        Array.from({ length: 12 }, () =>
          fetch(`${sim.url}/v1/charges`, { headers: { authorization: `Bearer ${KEY}` } }).then((r) => r.status),
        ),
      );
      expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(6);
      expect(statuses).toContain(429);
    } finally {
      await sim.stop();
    }
  });
});

describe('stripe webhook sender', () => {
  it('signs like Stripe: the official verifier accepts it, and it reaches the URL', async () => {
    const secret = 'whsec_test_sender';
    const payload = JSON.stringify({ id: 'evt_1', object: 'event', type: 'charge.succeeded' });
    const header = signStripePayload(payload, secret, 1_790_000_000);
    expect(header).toMatch(/^t=1790000000,v1=[0-9a-f]{64}$/);
    expect(() =>
      Stripe.webhooks.signature!.verifyHeader(payload, header, secret, 300, undefined, 1_790_000_000_000),
    ).not.toThrow();
    expect(() =>
      Stripe.webhooks.signature!.verifyHeader(payload, header, 'whsec_other', 300, undefined, 1_790_000_000_000),
    ).toThrow();

    const { createServer } = await import('node:http');
    const got: Array<{ sig: string | undefined; body: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        got.push({ sig: req.headers['stripe-signature'] as string | undefined, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const res = await sendStripeWebhook({ url: `http://127.0.0.1:${port}/hook`, secret, event: payload });
    server.close();
    expect(res).toEqual({ status: 200, body: { received: true } });
    expect(got[0].body).toBe(payload);
    expect(() => Stripe.webhooks.signature!.verifyHeader(got[0].body, got[0].sig!, secret)).not.toThrow();
  });
});
