import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { bootTestApp, TEST_ADMIN_KEY, TEST_API_KEY, type TestApp } from '../support/app.js';
import { expectedRows, storedRows } from '../support/gcal-kit.js';
import {
  generateStripeDataset,
  startStripeSimulator,
  type StripeCharge,
  type StripeSimData,
  type StripeSimulator,
} from '../../scripts/sandbox/stripe/index.js';
import { startHubSpotSimulator, type HubSpotSimulator } from '../../scripts/sandbox/hubspot/hubspot-simulator.js';
import {
  dealPipelines,
  generateHubSpotDataset,
  OPEN_STAGES,
  wonStageIds,
  type SimObject,
} from '../../scripts/sandbox/hubspot/hubspot-dataset.js';
import { startGcalSimulator, type GcalSimulator } from '../../scripts/sandbox/gcal/gcal-simulator.js';
import type { SimEvent } from '../../scripts/sandbox/gcal/gcal-store.js';

/*
 * The whole product at once: three vendor simulators, one app (worker on), syncs triggered over
 * HTTP, and every figure checked against numbers this file computes from the simulators' own data
 * by finance's rules: never through the app's mappers or SQL.
 */

const STRIPE_KEY = 'sk_test_all_vendors_0123456789';
const HUBSPOT_TOKEN = 'pat-na1-all-vendors-0000000000';
const PORTAL_CURRENCY = 'EUR';
const CALENDARS = ['sales@example.com', 'ops@example.com'];
/** 2026-09-21T14:13:20Z: the Stripe dataset's "now" while the first sync runs. */
const STRIPE_END = 1_790_000_000;
const FINAL = ['succeeded', 'partial', 'failed', 'skipped'];
const CURRENCIES = ['USD', 'EUR'] as const;

interface Fig {
  gross: bigint;
  refunds: bigint;
  count: number;
  refundCount: number;
}
type Src = 'stripe' | 'hubspot';

const zero = (): Fig => ({ gross: 0n, refunds: 0n, count: 0, refundCount: 0 });
const dayOfUnix = (s: number) => new Date(s * 1000).toISOString().slice(0, 10);

/** Expected revenue per source, currency and UTC day. */
class Ledger {
  private readonly cells = new Map<string, Fig>();

  add(source: Src, currency: string, day: string, f: Partial<Fig>): void {
    const k = `${source}|${currency.toUpperCase()}|${day}`;
    const c = this.cells.get(k) ?? zero();
    c.gross += f.gross ?? 0n;
    c.refunds += f.refunds ?? 0n;
    c.count += f.count ?? 0;
    c.refundCount += f.refundCount ?? 0;
    this.cells.set(k, c);
  }

  /** One day (or, without `day`, every day) of one source or of both. */
  figures(source: Src | null, currency: string, day?: string): Fig {
    const out = zero();
    for (const [k, c] of this.cells) {
      const [s, cur, d] = k.split('|');
      if ((source && s !== source) || cur !== currency || (day && d !== day)) continue;
      out.gross += c.gross;
      out.refunds += c.refunds;
      out.count += c.count;
      out.refundCount += c.refundCount;
    }
    return out;
  }

  days(): string[] {
    return [...new Set([...this.cells.keys()].map((k) => k.split('|')[2]))].sort();
  }
}

/** Stripe by hand: captured money of succeeded charges on their day; succeeded refunds and lost disputes on theirs. */
function stripeLedger(into: Ledger, d: StripeSimData): void {
  for (const c of d.charges) {
    if (c.status === 'succeeded' && c.captured)
      into.add('stripe', c.currency, dayOfUnix(c.created), { gross: BigInt(c.amount_captured), count: 1 });
  }
  for (const r of d.refunds) {
    if (r.status === 'succeeded')
      into.add('stripe', r.currency, dayOfUnix(r.created), { refunds: BigInt(r.amount), refundCount: 1 });
  }
  for (const x of d.disputes) {
    if (x.status === 'lost')
      into.add('stripe', x.currency, dayOfUnix(x.created), { refunds: BigInt(x.amount), refundCount: 1 });
  }
}

const MINOR_DIGITS: Record<string, number> = { JPY: 0 };

