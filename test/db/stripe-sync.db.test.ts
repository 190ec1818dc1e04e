import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/app.config.js';
import { StripeGateway } from '../../src/connectors/stripe/stripe.gateway.js';
import { StripeSyncDriver } from '../../src/connectors/stripe/stripe-sync.driver.js';
import { StripeOutboxHandler } from '../../src/connectors/stripe/stripe-outbox.handler.js';
import { OutboxHandlerRegistry } from '../../src/outbox/outbox.handlers.js';
import type { OutboxRow } from '../../src/outbox/outbox.types.js';
import { PaymentsRepository } from '../../src/records/payments.repository.js';
import { SyncDriverRegistry } from '../../src/runs/sync.drivers.js';
import type { SyncRun } from '../../src/runs/run.types.js';
import {
  generateStripeDataset,
  startStripeSimulator,
  type StripeDataset,
  type StripeSimulator,
} from '../../scripts/sandbox/stripe/index.js';
import { openTestDb } from '../support/db.js';
import { runsServiceFor } from '../support/runs-test-driver.js';

const KEY = 'sk_test_sync_db_0123456789';
const DAY = 86_400;
const END = 1_790_000_000;

/**
 * The Stripe driver against the simulator through the official SDK, run by the real RunsService
 * over a real Postgres: cursors, overlap, crash-resume, auth and stale-cursor behaviour, and the
 * ledger the outbox handler builds from what was polled.
 */
async function setup(opts: { charges: number; seed: number }) {
  const t = await openTestDb();
  const dataset = generateStripeDataset({ seed: opts.seed, charges: opts.charges, end: END });
  const clock = { now: END + 3600 };
  const sim = await startStripeSimulator({ apiKey: KEY, dataset, clock: () => clock.now, seed: opts.seed });
  const env = {
    STRIPE_API_KEY: KEY,
    STRIPE_API_BASE: sim.url,
    STRIPE_PAGE_SIZE: '50',
    STRIPE_OVERLAP_S: '5',
    STRIPE_RATE_LIMIT_PER_S: '100',
    STRIPE_MAX_RETRIES: '0',
  };
  const config = loadConfig({ NODE_ENV: 'test', ...env });
  const driver = new StripeSyncDriver(config, new StripeGateway(config), new SyncDriverRegistry());
  driver.now = () => clock.now;
  const { service, repo } = runsServiceFor(t.db, t.locks, [driver], env);
  const run = async (entity: string, mode: 'incremental' | 'full' = 'incremental'): Promise<SyncRun> => {
    const { runIds } = await service.trigger('stripe', mode, { entities: [entity] });
    await service.waitForIdle();
    return (await repo.get(runIds[0]))!;
  };
  const cursorOf = async (entity: string) =>
    (
      await t.db.query<{ cursor: any }>(`SELECT cursor FROM sync_cursors WHERE source = 'stripe' AND entity = $1`, [
        entity,
      ])
    )[0]?.cursor ?? null;
  const outbox = (kind: string) =>
    t.db.query<{ dedupe_key: string; event_type: string }>(
      `SELECT dedupe_key, event_type FROM ingest_outbox WHERE kind = $1 ORDER BY id`,
      [kind],
    );
  return { t, sim, dataset, clock, run, cursorOf, outbox, close: async () => (await sim.stop(), await t.close()) };
}

