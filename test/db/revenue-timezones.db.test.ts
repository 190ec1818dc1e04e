import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentRecord } from '../../src/records/record.types.js';
import { LedgerFiguresRepository } from '../../src/records/ledger-figures.repository.js';
import { RevenueService } from '../../src/revenue/revenue.service.js';
import type { RevenueQuery } from '../../src/revenue/revenue.query.js';
import { dailyJson, summaryJson, weeklyJson, type DailyJson } from '../../src/revenue/revenue.view.js';
import { openTestDb } from '../support/db.js';
import { charge, notCounted, refund, seedLedger, wonDeal } from '../support/revenue-ledger.js';

/**
 * Days and Monday weeks cut in the requested zone. Each fixed case uses its own currency so the
 * cases share one database without seeing each other's rows.
 */
let t: Awaited<ReturnType<typeof openTestDb>>;
let service: RevenueService;

const q = (over: Partial<RevenueQuery>): RevenueQuery => ({
  startDate: null,
  endDate: null,
  source: null,
  currency: 'USD',
  tz: 'UTC',
  ...over,
});
const days = (r: DailyJson) =>
  Object.fromEntries(r.breakdown.filter((b) => b.count || b.refundCount).map((b) => [b.date, b.amountCents]));

beforeAll(async () => {
  t = await openTestDb();
  service = new RevenueService(t.db, new LedgerFiguresRepository());
});
afterAll(async () => t?.close());

