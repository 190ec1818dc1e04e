import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/common/app.errors.js';
import type { Database, Sql } from '../../src/database/database.sql.js';
import { LedgerFiguresRepository, type LocalDayWindow } from '../../src/records/ledger-figures.repository.js';
import { RevenueService } from '../../src/revenue/revenue.service.js';
import type { RevenueQuery } from '../../src/revenue/revenue.query.js';
import { dailyJson, summaryJson, weeklyJson } from '../../src/revenue/revenue.view.js';
import { openTestDb } from '../support/db.js';
import { charge, notCounted, refund, seedLedger, wonDeal } from '../support/revenue-ledger.js';

/**
 * What counts, per currency and source, on a real Postgres: gross, refunds, net, counts; rows
 * that must never count; the no-dates range; the v1 endpoints; unmapped statuses; and the
 * one-snapshot guarantee under a concurrent write.
 */
let t: Awaited<ReturnType<typeof openTestDb>>;
let service: RevenueService;

const q = (over: Partial<RevenueQuery> = {}): RevenueQuery => ({
  startDate: '2026-06-01',
  endDate: '2026-06-30',
  source: null,
  currency: 'USD',
  tz: 'UTC',
  ...over,
});

beforeAll(async () => {
  t = await openTestDb();
  service = new RevenueService(t.db, new LedgerFiguresRepository());
  await seedLedger(t.db, [
    // Stripe USD: three charges, one refund posted later than its charge.
    charge({ at: '2026-06-15T10:00:00Z', cents: 54_900 }),
    charge({ at: '2026-06-15T23:59:59.999Z', cents: 100 }),
    charge({ at: '2026-06-17T08:00:00Z', cents: 18_000 }),
    refund({ at: '2026-06-18T09:00:00Z', cents: 9_000 }),
    // HubSpot USD: a won deal.
    wonDeal({ at: '2026-06-16T12:00:00Z', cents: 9_900 }),
    // EUR: counted, but in its own currency only.
    charge({ at: '2026-06-15T11:00:00Z', cents: 70_000, currency: 'EUR' }),
    refund({ at: '2026-06-20T11:00:00Z', cents: 5_000, currency: 'EUR' }),
    // GBP outside June only.
    charge({ at: '2026-01-10T11:00:00Z', cents: 1_234, currency: 'GBP' }),
    // Never counted: mapper said effect none (failed, uncaptured, unknown status, open deal).
    notCounted({ at: '2026-06-15T12:00:00Z', cents: 1_000_000, status: 'FAILED', rawStatus: 'failed' }),
    notCounted({ at: '2026-06-15T12:00:00Z', cents: 2_000_000, status: 'UNCAPTURED', rawStatus: 'succeeded' }),
    notCounted({
      at: '2026-06-16T12:00:00Z',
      cents: 3_000_000,
      status: 'UNKNOWN',
      rawStatus: 'requires_action',
      externalId: 'ch_unknown_1',
    }),
    notCounted({
      at: '2026-06-16T13:00:00Z',
      cents: 3_000_000,
      status: 'UNKNOWN',
      rawStatus: 'requires_action',
      externalId: 'ch_unknown_0',
    }),
    notCounted({
      at: '2026-06-16T12:00:00Z',
      cents: 4_000_000,
      status: 'UNKNOWN',
      rawStatus: 'negotiation',
      source: 'hubspot',
      kind: 'deal',
      externalId: '777',
    }),
    // Deleted (archived deal): would count, but is gone.
    wonDeal({ at: '2026-06-17T12:00:00Z', cents: 5_000_000, deletedAt: new Date('2026-06-19T00:00:00Z') }),
    // Just outside the range on both sides.
    charge({ at: '2026-05-31T23:59:59.999Z', cents: 7 }),
    charge({ at: '2026-07-01T00:00:00Z', cents: 11 }),
  ]);
});
afterAll(async () => t?.close());