describe('stripe sync driver (real runs, real Postgres, simulator via SDK)', () => {
  let s: Awaited<ReturnType<typeof setup>>;
  let dataset: StripeDataset;
  let sim: StripeSimulator;
  beforeAll(async () => {
    s = await setup({ charges: 600, seed: 3 });
    ({ dataset, sim } = s);
  });
  afterAll(async () => s?.close());

  it('the first run is a flagged full backfill: every charge once, cursor at the run start', async () => {
    const r = await s.run('charges');
    expect(r).toMatchObject({
      status: 'succeeded',
      fullBackfillTriggered: true,
      staleCursorDetected: false,
      error: null,
    });
    expect(r.counts).toMatchObject({ pagesFetched: 12, recordsFetched: 600, recordsUpserted: 600, recordsDeduped: 0 });
    const rows = await s.outbox('stripe.charge');
    expect(new Set(rows.map((x) => x.dedupe_key.split(':')[1]))).toEqual(new Set(dataset.charges.map((c) => c.id)));
    expect(await s.cursorOf('charges')).toEqual({ v: 1, watermark: s.clock.now, plan: null });

    const refunds = await s.run('refunds');
    expect(refunds).toMatchObject({
      status: 'succeeded',
      fullBackfillTriggered: true,
      counts: { recordsUpserted: dataset.refunds.length },
    });
  });

  it('incremental runs see new charges and refunds; the overlap catches a late same-second write and re-reads without duplicating', async () => {
    const t1 = s.clock.now + 120;
    s.clock.now = t1 - 2;
    const a = sim.state.createCharge({ amount: 2500, currency: 'usd' });
    const b = sim.state.createCharge({ amount: 1800, currency: 'eur' });
    const old = dataset.charges.find((c) => c.status === 'succeeded' && c.captured && !c.refunded && !c.disputed)!;
    const re = sim.state.refundCharge(old.id, { amount: 100 });
    s.clock.now = t1;
    const r2 = await s.run('charges');
    expect(r2).toMatchObject({
      status: 'succeeded',
      fullBackfillTriggered: false,
      counts: { recordsUpserted: 2, recordsDeduped: 0 },
    });
    expect(r2.cursorAfter).toEqual({ v: 1, watermark: t1, plan: null });

    // Written in the window's last second after the run listed it.
    const c = sim.state.createCharge({ amount: 990, currency: 'usd' });
    s.clock.now = t1 + 30;
    const r3 = await s.run('charges');
    expect(r3.counts).toMatchObject({ recordsFetched: 3, recordsUpserted: 1, recordsDeduped: 2 });
    const keys = (await s.outbox('stripe.charge')).map((x) => x.dedupe_key.split(':')[1]);
    for (const id of [a.id, b.id, c.id]) expect(keys.filter((k) => k === id)).toHaveLength(1);

    const rr = await s.run('refunds');
    expect(rr.counts).toMatchObject({ recordsUpserted: 1 });
    expect((await s.outbox('stripe.refund')).some((x) => x.dedupe_key.startsWith(`refund:${re.id}:succeeded`))).toBe(
      true,
    );
  });

  it('an auth failure fails the run and leaves the cursor exactly as it was', async () => {
    const before = await s.cursorOf('charges');
    sim.state.createCharge({ amount: 700, currency: 'usd' });
    s.clock.now += 60;
    sim.failNext(1, 401);
    const r = await s.run('charges');
    expect(r).toMatchObject({
      status: 'failed',
      errorClass: 'auth',
      staleCursorDetected: false,
      fullBackfillTriggered: false,
    });
    expect(r.error).toContain('STRIPE_API_KEY');
    expect(await s.cursorOf('charges')).toEqual(before);
    sim.failNext(1, 403);
    expect(await s.run('refunds')).toMatchObject({ status: 'failed', errorClass: 'auth' });
    // The key works again: the run picks up from the kept cursor and misses nothing.
    expect(await s.run('charges')).toMatchObject({ status: 'succeeded', counts: { recordsUpserted: 1 } });
  });

  it('events: the first run lists every dispute and retained event; later runs see changes to OLD charges', async () => {
    const first = await s.run('events');
    expect(first).toMatchObject({ status: 'succeeded', fullBackfillTriggered: true });
    expect((await s.outbox('stripe.dispute')).length).toBe(sim.state.count('disputes'));
    const retained = sim.state.list<any>('events').filter((e) => e.created >= s.clock.now - 30 * DAY);
    expect((await s.outbox('stripe.event')).length).toBe(retained.length);

    // A months-old authorization captured today: no created-window list can see it; the feed does.
    const auth = sim.state
      .list<any>('charges')
      .find((c) => c.status === 'succeeded' && !c.captured && !c.refunded && c.created < s.clock.now - 60 * DAY);
    expect(auth).toBeDefined();
    s.clock.now += 60;
    sim.state.captureCharge(auth.id);
    expect((await s.run('charges')).counts.recordsUpserted).toBe(0);
    const ev = await s.run('events');
    expect(ev).toMatchObject({ status: 'succeeded', fullBackfillTriggered: false, counts: { recordsUpserted: 1 } });
    expect((await s.outbox('stripe.event')).at(-1)!.event_type).toBe('charge.captured');
  });

  it('a stale events cursor (older than 30 days) is cleared and replaced by a flagged full resync', async () => {
    // Changes made early in a 31-day blackout: by the next run their events have left retention.
    s.clock.now += DAY;
    const auth = sim.state.list<any>('charges').find((c) => c.status === 'succeeded' && !c.captured && !c.refunded);
    expect(auth).toBeDefined();
    sim.state.captureCharge(auth.id);
    const victim = sim.state
      .list<any>('charges')
      .find((c) => c.status === 'succeeded' && c.captured && !c.refunded && !c.disputed);
    const dispute = sim.state.openDispute(victim.id);
    sim.state.closeDispute(dispute.id, 'lost');
    s.clock.now += 31 * DAY;
    const retainedIds = new Set(
      sim.state
        .list<any>('events')
        .filter((e) => e.created >= s.clock.now - 30 * DAY)
        .map((e) => e.data.object.id),
    );
    expect(retainedIds.has(auth.id) || retainedIds.has(dispute.id)).toBe(false);

    const r = await s.run('events');
    expect(r).toMatchObject({ status: 'succeeded', staleCursorDetected: true, fullBackfillTriggered: true });
    expect(r.cursorAfter).toEqual({ v: 1, watermark: s.clock.now, plan: null });
    // Unchanged objects re-read by the resync are duplicates; what changed is new.
    expect(r.counts.recordsDeduped).toBeGreaterThan(600);
    expect(
      (await s.outbox('stripe.charge')).some((x) => x.dedupe_key.startsWith(`charge:${auth.id}:succeeded:captured`)),
    ).toBe(true);
    expect((await s.outbox('stripe.dispute')).some((x) => x.dedupe_key.startsWith(`dispute:${dispute.id}:lost`))).toBe(
      true,
    );

    await s.t.db.query(
      `UPDATE sync_cursors SET cursor = '{"nonsense":true}'::jsonb WHERE source = 'stripe' AND entity = 'events'`,
    );
    expect(await s.run('events')).toMatchObject({ status: 'succeeded', staleCursorDetected: true });
  });

  it('the ledger built from everything polled equals Stripe’s own state, object by object', async () => {
    const handler = new StripeOutboxHandler(new OutboxHandlerRegistry(), new PaymentsRepository());
    const raw = await s.t.db.query<any>(
      `SELECT id, source, kind, dedupe_key, origin, event_type, payload, attempts, received_at, vendor_time FROM ingest_outbox ORDER BY id`,
    );
    const rows: OutboxRow[] = raw.map((r) => ({
      id: String(r.id),
      source: r.source,
      kind: r.kind,
      dedupeKey: r.dedupe_key,
      origin: r.origin,
      eventType: r.event_type,
      payload: typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload,
      attempts: r.attempts,
      receivedAt: new Date(r.received_at),
      vendorTime: r.vendor_time ? new Date(r.vendor_time) : null,
    }));
    for (let i = 0; i < rows.length; i += 200) {
      const out = await handler.handle(rows.slice(i, i + 200), { db: s.t.db, workerId: 'test' });
      expect([...out.values()].every((o) => o.status === 'done')).toBe(true);
    }
    const ledger = new Map(
      (await s.t.db.query<any>(`SELECT external_id, kind, status, effect, amount_cents, currency FROM payments`)).map(
        (p) => [p.external_id, p],
      ),
    );
    const now = sim.state.snapshot();
    expect(ledger.size).toBe(now.charges.length + now.refunds.length + now.disputes.length);
    for (const c of now.charges) {
      const gross = c.status === 'succeeded' && c.captured;
      expect(ledger.get(c.id), c.id).toMatchObject({
        kind: 'charge',
        effect: gross ? 'gross' : 'none',
        amount_cents: String(c.amount_captured),
        currency: c.currency.toUpperCase(),
      });
    }
    for (const r of now.refunds)
      expect(ledger.get(r.id), r.id).toMatchObject({
        kind: 'refund',
        effect: r.status === 'succeeded' ? 'refund' : 'none',
        amount_cents: String(r.amount),
      });
    for (const d of now.disputes)
      expect(ledger.get(d.id), d.id).toMatchObject({
        kind: 'dispute',
        effect: d.status === 'lost' ? 'refund' : 'none',
        amount_cents: String(d.amount),
      });
  });
});