describe('fixed zone cuts', () => {
  it('2026-03-08T06:30Z is the 8th in UTC but the 7th in Los Angeles', async () => {
    await seedLedger(t.db, [charge({ at: '2026-03-08T06:30:00Z', cents: 500, currency: 'AUD' })]);
    const utc = dailyJson(await service.report(q({ currency: 'AUD' })));
    const la = dailyJson(await service.report(q({ currency: 'AUD', tz: 'America/Los_Angeles' })));
    expect([utc.startDate, days(utc)]).toEqual(['2026-03-08', { '2026-03-08': '500' }]);
    expect([la.startDate, la.tz, days(la)]).toEqual(['2026-03-07', 'America/Los_Angeles', { '2026-03-07': '500' }]);
  });

  it('New York spring-forward day has 23 hours and fall-back day 25, both cut at local midnight', async () => {
    await seedLedger(t.db, [
      charge({ at: '2026-03-08T04:59:59.999Z', cents: 1, currency: 'CAD' }), // Mar 7 23:59:59.999 EST
      charge({ at: '2026-03-08T05:00:00Z', cents: 2, currency: 'CAD' }), // Mar 8 00:00 EST
      charge({ at: '2026-03-09T03:59:59.999Z', cents: 4, currency: 'CAD' }), // Mar 8 23:59:59.999 EDT (23 h later)
      charge({ at: '2026-03-09T04:00:00Z', cents: 8, currency: 'CAD' }), // Mar 9 00:00 EDT
      charge({ at: '2026-11-01T03:59:59.999Z', cents: 16, currency: 'CAD' }), // Oct 31 23:59:59.999 EDT
      charge({ at: '2026-11-01T04:00:00Z', cents: 32, currency: 'CAD' }), // Nov 1 00:00 EDT
      charge({ at: '2026-11-01T06:30:00Z', cents: 64, currency: 'CAD' }), // Nov 1 01:30 EST, the repeated hour
      charge({ at: '2026-11-02T04:59:59.999Z', cents: 128, currency: 'CAD' }), // Nov 1 23:59:59.999 EST (25 h later)
      charge({ at: '2026-11-02T05:00:00Z', cents: 256, currency: 'CAD' }), // Nov 2 00:00 EST
    ]);
    const ny = dailyJson(
      await service.report(
        q({ currency: 'CAD', tz: 'America/New_York', startDate: '2026-03-07', endDate: '2026-11-02' }),
      ),
    );
    expect(days(ny)).toEqual({
      '2026-03-07': '1',
      '2026-03-08': '6',
      '2026-03-09': '8',
      '2026-10-31': '16',
      '2026-11-01': '224',
      '2026-11-02': '256',
    });
    const one = summaryJson(
      await service.report(
        q({ currency: 'CAD', tz: 'America/New_York', startDate: '2026-11-01', endDate: '2026-11-01' }),
      ),
    );
    expect([one.grossCents, one.count]).toEqual(['224', 3]);
  });

  it('Kathmandu (+05:45), Chatham (+12:45 in June) and Kiritimati (+14) cut at their own midnights', async () => {
    await seedLedger(t.db, [
      charge({ at: '2026-06-14T18:14:59.999Z', cents: 1, currency: 'NZD' }),
      charge({ at: '2026-06-14T18:15:00Z', cents: 2, currency: 'NZD' }),
      charge({ at: '2026-06-14T11:14:59.999Z', cents: 4, currency: 'NZD' }),
      charge({ at: '2026-06-14T11:15:00Z', cents: 8, currency: 'NZD' }),
      charge({ at: '2026-06-14T09:59:59.999Z', cents: 16, currency: 'NZD' }),
      charge({ at: '2026-06-14T10:00:00Z', cents: 32, currency: 'NZD' }),
    ]);
    const on15th = async (tz: string) =>
      (await service.report(q({ currency: 'NZD', tz, startDate: '2026-06-15', endDate: '2026-06-15' }))).totals
        .grossCents;
    // Local midnight starting the 15th: Kathmandu 18:15Z, Chatham 11:15Z, Kiritimati 10:00Z (all on the 14th).
    expect(await on15th('Asia/Kathmandu')).toBe(2n);
    expect(await on15th('Pacific/Chatham')).toBe(8n + 1n + 2n);
    expect(await on15th('Pacific/Kiritimati')).toBe(32n + 4n + 8n + 1n + 2n);
    expect(await on15th('UTC')).toBe(0n);
  });

  it('America/Havana 2026-11-01: midnight happens twice; the first hour still belongs to Nov 1, with no drift', async () => {
    // DST ends at 01:00 CDT → 00:00 CST: local 00:00–00:59 exists at 04:00Z–05:00Z and again at 05:00Z–06:00Z.
    await seedLedger(t.db, [
      charge({ at: '2026-11-01T03:59:59.999Z', cents: 1, currency: 'MXN' }),
      charge({ at: '2026-11-01T04:30:00Z', cents: 2, currency: 'MXN' }),
      charge({ at: '2026-11-01T05:30:00Z', cents: 4, currency: 'MXN' }),
    ]);
    const nov1 = dailyJson(
      await service.report(
        q({ currency: 'MXN', tz: 'America/Havana', startDate: '2026-11-01', endDate: '2026-11-01' }),
      ),
    );
    expect(nov1.grossCents).toBe('6');
    const oct31 = dailyJson(
      await service.report(
        q({ currency: 'MXN', tz: 'America/Havana', startDate: '2026-10-31', endDate: '2026-10-31' }),
      ),
    );
    expect(oct31.grossCents).toBe('1');
    const both = weeklyJson(await service.report(q({ currency: 'MXN', tz: 'America/Havana' })));
    expect([both.startDate, both.endDate, both.grossCents]).toEqual(['2026-10-31', '2026-11-01', '7']);
  });

  it('weeks start on Monday in the zone: Monday 02:00Z is still Sunday in New York', async () => {
    await seedLedger(t.db, [charge({ at: '2026-06-15T02:00:00Z', cents: 900, currency: 'SGD' })]);
    const range = { currency: 'SGD', startDate: '2026-06-08', endDate: '2026-06-21' };
    const utc = weeklyJson(await service.report(q(range)));
    const ny = weeklyJson(await service.report(q({ ...range, tz: 'America/New_York' })));
    expect(utc.breakdown.map((w) => [w.weekStartDate, w.amountCents])).toEqual([
      ['2026-06-08', '0'],
      ['2026-06-15', '900'],
    ]);
    expect(ny.breakdown.map((w) => [w.weekStartDate, w.amountCents])).toEqual([
      ['2026-06-08', '900'],
      ['2026-06-15', '0'],
    ]);
  });
});