/** A HubSpot decimal string in minor units, half up at the last kept digit; null when it is not a plain decimal. */
function minorUnits(amount: string | null, currency: string): bigint | null {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(amount ?? '');
  if (!m) return null;
  const digits = MINOR_DIGITS[currency] ?? 2;
  const frac = m[2] ?? '';
  const kept = (frac + '0'.repeat(digits)).slice(0, digits);
  const roundUp = frac.length > digits && Number(frac[digits]) >= 5 ? 1n : 0n;
  return BigInt(m[1] + kept) + roundUp;
}

/** HubSpot by hand: live deals in won stages (any pipeline) on their close day; won deals with an unusable amount count nowhere. */
const HUBSPOT_WON = wonStageIds(dealPipelines());
function hubspotLedger(into: Ledger, deals: Iterable<SimObject>): { unusableWon: string[] } {
  const unusableWon: string[] = [];
  for (const d of deals) {
    if (d.archived || !HUBSPOT_WON.has(d.properties.dealstage ?? '')) continue;
    const currency = d.properties.deal_currency_code || PORTAL_CURRENCY;
    const cents = minorUnits(d.properties.amount, currency);
    if (cents === null) {
      unusableWon.push(d.id);
      continue;
    }
    into.add('hubspot', currency, d.properties.closedate!.slice(0, 10), { gross: cents, count: 1 });
  }
  return { unusableWon };
}

function figJson(f: Fig) {
  return {
    grossCents: f.gross.toString(),
    refundsCents: f.refunds.toString(),
    totalRevenueCents: (f.gross - f.refunds).toString(),
    count: f.count,
    refundCount: f.refundCount,
  };
}