describe('revenue figures', () => {
  it('sums gross, refunds and net per currency, with counts', async () => {
    const s = summaryJson(await service.report(q()));
    expect(s).toEqual({
      totalRevenueCents: String(54_900 + 100 + 18_000 + 9_900 - 9_000),
      grossCents: String(54_900 + 100 + 18_000 + 9_900),
      refundsCents: '9000',
      currency: 'USD',
      count: 4,
      refundCount: 1,
      startDate: '2026-06-01',
      endDate: '2026-06-30',
      source: null,
      tz: 'UTC',
      currencies: ['EUR', 'USD'],
    });
    const eur = summaryJson(await service.report(q({ currency: 'EUR' })));
    expect([eur.grossCents, eur.refundsCents, eur.totalRevenueCents, eur.count, eur.refundCount]).toEqual([
      '70000',
      '5000',
      '65000',
      1,
      1,
    ]);
  });

  it('filters by source, and the all-sources figure is the plain sum', async () => {
    const all = summaryJson(await service.report(q()));
    const stripe = summaryJson(await service.report(q({ source: 'stripe' })));
    const hubspot = summaryJson(await service.report(q({ source: 'hubspot' })));
    expect(stripe).toMatchObject({
      grossCents: '73000',
      refundsCents: '9000',
      count: 3,
      refundCount: 1,
      source: 'stripe',
    });
    expect(hubspot).toMatchObject({
      grossCents: '9900',
      refundsCents: '0',
      count: 1,
      refundCount: 0,
      source: 'hubspot',
      currencies: ['USD'],
    });
    expect(BigInt(all.totalRevenueCents)).toBe(BigInt(stripe.totalRevenueCents) + BigInt(hubspot.totalRevenueCents));
    expect(all.count).toBe(stripe.count + hubspot.count);
  });

  it('never counts effect none (failed, uncaptured, UNKNOWN) or deleted rows', async () => {
    const daily = dailyJson(await service.report(q({ startDate: '2026-06-15', endDate: '2026-06-17' })));
    expect(daily.breakdown).toEqual([
      { date: '2026-06-15', amountCents: '55000', grossCents: '55000', refundsCents: '0', count: 2, refundCount: 0 },
      { date: '2026-06-16', amountCents: '9900', grossCents: '9900', refundsCents: '0', count: 1, refundCount: 0 },
      { date: '2026-06-17', amountCents: '18000', grossCents: '18000', refundsCents: '0', count: 1, refundCount: 0 },
    ]);
  });

  it('endDate is a whole inclusive day; the next day starts at midnight', async () => {
    const d15 = summaryJson(
      await service.report(q({ startDate: '2026-06-15', endDate: '2026-06-15', source: 'stripe' })),
    );
    expect(d15.grossCents).toBe('55000'); // includes 23:59:59.999
    const may = summaryJson(await service.report(q({ startDate: '2026-05-31', endDate: '2026-05-31' })));
    expect(may.grossCents).toBe('7');
    const july = summaryJson(await service.report(q({ startDate: '2026-07-01', endDate: '2026-07-01' })));
    expect(july.grossCents).toBe('11');
  });

  it('daily is dense and zero-filled; weekly has Monday starts; both add up to the summary', async () => {
    const r = await service.report(q());
    const daily = dailyJson(r);
    const weekly = weeklyJson(r);
    expect(daily.breakdown).toHaveLength(30);
    expect(daily.breakdown[0]).toEqual({
      date: '2026-06-01',
      amountCents: '0',
      grossCents: '0',
      refundsCents: '0',
      count: 0,
      refundCount: 0,
    });
    expect(weekly.breakdown.map((w) => w.weekStartDate)).toEqual([
      '2026-06-01',
      '2026-06-08',
      '2026-06-15',
      '2026-06-22',
      '2026-06-29',
    ]);
    const sum = (xs: Array<{ amountCents: string }>) => xs.reduce((a, x) => a + BigInt(x.amountCents), 0n);
    expect(sum(daily.breakdown)).toBe(BigInt(daily.totalRevenueCents));
    expect(sum(weekly.breakdown)).toBe(BigInt(weekly.totalRevenueCents));
    expect(weekly.breakdown[2]).toEqual({
      weekStartDate: '2026-06-15',
      amountCents: '73900',
      grossCents: '82900',
      refundsCents: '9000',
      count: 4,
      refundCount: 1,
    });
  });

  it('weeks clip to the range: weekStartDate stays the Monday, only in-range days count', async () => {
    // 2026-06-17 is a Wednesday: the 15th (Monday) and 16th are outside the range.
    const w = weeklyJson(await service.report(q({ startDate: '2026-06-17', endDate: '2026-06-18' })));
    expect(w.breakdown).toEqual([
      {
        weekStartDate: '2026-06-15',
        amountCents: '9000',
        grossCents: '18000',
        refundsCents: '9000',
        count: 1,
        refundCount: 1,
      },
    ]);
  });

  it('without dates runs from the first to the last day with data for that currency and source', async () => {
    const usd = dailyJson(await service.report(q({ startDate: null, endDate: null })));
    expect([usd.startDate, usd.endDate]).toEqual(['2026-05-31', '2026-07-01']);
    expect(usd.breakdown).toHaveLength(32);
    expect(usd.currencies).toEqual(['EUR', 'GBP', 'USD']);
    const hub = dailyJson(await service.report(q({ startDate: null, endDate: null, source: 'hubspot' })));
    expect([hub.startDate, hub.endDate, hub.breakdown.length]).toEqual(['2026-06-16', '2026-06-16', 1]);
    const open = summaryJson(await service.report(q({ startDate: '2026-06-18', endDate: null })));
    expect([open.startDate, open.endDate, open.refundsCents, open.grossCents]).toEqual([
      '2026-06-18',
      '2026-07-01',
      '9000',
      '11',
    ]);
  });

  it('with no data at all: zero totals, empty breakdown, null dates', async () => {
    const r = await service.report(q({ startDate: null, endDate: null, currency: 'JPY' }));
    expect(weeklyJson(r)).toEqual({
      totalRevenueCents: '0',
      grossCents: '0',
      refundsCents: '0',
      currency: 'JPY',
      count: 0,
      refundCount: 0,
      startDate: null,
      endDate: null,
      source: null,
      tz: 'UTC',
      currencies: ['EUR', 'GBP', 'USD'],
      breakdown: [],
    });
    const after = summaryJson(await service.report(q({ startDate: '2027-01-01', endDate: null })));
    expect([after.startDate, after.endDate, after.grossCents]).toEqual(['2027-01-01', null, '0']);
  });

  it('lists the currencies present within the requested dates', async () => {
    expect((await service.report(q({ startDate: '2026-01-01', endDate: '2026-01-31' }))).currencies).toEqual(['GBP']);
    expect((await service.report(q({ startDate: '2026-06-19', endDate: '2026-06-30' }))).currencies).toEqual(['EUR']);
    expect((await service.report(q({ startDate: '2026-02-01', endDate: '2026-02-28' }))).currencies).toEqual([]);
  });

  it('refuses a no-dates range over 3,700 days', async () => {
    await seedLedger(t.db, [
      charge({ at: '2001-01-01T00:00:00Z', cents: 1, currency: 'CHF' }),
      charge({ at: '2026-01-01T00:00:00Z', cents: 1, currency: 'CHF' }),
    ]);
    const err = await service.report(q({ startDate: null, endDate: null, currency: 'CHF' })).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect([err.status, err.code]).toEqual([400, 'date_range_too_large']);
    const ok = summaryJson(await service.report(q({ startDate: '2025-06-01', endDate: null, currency: 'CHF' })));
    expect([ok.startDate, ok.endDate, ok.grossCents]).toEqual(['2025-06-01', '2026-01-01', '1']);
  });
});