describe('stripe sync driver: a crash between pages loses nothing', () => {
  let s: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    s = await setup({ charges: 600, seed: 4 });
  });
  afterAll(async () => s?.close());

  it('commits three pages, dies on the fourth, and the next run resumes exactly after the last stored charge', async () => {
    s.sim.failNext(1, 500, undefined, { path: '/v1/charges', skip: 3 });
    const crashed = await s.run('charges');
    expect(crashed).toMatchObject({
      status: 'partial',
      errorClass: 'transient',
      counts: { pagesFetched: 3, recordsUpserted: 150 },
    });
    const newestFirst = s.sim.state.list<any>('charges');
    const cursor = await s.cursorOf('charges');
    // Nothing older than the 150 stored charges is claimed: the watermark has not moved.
    expect(cursor).toMatchObject({
      v: 1,
      watermark: null,
      plan: { passes: [{ list: 'charges', gte: null, startingAfter: newestFirst[149].id }] },
    });
    const stored = new Set((await s.outbox('stripe.charge')).map((x) => x.dedupe_key.split(':')[1]));
    expect(stored).toEqual(new Set(newestFirst.slice(0, 150).map((c: any) => c.id)));

    s.clock.now += 60;
    const resumed = await s.run('charges');
    expect(resumed).toMatchObject({
      status: 'succeeded',
      fullBackfillTriggered: true,
      counts: { recordsUpserted: 450, recordsDeduped: 0 },
    });
    const firstRequest = s.sim.requests.filter((r) => r.path === '/v1/charges').at(-resumed.counts.pagesFetched)!;
    expect(firstRequest.query.starting_after).toBe(newestFirst[149].id);
    const keys = (await s.outbox('stripe.charge')).map((x) => x.dedupe_key);
    expect(keys).toHaveLength(600);
    expect(new Set(keys.map((k) => k.split(':')[1]))).toEqual(new Set(newestFirst.map((c: any) => c.id)));
    expect(await s.cursorOf('charges')).toEqual({ v: 1, watermark: s.clock.now, plan: null });
  });

  it('a pagination anchor Stripe no longer knows restarts that pass instead of failing forever', async () => {
    await s.t.db.query(
      `UPDATE sync_cursors SET cursor = jsonb_build_object('v', 1, 'watermark', NULL, 'plan', jsonb_build_object('target', $1::bigint, 'passes',
         jsonb_build_array(jsonb_build_object('list', 'charges', 'gte', NULL, 'lte', $1::bigint, 'startingAfter', 'ch_gone')))) WHERE entity = 'charges'`,
      [s.clock.now],
    );
    const r = await s.run('charges');
    expect(r).toMatchObject({ status: 'succeeded', counts: { recordsUpserted: 0 } });
    expect(r.counts.recordsDeduped).toBeGreaterThanOrEqual(600);
  });
});