/** mulberry32: small, seeded, reproducible. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Local calendar date by Node's ICU, independent of Postgres. */
const formatters = new Map<string, Intl.DateTimeFormat>();
function localDate(at: Date, tz: string): string {
  let f = formatters.get(tz);
  if (!f)
    formatters.set(
      tz,
      (f = new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' })),
    );
  const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}`;
}
const utcDay = (d: string) => new Date(`${d}T00:00:00Z`);
const nextDay = (d: string) => new Date(utcDay(d).getTime() + 86_400_000).toISOString().slice(0, 10);
const mondayOf = (d: string) => {
  const x = utcDay(d);
  return new Date(x.getTime() - ((x.getUTCDay() + 6) % 7) * 86_400_000).toISOString().slice(0, 10);
};

describe('summary == sum(daily) == sum(weekly) == an independent computation, for random ranges and zones', () => {
  const ZONES = [
    'UTC',
    'America/Los_Angeles',
    'America/New_York',
    'America/Havana',
    'Asia/Kathmandu',
    'Pacific/Chatham',
    'Pacific/Kiritimati',
    'Pacific/Pago_Pago',
    'Australia/Lord_Howe',
    'Europe/Berlin',
  ];
  const CURRENCIES = ['EUR', 'USD', 'JPY'];
  const records: PaymentRecord[] = [];
  let ledger: Awaited<ReturnType<typeof openTestDb>>;
  let svc: RevenueService;

  beforeAll(async () => {
    const rnd = prng(20261121);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
    const start = Date.parse('2025-09-01T00:00:00Z');
    for (let i = 0; i < 4000; i++) {
      // Land on quarter hours (every real zone offset is a multiple of 15 min), often exactly on or
      // a millisecond before a local midnight somewhere.
      const quarter = Math.floor(rnd() * 500 * 96);
      const at = new Date(start + quarter * 900_000 - (rnd() < 0.3 ? 1 : 0));
      const huge = rnd() < 0.01;
      const cents = huge ? 4_000_000_000_000_000n + BigInt(i) : BigInt(1 + Math.floor(rnd() * 500_000));
      const o = {
        at,
        cents,
        currency: pick(CURRENCIES),
        deletedAt: rnd() < 0.05 ? new Date(at.getTime() + 1000) : null,
      };
      const roll = rnd();
      if (roll < 0.55) records.push(charge(o));
      else if (roll < 0.7) records.push(wonDeal(o));
      else if (roll < 0.85) records.push(refund(o));
      else
        records.push(notCounted({ ...o, status: pick(['FAILED', 'UNKNOWN', 'UNCAPTURED'] as const), rawStatus: 'x' }));
    }
    // Its own database: the fixed cases above must not leak into the expectation.
    ledger = await openTestDb();
    svc = new RevenueService(ledger.db, new LedgerFiguresRepository());
    await seedLedger(ledger.db, records);
  });
  afterAll(async () => ledger?.close());

  it('agrees for 60 random queries', async () => {
    const rnd = prng(7);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
    for (let i = 0; i < 60; i++) {
      const tz = pick(ZONES);
      const currency = pick(CURRENCIES);
      const source = pick([null, 'stripe', 'hubspot'] as const);
      const noDates = i % 10 === 0;
      const s = new Date(Date.parse('2025-08-25T00:00:00Z') + Math.floor(rnd() * 520) * 86_400_000)
        .toISOString()
        .slice(0, 10);
      const e = new Date(utcDay(s).getTime() + Math.floor(rnd() * 200) * 86_400_000).toISOString().slice(0, 10);
      const query: RevenueQuery = { startDate: noDates ? null : s, endDate: noDates ? null : e, source, currency, tz };

      const counted = records
        .filter(
          (r) =>
            r.currency === currency &&
            r.effect !== 'none' &&
            r.deletedAt === null &&
            (source === null || r.source === source),
        )
        .map((r) => ({ r, day: localDate(r.occurredAt, tz) }));
      const sorted = counted.map((c) => c.day).sort();
      const from = query.startDate ?? sorted[0];
      const to = query.endDate ?? sorted[sorted.length - 1];
      const byDay = new Map<string, { g: bigint; r: bigint; c: number; rc: number }>();
      for (let d = from; d <= to; d = nextDay(d)) byDay.set(d, { g: 0n, r: 0n, c: 0, rc: 0 });
      for (const { r, day } of counted) {
        const b = byDay.get(day);
        if (!b) continue;
        if (r.effect === 'gross') ((b.g += r.amountCents), (b.c += 1));
        else ((b.r += r.amountCents), (b.rc += 1));
      }
      const byWeek = new Map<string, { g: bigint; r: bigint }>();
      for (const [d, b] of byDay) {
        const w = byWeek.get(mondayOf(d)) ?? { g: 0n, r: 0n };
        byWeek.set(mondayOf(d), { g: w.g + b.g, r: w.r + b.r });
      }
      const total = [...byDay.values()].reduce(
        (a, b) => ({ g: a.g + b.g, r: a.r + b.r, c: a.c + b.c, rc: a.rc + b.rc }),
        { g: 0n, r: 0n, c: 0, rc: 0 },
      );

      const report = await svc.report(query);
      const ctx = JSON.stringify(query);
      const summary = summaryJson(report);
      expect(
        [summary.grossCents, summary.refundsCents, summary.totalRevenueCents, summary.count, summary.refundCount],
        ctx,
      ).toEqual([String(total.g), String(total.r), String(total.g - total.r), total.c, total.rc]);
      expect([summary.startDate, summary.endDate], ctx).toEqual([from, to]);
      expect(
        dailyJson(report).breakdown.map((b) => [
          b.date,
          b.grossCents,
          b.refundsCents,
          b.amountCents,
          b.count,
          b.refundCount,
        ]),
        ctx,
      ).toEqual([...byDay].map(([d, b]) => [d, String(b.g), String(b.r), String(b.g - b.r), b.c, b.rc]));
      expect(
        weeklyJson(report).breakdown.map((w) => [w.weekStartDate, w.amountCents]),
        ctx,
      ).toEqual([...byWeek].map(([w, b]) => [w, String(b.g - b.r)]));
    }
  });
});

describe('local midnight: the fast path agrees with the full search', () => {
  // Zones whose clocks change at or near midnight, or by unusual amounts (Lord Howe's 30 minutes,
  // Troll's 2 hours), over every day from 1970 to 2037.
  const zones = [
    'America/Havana',
    'America/Santiago',
    'America/Asuncion',
    'America/Sao_Paulo',
    'America/Scoresbysund',
    'America/Nuuk',
    'Asia/Beirut',
    'Asia/Gaza',
    'Asia/Tehran',
    'Africa/Cairo',
    'Atlantic/Azores',
    'Australia/Lord_Howe',
    'Antarctica/Troll',
    'Europe/Chisinau',
    'Pacific/Apia',
  ];
  it.each(zones)('%s', async (tz) => {
    const days = await t.db.query<{ day: string }>(
      `SELECT to_char(d, 'YYYY-MM-DD') AS day FROM generate_series(date '1970-01-01', date '2037-12-31', interval '1 day') AS d`,
    );
    const fast = await new LedgerFiguresRepository().localMidnights(
      t.db,
      tz,
      days.map((d) => d.day),
    );
    // The definition itself: the earliest of Postgres's midnight and up to two hours before it
    // (15-minute steps) whose local date is already the day.
    const full = await t.db.query<{ at: string }>(
      `SELECT to_char((SELECT min(c) FROM generate_series(0, 8) AS k,
                        LATERAL (SELECT (d.day::timestamp AT TIME ZONE $2) - k * interval '15 minutes') AS x(c)
                       WHERE (c AT TIME ZONE $2)::date >= d.day) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
         FROM unnest($1::date[]) WITH ORDINALITY AS d(day, i) ORDER BY d.i`,
      [days.map((d) => d.day), tz],
    );
    const differ = fast.flatMap((at, i) => (at === full[i].at ? [] : [`${days[i].day}: ${at} vs ${full[i].at}`]));
    expect(differ).toEqual([]);
  });
});