describe('v1 endpoints (same ledger, same definition)', () => {
  it('GET /metrics/revenue: net collected over the half-open [from, to)', async () => {
    const r = await service.collected({
      from: new Date('2026-06-15T10:00:00Z'),
      to: new Date('2026-06-18T09:00:00Z'),
      source: null,
      currency: 'USD',
      tz: 'UTC',
    });
    // 10:00 on the 15th is in, the refund at exactly `to` is out.
    expect(r).toEqual({
      totalCollectedCents: '82900',
      txnCount: 4,
      from: '2026-06-15T10:00:00.000Z',
      to: '2026-06-18T09:00:00.000Z',
      source: null,
      currency: 'USD',
    });
    const withRefund = await service.collected({
      from: new Date('2026-06-01T00:00:00Z'),
      to: new Date('2026-07-01T00:00:00Z'),
      source: 'stripe',
      currency: 'USD',
      tz: 'UTC',
    });
    expect(withRefund.totalCollectedCents).toBe('64000');
  });

  it('breakdown: dense buckets per day, Monday week and month that add up', async () => {
    const base = {
      from: new Date('2026-06-14T12:00:00Z'),
      to: new Date('2026-06-18T00:00:00Z'),
      source: null,
      currency: 'USD',
      tz: 'UTC',
    } as const;
    const day = await service.breakdown({ ...base, granularity: 'day' });
    expect(day.buckets).toEqual([
      { bucketStart: '2026-06-14T00:00:00.000Z', collectedCents: '0', txnCount: 0 },
      { bucketStart: '2026-06-15T00:00:00.000Z', collectedCents: '55000', txnCount: 2 },
      { bucketStart: '2026-06-16T00:00:00.000Z', collectedCents: '9900', txnCount: 1 },
      { bucketStart: '2026-06-17T00:00:00.000Z', collectedCents: '18000', txnCount: 1 },
    ]);
    expect([day.totalCollectedCents, day.totalTxnCount]).toEqual(['82900', 4]);
    const week = await service.breakdown({ ...base, granularity: 'week' });
    expect(week.buckets).toEqual([
      { bucketStart: '2026-06-08T00:00:00.000Z', collectedCents: '0', txnCount: 0 },
      { bucketStart: '2026-06-15T00:00:00.000Z', collectedCents: '82900', txnCount: 4 },
    ]);
    const month = await service.breakdown({
      ...base,
      from: new Date('2026-05-20T00:00:00Z'),
      to: new Date('2026-07-02T00:00:00Z'),
      granularity: 'month',
      tz: 'America/New_York',
    });
    // 2026-07-01T00:00Z is June 30 evening in New York; 2026-05-31T23:59Z is May.
    expect(month.buckets).toEqual([
      { bucketStart: '2026-05-01T04:00:00.000Z', collectedCents: '7', txnCount: 1 },
      { bucketStart: '2026-06-01T04:00:00.000Z', collectedCents: '73911', txnCount: 5 },
      { bucketStart: '2026-07-01T04:00:00.000Z', collectedCents: '0', txnCount: 0 },
    ]);
  });
});