describe('all three vendors through one app: HTTP triggers → SDKs → outbox → worker → revenue, contacts, events', () => {
  let stripe: StripeSimulator;
  let hubspot: HubSpotSimulator;
  let gcal: GcalSimulator;
  let t: TestApp;
  /** The Stripe account's clock: the dataset's end during the first sync, the real clock afterwards. */
  let stripeLive = false;
  const stripeData = generateStripeDataset({ seed: 5, charges: 400, end: STRIPE_END });
  const hubspotData = generateHubSpotDataset({ seed: 17, deals: 150, contacts: 40 });
  const allRunIds: string[] = [];
  let startDate = '';
  let endDate = '';
  /** Figures over HTTP before the mutations, to measure how far they move. */
  let before: Map<string, any>;
  /** Gcal events live at the first sync, and their state then. */
  const seenLive = new Map<string, Set<string>>();
  const lastLive = new Map<string, Map<string, SimEvent>>();

  const get = (path: string) => request(t.url).get(path).set('x-api-key', TEST_API_KEY);

  async function trigger(source: string, mode: 'full' | 'incremental'): Promise<string[]> {
    const res = await request(t.url)
      .post(`/trigger/${source}/${mode}`)
      .set('x-admin-api-key', TEST_ADMIN_KEY)
      .set('idempotency-key', `all-vendors-${source}-${mode}-${allRunIds.length}`);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ source, mode, status: 'accepted', runId: res.body.runIds[0] });
    allRunIds.push(...res.body.runIds);
    return res.body.runIds;
  }

  async function waitForRuns(ids: string[]): Promise<any[]> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const runs = await Promise.all(ids.map(async (id) => (await get(`/runs/${id}`)).body));
      if (runs.every((r) => FINAL.includes(r.status))) return runs;
      if (Date.now() > deadline)
        throw new Error(`runs still unfinished: ${JSON.stringify(runs.map((r) => [r.runId, r.status]))}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** The in-process worker has nothing left to do (rows backing off would count as not done). */
  async function waitForOutbox(): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const [{ open }] = await t.db.query<{ open: string }>(
        `SELECT count(*) AS open FROM ingest_outbox WHERE status IN ('queued','running','error')`,
      );
      if (open === '0') return;
      if (Date.now() > deadline) throw new Error(`${open} outbox rows still open`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async function revenue(kind: 'summary' | 'daily', source: Src | null, currency: string) {
    const q = `startDate=${startDate}&endDate=${endDate}&currency=${currency}&tz=UTC${source ? `&source=${source}` : ''}`;
    const res = await get(`/metrics/revenue/${kind}?${q}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  }

  /** Every figure over HTTP equals the independent ledger, per source, for both sources, and per day. */
  async function expectRevenue(want: Ledger): Promise<Map<string, any>> {
    const seen = new Map<string, any>();
    for (const currency of CURRENCIES) {
      for (const source of ['stripe', 'hubspot', null] as const) {
        const label = `${source ?? 'all'} ${currency}`;
        const summary = await revenue('summary', source, currency);
        expect(summary, label).toMatchObject({
          ...figJson(want.figures(source, currency)),
          currency,
          source,
          startDate,
          endDate,
          tz: 'UTC',
        });
        const daily = await revenue('daily', source, currency);
        expect(daily, label).toMatchObject({
          grossCents: summary.grossCents,
          refundsCents: summary.refundsCents,
          count: summary.count,
        });
        const sum = { gross: 0n, refunds: 0n, net: 0n, count: 0, refundCount: 0 };
        for (const b of daily.breakdown) {
          const w = want.figures(source, currency, b.date);
          expect(b, `${label} ${b.date}`).toMatchObject({
            grossCents: w.gross.toString(),
            refundsCents: w.refunds.toString(),
            amountCents: (w.gross - w.refunds).toString(),
            count: w.count,
            refundCount: w.refundCount,
          });
          sum.gross += BigInt(b.grossCents);
          sum.refunds += BigInt(b.refundsCents);
          sum.net += BigInt(b.amountCents);
          sum.count += b.count;
          sum.refundCount += b.refundCount;
        }
        expect(sum, `${label}: daily buckets add up to the summary`).toEqual({
          gross: BigInt(summary.grossCents),
          refunds: BigInt(summary.refundsCents),
          net: BigInt(summary.totalRevenueCents),
          count: summary.count,
          refundCount: summary.refundCount,
        });
        seen.set(label, summary);
        seen.set(`${label} daily`, daily);
      }
      // All sources is the plain sum of the two, field by field.
      const [s, h, all] = ['stripe', 'hubspot', 'all'].map((x) => seen.get(`${x} ${currency}`));
      for (const f of ['grossCents', 'refundsCents', 'totalRevenueCents'] as const)
        expect(BigInt(all[f]), `${currency} ${f}`).toBe(BigInt(s[f]) + BigInt(h[f]));
      expect(all.count).toBe(s.count + h.count);
      expect(all.refundCount).toBe(s.refundCount + h.refundCount);
    }
    return seen;
  }

  const calendar = (id: string) => gcal.state.calendar(id)!;

  beforeAll(async () => {
    stripe = await startStripeSimulator({
      apiKey: STRIPE_KEY,
      dataset: stripeData,
      clock: () => (stripeLive ? Math.floor(Date.now() / 1000) : STRIPE_END + 3600),
    });
    hubspot = await startHubSpotSimulator({ accessToken: HUBSPOT_TOKEN, dataset: hubspotData });
    gcal = await startGcalSimulator({ calendars: CALENDARS, dataset: { seed: 23, eventsPerCalendar: 20 } });
    t = await bootTestApp({
      WORKER: 'on',
      WORKER_POLL_MS: '50',
      STRIPE_API_KEY: STRIPE_KEY,
      STRIPE_API_BASE: stripe.url,
      STRIPE_RATE_LIMIT_PER_S: '100',
      HUBSPOT_ACCESS_TOKEN: HUBSPOT_TOKEN,
      HUBSPOT_API_BASE: hubspot.url,
      HUBSPOT_SEARCH_RATE_LIMIT_PER_S: '50',
      HUBSPOT_RATE_LIMIT_PER_S: '100',
      HUBSPOT_PORTAL_CURRENCY: PORTAL_CURRENCY,
      GCAL_SERVICE_ACCOUNT_JSON: gcal.serviceAccountJson,
      GCAL_CALENDAR_IDS: CALENDARS.join(','),
      GCAL_API_BASE: gcal.url,
      GCAL_RATE_LIMIT_PER_S: '100',
      GCAL_PAGE_SIZE: '9',
    });
    // One fixed range for every query, wide enough for the data and for today's mutations.
    const probe = new Ledger();
    stripeLedger(probe, stripeData);
    hubspotLedger(probe, hubspotData.deals);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    [startDate, endDate] = [probe.days()[0], [probe.days().at(-1)!, tomorrow].sort()[1]];
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([stripe?.stop(), hubspot?.stop(), gcal?.stop()]);
  });

  it('full syncs of every vendor, triggered over HTTP, all succeed and drain through the worker', async () => {
    const t0 = Date.now();
    const ids = [
      ...(await trigger('stripe', 'full')),
      ...(await trigger('hubspot', 'full')),
      ...(await trigger('gcal', 'full')),
    ];
    const runs = await waitForRuns(ids);
    expect(runs.map((r) => `${r.source}/${r.entity}:${r.status}`).sort()).toEqual(
      [
        'stripe/charges',
        'stripe/refunds',
        'stripe/events',
        'hubspot/deals',
        'hubspot/contacts',
        ...CALENDARS.map((c) => `gcal/calendar:${c}`),
      ]
        .map((x) => `${x}:succeeded`)
        .sort(),
    );
    for (const r of runs)
      expect(r, `${r.source}/${r.entity}`).toMatchObject({ mode: 'full', fullBackfillTriggered: true, error: null });
    expect(runs.find((r) => r.entity === 'charges').counts.recordsUpserted).toBe(stripeData.charges.length);
    expect(runs.find((r) => r.entity === 'refunds').counts.recordsUpserted).toBe(stripeData.refunds.length);
    expect(runs.find((r) => r.entity === 'deals').counts.recordsUpserted).toBe(hubspotData.deals.length);
    expect(runs.find((r) => r.entity === 'contacts').counts.recordsUpserted).toBe(hubspotData.contacts.length);
    for (const c of CALENDARS)
      expect(runs.find((r) => r.entity === `calendar:${c}`).counts.recordsUpserted).toBe(calendar(c).events.size);
    await waitForOutbox();

    // /readyz: every vendor's last sync is one of these runs.
    const ready = await request(t.url).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ok', syncStatus: 'healthy' });
    for (const source of ['stripe', 'hubspot', 'gcal']) {
      const check = ready.body.checks[source];
      expect(check, source).toMatchObject({ ok: true, lastStatus: 'succeeded' });
      const at = Date.parse(check.lastSync);
      expect(at, source).toBeGreaterThanOrEqual(t0 - 1000);
      expect(at, source).toBeLessThanOrEqual(Date.now());
      expect(check.lastSync).toBe(
        runs
          .filter((r) => r.source === source)
          .map((r) => r.finishedAt)
          .sort()
          .at(-1),
      );
    }
  });

  it('only the won deals whose amount is unusable are dead; everything else is done or ignored', async () => {
    const { unusableWon } = hubspotLedger(new Ledger(), hubspotData.deals);
    expect(unusableWon.length).toBeGreaterThan(0);
    const dead = await t.db.query<{ kind: string; payload: { id: string }; failure_class: string }>(
      `SELECT kind, payload, failure_class FROM ingest_outbox WHERE status = 'dead'`,
    );
    expect(dead.map((d) => `${d.kind}:${d.payload.id}:${d.failure_class}`).sort()).toEqual(
      unusableWon.map((id) => `hubspot.deal:${id}:invalid_payload`).sort(),
    );
  });

  it('revenue per source and for all sources equals the ledger computed from the datasets, every day included', async () => {
    const want = new Ledger();
    stripeLedger(want, stripeData);
    hubspotLedger(want, hubspotData.deals);
    for (const c of CURRENCIES) {
      expect(want.figures('stripe', c).count, `stripe ${c}`).toBeGreaterThan(0);
      expect(want.figures('hubspot', c).count, `hubspot ${c}`).toBeGreaterThan(0);
    }
    expect(want.figures('stripe', 'USD').refundCount).toBeGreaterThan(0);
    before = await expectRevenue(want);
  });

  it('contacts hold every HubSpot contact with its fields', async () => {
    const rows = await t.db.query<Record<string, string | null>>(
      `SELECT external_id, email, phone, first_name, last_name, lifecycle_stage, deleted_at FROM contacts WHERE source = 'hubspot' ORDER BY external_id`,
    );
    expect(rows).toHaveLength(hubspotData.contacts.length);
    const want = hubspotData.contacts
      .map((c) => ({
        external_id: c.id,
        email: c.properties.email,
        phone: c.properties.phone,
        first_name: c.properties.firstname,
        last_name: c.properties.lastname,
        lifecycle_stage: c.properties.lifecyclestage,
        deleted_at: null,
      }))
      .sort((a, b) => a.external_id.localeCompare(b.external_id));
    expect(rows).toEqual(want);
    const sample = hubspotData.contacts.find((c) => c.properties.phone)!;
    expect(rows.find((r) => r.external_id === sample.id)).toEqual({
      external_id: sample.id,
      email: sample.properties.email,
      phone: sample.properties.phone,
      first_name: sample.properties.firstname,
      last_name: sample.properties.lastname,
      lifecycle_stage: sample.properties.lifecyclestage,
      deleted_at: null,
    });
  });

  it('events hold every event of each calendar, as Google listed it', async () => {
    const counts = await t.db.query<{ calendar_id: string; n: string }>(
      `SELECT calendar_id, count(*) AS n FROM events GROUP BY calendar_id ORDER BY calendar_id`,
    );
    expect(counts).toEqual(
      CALENDARS.map((c) => ({ calendar_id: c, n: String(calendar(c).events.size) })).sort((a, b) =>
        a.calendar_id.localeCompare(b.calendar_id),
      ),
    );
    for (const c of CALENDARS) {
      expect(await storedRows(t, c)).toEqual(expectedRows(gcal, c, new Set()));
      seenLive.set(c, new Set());
      lastLive.set(c, new Map());
      for (const { event } of calendar(c).events.values()) {
        if (event.status === 'cancelled') continue;
        seenLive.get(c)!.add(event.id);
        lastLive.get(c)!.set(event.id, structuredClone(event));
      }
    }
  });

  it('GET /runs lists every run, all succeeded', async () => {
    const res = await get('/runs?limit=100');
    expect(res.status).toBe(200);
    expect(res.body.nextBefore).toBeNull();
    expect(res.body.runs.map((r: any) => r.runId).sort()).toEqual([...allRunIds].sort());
    expect(res.body.runs.every((r: any) => r.status === 'succeeded')).toBe(true);
  });

  it('after changes in every vendor, incremental syncs move the figures by exactly those changes', async () => {
    // Stripe: a new EUR charge, and a late partial refund of the OLDEST untouched USD charge.
    stripeLive = true;
    const refundedIds = new Set(stripeData.refunds.map((r) => r.charge));
    const old = stripeData.charges.find(
      (c) =>
        c.currency === 'usd' &&
        c.status === 'succeeded' &&
        c.captured &&
        c.amount_refunded === 0 &&
        !c.disputed &&
        !refundedIds.has(c.id),
    )!;
    expect(old.created).toBeLessThan(STRIPE_END - 30 * 86_400); // older than the Events feed keeps
    const charge: StripeCharge = stripe.state.createCharge({
      amount: 12_345,
      currency: 'eur',
      customer: 'cus_all_vendors',
      description: 'after the first sync',
    });
    const refund = stripe.state.refundCharge(old.id, { amount: Math.min(700, old.amount_captured) });

    // HubSpot: an old open deal in USD with a plain amount is won now.
    const deal = [...hubspot.state.objects.deals.values()]
      .filter(
        (d) =>
          !d.archived &&
          (OPEN_STAGES as readonly string[]).includes(d.properties.dealstage!) &&
          d.properties.deal_currency_code === 'USD' &&
          /^\d+\.\d\d$/.test(d.properties.amount ?? ''),
      )
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0];
    hubspot.update('deals', deal.id, { dealstage: 'closedwon' });
    const dealCents = BigInt(deal.properties.amount!.replace('.', ''));
    const dealDay = deal.properties.closedate!.slice(0, 10);

    // Google Calendar: a live single event is cancelled.
    const cal = CALENDARS[0];
    const victim = [...calendar(cal).events.values()]
      .map((s) => s.event)
      .find((e) => e.status !== 'cancelled' && !e.recurrence && !e.recurringEventId)!;
    gcal.mutate.cancel(cal, victim.id);

    const ids = [
      ...(await trigger('stripe', 'incremental')),
      ...(await trigger('hubspot', 'incremental')),
      ...(await trigger('gcal', 'incremental')),
    ];
    const runs = await waitForRuns(ids);
    for (const r of runs)
      expect(r, `${r.source}/${r.entity}`).toMatchObject({
        status: 'succeeded',
        mode: 'incremental',
        fullBackfillTriggered: false,
        staleCursorDetected: false,
      });
    expect(runs.find((r) => r.entity === 'charges').counts.recordsUpserted).toBe(1);
    expect(runs.find((r) => r.entity === 'refunds').counts.recordsUpserted).toBe(1);
    expect(runs.find((r) => r.entity === 'deals').counts.recordsUpserted).toBe(1);
    expect(runs.find((r) => r.entity === 'contacts').counts.recordsUpserted).toBe(0);
    expect(runs.find((r) => r.entity === `calendar:${cal}`).counts.recordsUpserted).toBe(1);
    await waitForOutbox();

    // The whole ledger again, from the simulators' current state.
    const want = new Ledger();
    stripeLedger(want, stripe.state.snapshot());
    hubspotLedger(want, hubspot.state.objects.deals.values());
    const after = await expectRevenue(want);

    // And the moves, measured over HTTP: exactly the three money changes, nothing else.
    const delta = (label: string, field: 'grossCents' | 'refundsCents' | 'totalRevenueCents') =>
      BigInt(after.get(label)[field]) - BigInt(before.get(label)[field]);
    const counts = (label: string) => [
      after.get(label).count - before.get(label).count,
      after.get(label).refundCount - before.get(label).refundCount,
    ];
    expect([delta('stripe EUR', 'grossCents'), delta('stripe EUR', 'refundsCents'), ...counts('stripe EUR')]).toEqual([
      12_345n,
      0n,
      1,
      0,
    ]);
    expect([delta('stripe USD', 'grossCents'), delta('stripe USD', 'refundsCents'), ...counts('stripe USD')]).toEqual([
      0n,
      BigInt(refund.amount),
      0,
      1,
    ]);
    expect([
      delta('hubspot USD', 'grossCents'),
      delta('hubspot USD', 'refundsCents'),
      ...counts('hubspot USD'),
    ]).toEqual([dealCents, 0n, 1, 0]);
    expect([delta('hubspot EUR', 'grossCents'), ...counts('hubspot EUR')]).toEqual([0n, 0, 0]);
    expect(delta('all USD', 'totalRevenueCents')).toBe(dealCents - BigInt(refund.amount));
    expect(delta('all EUR', 'totalRevenueCents')).toBe(12_345n);

    // On the right days: the charge and refund today (Stripe's clock), the deal on its close date.
    const bucket = (label: string, day: string) =>
      after.get(`${label} daily`).breakdown.find((b: any) => b.date === day);
    const bucketBefore = (label: string, day: string) =>
      before.get(`${label} daily`).breakdown.find((b: any) => b.date === day);
    expect(
      BigInt(bucket('stripe EUR', dayOfUnix(charge.created)).grossCents) -
        BigInt(bucketBefore('stripe EUR', dayOfUnix(charge.created)).grossCents),
    ).toBe(12_345n);
    expect(
      BigInt(bucket('stripe USD', dayOfUnix(refund.created)).refundsCents) -
        BigInt(bucketBefore('stripe USD', dayOfUnix(refund.created)).refundsCents),
    ).toBe(BigInt(refund.amount));
    expect(
      BigInt(bucket('hubspot USD', dealDay).grossCents) - BigInt(bucketBefore('hubspot USD', dealDay).grossCents),
    ).toBe(dealCents);
    expect(dayOfUnix(refund.created)).not.toBe(dayOfUnix(old.created));

    // The refunded old charge still counts its full gross on its own day; the refund is its own row.
    const [row] = await t.db.query<{ amount_cents: string; effect: string; parent_external_id: string | null }>(
      `SELECT amount_cents, effect, parent_external_id FROM payments WHERE source = 'stripe' AND external_id = $1`,
      [refund.id],
    );
    expect(row).toEqual({ amount_cents: String(refund.amount), effect: 'refund', parent_external_id: old.id });

    // The cancelled event keeps what it was; the calendar has no new rows.
    const events = await storedRows(t, cal);
    expect(events).toHaveLength(calendar(cal).events.size);
    const gone = events.find((e) => e.event_id === victim.id)!;
    expect(gone).toMatchObject({ status: 'cancelled', summary: victim.summary });
    expect(gone.start_at ?? gone.start_date).not.toBeNull();
    expect(events).toEqual(expectedRows(gcal, cal, seenLive.get(cal)!, lastLive.get(cal)));
    expect(await storedRows(t, CALENDARS[1])).toEqual(
      expectedRows(gcal, CALENDARS[1], seenLive.get(CALENDARS[1])!, lastLive.get(CALENDARS[1])),
    );

    const listed = await get('/runs?limit=100');
    expect(listed.body.runs.map((r: any) => r.runId).sort()).toEqual([...allRunIds].sort());
    expect(listed.body.runs.every((r: any) => r.status === 'succeeded')).toBe(true);
  });
});
