import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { bootTestApp, TEST_ADMIN_KEY, TEST_API_KEY, type TestApp } from '../support/app.js';
import { OutboxWorker } from '../../src/outbox/outbox.worker.js';
import { RunsService } from '../../src/runs/runs.service.js';
import { ReconciliationService } from '../../src/reconciler/reconciliation.service.js';
import { AlertsService } from '../../src/alerts/alerts.service.js';
import { startStripeSimulator, type StripeSimulator } from '../../scripts/sandbox/stripe/index.js';
import { sendStripeWebhook } from '../../scripts/sandbox/stripe/stripe-webhook-sender.js';
import type { StripeEvent } from '../../scripts/sandbox/stripe/stripe-objects.js';

/*
 * Webhook-vs-poll reconciliation over HTTP: Stripe emits events for new charges and refunds, the
 * test delivers the webhooks of some and drops the others, then a poll finds every object. The
 * report must list exactly the dropped ones as missed, but only once the grace window has passed.
 */

const KEY = 'sk_test_reconcile_0123456789';
const SECRET = 'whsec_reconcile_0123456789abcdef';
const GRACE_S = 60;
const FINAL = ['succeeded', 'partial', 'failed', 'skipped'];

describe('GET /reconciliation: dropped webhooks show up as missed after the grace window', () => {
  let sim: StripeSimulator;
  let t: TestApp;
  const events: StripeEvent[] = [];
  const dropped = new Set<string>();
  const kept = new Set<string>();
  let today: string;

  const get = (query: string, key = TEST_API_KEY) =>
    request(t.url).get(`/reconciliation?${query}`).set('x-api-key', key);
  const drain = () => t.app.get(OutboxWorker).drain();

  async function poll(): Promise<void> {
    const trig = await request(t.url)
      .post('/trigger/stripe/incremental')
      .set('x-admin-api-key', TEST_ADMIN_KEY)
      .set('idempotency-key', `reconcile-poll-${Date.now()}-${Math.random()}`);
    expect(trig.status).toBe(202);
    const ids: string[] = trig.body.runIds;
    // The test is the worker: WORKER=off apps only queue runs.
    await t.app.get(RunsService).drain();
    const deadline = Date.now() + 30_000;
    for (;;) {
      const runs = await Promise.all(ids.map((id) => request(t.url).get(`/runs/${id}`).set('x-api-key', TEST_API_KEY)));
      if (runs.every((r) => FINAL.includes(r.body.status))) {
        expect(runs.map((r) => r.body.status)).toEqual(ids.map(() => 'succeeded'));
        return;
      }
      if (Date.now() > deadline) throw new Error('stripe poll did not finish');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    sim = await startStripeSimulator({ apiKey: KEY, seed: 7 });
    t = await bootTestApp({
      STRIPE_API_KEY: KEY,
      STRIPE_API_BASE: sim.url,
      STRIPE_WEBHOOK_SECRET: SECRET,
      STRIPE_RATE_LIMIT_PER_S: '100',
      RECONCILE_GRACE_S: String(GRACE_S),
    });
    sim.state.onEvent((e) => events.push(e));

    // Five charges and two refunds; the webhooks of two charges and of one refund are lost.
    const charges = [1000, 2000, 3000, 4000, 5000].map((amount) => sim.state.createCharge({ amount, currency: 'usd' }));
    const keptRefund = sim.state.refundCharge(charges[0].id, { amount: 100 });
    const lostRefund = sim.state.refundCharge(charges[1].id, { amount: 200 });
    for (const c of [charges[3], charges[4]]) dropped.add(`charge:${c.id}`);
    dropped.add(`refund:${lostRefund.id}`);
    for (const c of charges.slice(0, 3)) kept.add(`charge:${c.id}`);
    kept.add(`refund:${keptRefund.id}`);
    for (const e of events) {
      const o = e.data.object as { id: string; object: string };
      if (dropped.has(`${o.object}:${o.id}`)) continue;
      const res = await sendStripeWebhook({ url: `${t.url}/webhooks/stripe`, secret: SECRET, event: e });
      expect(res.status).toBe(200);
    }
    await drain();
    today = new Date(charges[0].created * 1000).toISOString().slice(0, 10);
  });
  afterAll(async () => {
    await t?.close();
    await sim?.stop();
  });

  const ids = (body: { missedWebhooks: { objectType: string; externalId: string }[] }) =>
    new Set(body.missedWebhooks.map((m) => `${m.objectType}:${m.externalId}`));

  it('before any poll, every delivered object is webhookOnly and nothing is missed', async () => {
    const res = await get(`source=stripe&startDate=${today}&endDate=${today}`);
    expect(res.status).toBe(200);
    expect(res.body.totals).toEqual({ both: 0, webhookOnly: kept.size, pollOnly: 0, pending: 0 });
    expect(res.body.missedWebhooks).toEqual([]);
  });

  it('right after the poll, the objects without a webhook are pending; the others are both', async () => {
    await poll();
    await drain();
    const res = await get(`source=stripe&startDate=${today}&endDate=${today}&tz=UTC`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      source: 'stripe',
      startDate: today,
      endDate: today,
      tz: 'UTC',
      graceS: GRACE_S,
      totals: { both: kept.size, webhookOnly: 0, pollOnly: 0, pending: dropped.size },
      days: [{ date: today, both: kept.size, webhookOnly: 0, pollOnly: 0, pending: dropped.size }],
      missedWebhooks: [],
      nextCursor: null,
    });
    expect(Object.keys(res.body).sort()).toEqual(
      [
        'source',
        'startDate',
        'endDate',
        'tz',
        'graceS',
        'totals',
        'days',
        'missedWebhooks',
        'orphans',
        'nextCursor',
      ].sort(),
    );
  });

  it('after the grace window they are pollOnly and listed with their ids, page by page', async () => {
    // The grace window passes: every sighting moves GRACE_S + 1 seconds into the past.
    await t.db.query(
      `UPDATE object_sightings SET first_poll_at = first_poll_at - interval '${GRACE_S + 1} seconds', first_webhook_at = first_webhook_at - interval '${GRACE_S + 1} seconds'`,
    );
    // A webhook that arrives this late still counts as missed (the poll had to find the object).
    const res = await get(`source=stripe&startDate=${today}&endDate=${today}`);
    expect(res.body.totals).toEqual({ both: kept.size, webhookOnly: 0, pollOnly: dropped.size, pending: 0 });
    expect(ids(res.body)).toEqual(dropped);
    for (const m of res.body.missedWebhooks) expect(Date.parse(m.firstPolledAt)).toBeLessThan(Date.now());

    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await get(
        `source=stripe&startDate=${today}&endDate=${today}&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.missedWebhooks).toHaveLength(1);
      for (const id of ids(page.body)) seen.add(id);
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(dropped.size);
    expect(seen).toEqual(dropped);
  });

  it('a webhook delivered late, after the grace window, does not make the object healthy', async () => {
    const late = events.find((e) => dropped.has(`charge:${(e.data.object as { id: string }).id}`))!;
    expect((await sendStripeWebhook({ url: `${t.url}/webhooks/stripe`, secret: SECRET, event: late })).status).toBe(
      200,
    );
    await drain();
    const res = await get(`source=stripe&startDate=${today}&endDate=${today}`);
    expect(res.body.totals.pollOnly).toBe(dropped.size);
  });

  it('objects count on their creation day in tz; other days and other sources are empty', async () => {
    const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    const res = await get(`source=stripe&startDate=${yesterday}&endDate=${today}`);
    expect(res.body.days.map((d: { date: string }) => d.date)).toEqual([yesterday, today]);
    expect(res.body.days[0]).toEqual({ date: yesterday, both: 0, webhookOnly: 0, pollOnly: 0, pending: 0 });
    const hubspot = await get(`source=hubspot&startDate=${today}&endDate=${today}`);
    expect(hubspot.body.totals).toEqual({ both: 0, webhookOnly: 0, pollOnly: 0, pending: 0 });
    // Without dates: the last seven days up to today in tz.
    const recent = await get('source=stripe');
    expect(recent.body.days).toHaveLength(7);
    expect(recent.body.totals.pollOnly).toBe(dropped.size);
  });

  it('the missed-webhooks gauge and the alert count see the same objects', async () => {
    const service = t.app.get(ReconciliationService);
    expect(await service.missedWebhookCount({ source: 'stripe' })).toBe(dropped.size);
    expect(await service.missedWebhooks()).toEqual([{ source: 'stripe', count: dropped.size }]);
    expect(await service.givenUpOrphans()).toEqual({ count: 0, orphans: [] });
    // The alerts' missed_webhooks condition reads the same figure.
    await t.app.get(AlertsService).evaluate();
    const firing = await request(t.url).get('/alerts?state=firing').set('x-admin-api-key', TEST_ADMIN_KEY);
    expect(firing.status).toBe(200);
    expect(firing.body.alerts.filter((a: { condition: string }) => a.condition === 'missed_webhooks')).toEqual([
      expect.objectContaining({
        condition: 'missed_webhooks',
        details: expect.objectContaining({ source: 'stripe', count: dropped.size }),
      }),
    ]);
    // Read from Postgres at each scrape.
    const metrics = await request(t.url).get('/metrics');
    expect(metrics.text).toContain('# TYPE buffalo_missed_webhooks gauge');
    expect(metrics.text).toContain(`buffalo_missed_webhooks{source="stripe"} ${dropped.size}`);
    expect(metrics.text).toContain('buffalo_missed_webhooks{source="hubspot"} 0');
  });

  const cursorOf = (k: string[]) => Buffer.from(JSON.stringify(k)).toString('base64url');

  it('refuses bad input with the contract 4xx bodies', async () => {
    const bad: [string, number, string, string?][] = [
      ['', 400, 'validation_failed', 'source'],
      ['source=paypal', 400, 'validation_failed', 'source'],
      ['source=stripe&startDate=2026-02-30', 400, 'validation_failed', 'startDate'],
      ['source=stripe&startDate=2026-06-02&endDate=2026-06-01', 400, 'validation_failed', 'endDate'],
      ['source=stripe&tz=UTC%2B3', 400, 'validation_failed', 'tz'],
      ['source=stripe&tz=Mars/Olympus', 400, 'validation_failed', 'tz'],
      ['source=stripe&cursor=abc', 400, 'validation_failed', 'cursor'],
      ['source=stripe&cursor=WyJ4IiwieSIsInoiXQ', 400, 'validation_failed', 'cursor'],
      ['source=stripe&limit=1001', 400, 'validation_failed', 'limit'],
      ['source=stripe&limit=0', 400, 'validation_failed', 'limit'],
      ['source=stripe&limit=ten', 400, 'validation_failed', 'limit'],
      ['source=stripe&bogus=1', 400, 'validation_failed', 'bogus'],
      ['source=stripe&startDate=2000-01-01&endDate=2020-01-01', 400, 'date_range_too_large'],
      // One date alone: the other comes from its default (today), and the limit holds all the same.
      ['source=stripe&startDate=1970-01-01', 400, 'date_range_too_large'],
      // Cursors a regex would pass and Postgres would not (offset +99, a NUL in the id).
      [
        `source=stripe&cursor=${cursorOf(['2026-06-15 10:00:00+99', 'charge', 'ch_1'])}`,
        400,
        'validation_failed',
        'cursor',
      ],
      [
        `source=stripe&cursor=${cursorOf(['2026-06-15 10:00:00+00', 'charge', 'ch_\u0000'])}`,
        400,
        'validation_failed',
        'cursor',
      ],
    ];
    for (const [query, status, error, field] of bad) {
      const res = await get(query);
      expect(res.status, query).toBe(status);
      expect(res.body.error, query).toBe(error);
      expect(res.body.requestId, query).toEqual(expect.any(String));
      if (field)
        expect(
          res.body.issues.map((i: { field: string }) => i.field),
          query,
        ).toContain(field);
    }
    expect((await get('source=stripe', 'wrong-key-0123456789')).status).toBe(401);
    // The zone is echoed in Postgres's spelling; a limit of 1000 is allowed.
    const ok = await get(`source=stripe&tz=europe/berlin&limit=1000&startDate=${today}&endDate=${today}`);
    expect(ok.status).toBe(200);
    expect(ok.body.tz).toBe('Europe/Berlin');
    // The calendar's last days answer (they once sent the day loop past year 9999, forever).
    for (const q of ['endDate=9999-12-31', 'startDate=9999-12-31', 'startDate=9999-12-30&endDate=9999-12-31']) {
      const edge = await get(`source=stripe&${q}`);
      expect(edge.status, q).toBe(200);
      expect(edge.body.days.at(-1).date, q).toBe('9999-12-31');
    }
  });

  it('POST /reconciliation/sweep runs the orphan sweep (admin, Idempotency-Key) and replays', async () => {
    const post = (key?: string, admin = TEST_ADMIN_KEY) => {
      const r = request(t.url).post('/reconciliation/sweep').set('x-admin-api-key', admin);
      return key ? r.set('idempotency-key', key) : r;
    };
    expect((await post()).body.error).toBe('idempotency_key_required');
    expect((await post('k1', TEST_API_KEY)).status).toBe(401);
    const first = await post('sweep-1');
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ scanned: expect.any(Number), linked: 0, givenUp: 0 });
    const again = await post('sweep-1');
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    const withBody = await request(t.url)
      .post('/reconciliation/sweep')
      .set('x-admin-api-key', TEST_ADMIN_KEY)
      .set('idempotency-key', 'sweep-2')
      .send({ force: true });
    expect(withBody.status).toBe(400);
    const report = await get(`source=stripe&startDate=${today}&endDate=${today}`);
    expect(report.body.orphans).toEqual({ open: 0, linked: 0, givenUp: 0 });
  });
});