describe('unmapped statuses', () => {
  it('groups UNKNOWN raw statuses by source with counts and a sample, most frequent first', async () => {
    expect(await service.unmappedStatuses(50)).toEqual({
      count: 2,
      statuses: [
        { source: 'stripe', rawStatus: 'requires_action', count: 2, sample: 'ch_unknown_0' },
        { source: 'hubspot', rawStatus: 'negotiation', count: 1, sample: '777' },
      ],
    });
    expect(await service.unmappedStatuses(1)).toEqual({
      count: 2,
      statuses: [{ source: 'stripe', rawStatus: 'requires_action', count: 2, sample: 'ch_unknown_0' }],
    });
  });
});

describe('one snapshot per request', () => {
  /** Commits a new charge on another connection between the bucket query and the total query. */
  class WriteBetweenQueries extends LedgerFiguresRepository {
    constructor(private readonly outside: Database) {
      super();
    }
    override async dailyFigures(sql: Sql, w: LocalDayWindow & { firstDay: string; lastDay: string }) {
      const rows = await super.dailyFigures(sql, w);
      await seedLedger(this.outside, [
        charge({ at: new Date(Date.parse(w.from) + 12 * 3_600_000), cents: 1_000, currency: w.currency }),
      ]);
      return rows;
    }
  }

  it('a write committed mid-request is invisible to both queries, so the figures still agree', async () => {
    const svc = new RevenueService(t.db, new WriteBetweenQueries(t.db));
    const r = await svc.report(q({ startDate: '2026-03-02', endDate: '2026-03-02', currency: 'SEK' }));
    expect(summaryJson(r).grossCents).toBe('0');
    expect(
      summaryJson(await service.report(q({ startDate: '2026-03-02', endDate: '2026-03-02', currency: 'SEK' })))
        .grossCents,
    ).toBe('1000');
  });

  it('a bound that lets in a row of the next day is caught as metric_drift, never returned', async () => {
    class LateBound extends LedgerFiguresRepository {
      override async localMidnights(sql: Sql, tz: string, days: readonly string[]) {
        return (await super.localMidnights(sql, tz, days)).map((at) =>
          new Date(Date.parse(at) + 3_600_000).toISOString(),
        );
      }
    }
    await seedLedger(t.db, [
      charge({ at: '2026-06-15T12:00:00Z', cents: 5, currency: 'CZK' }),
      charge({ at: '2026-06-16T00:30:00Z', cents: 7, currency: 'CZK' }),
    ]);
    const exact = summaryJson(
      await service.report(q({ startDate: '2026-06-15', endDate: '2026-06-15', currency: 'CZK' })),
    );
    expect(exact.grossCents).toBe('5');
    const err = await new RevenueService(t.db, new LateBound())
      .report(q({ startDate: '2026-06-15', endDate: '2026-06-15', currency: 'CZK' }))
      .catch((e) => e);
    expect([err.status, err.code]).toEqual([500, 'metric_drift']);
  });

  it('without the snapshot the same race is caught as metric_drift, never returned', async () => {
    // A Database whose transactions are READ COMMITTED: each statement sees new commits.
    const weak = {
      tx: (fn: (sql: Sql) => Promise<unknown>) => t.db.tx(fn, { isolation: 'read committed' }),
      query: t.db.query.bind(t.db),
    } as unknown as Database;
    const svc = new RevenueService(weak, new WriteBetweenQueries(t.db));
    const err = await svc
      .report(q({ startDate: '2026-03-03', endDate: '2026-03-03', currency: 'NOK' }))
      .catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect([err.status, err.code]).toEqual([500, 'metric_drift']);
  });
});
