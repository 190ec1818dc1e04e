import { describe, expect, it } from 'vitest';
import { addDays, daysInclusive, mondayOf } from '../../src/revenue/revenue.calendar.js';
import {
  assertAgree,
  denseByKey,
  denseDays,
  MetricDrift,
  netCents,
  rollupWeeks,
  sumFigures,
  type DayFigures,
} from '../../src/revenue/revenue.buckets.js';

const day = (date: string, gross: bigint, refunds = 0n, count = 1, refundCount = 0): DayFigures => ({
  date,
  grossCents: gross,
  refundsCents: refunds,
  count,
  refundCount,
});

describe('revenue calendar', () => {
  it('adds days across month, leap-day and year boundaries', () => {
    expect(addDays('2026-01-31', 1)).toBe('2026-02-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2027-01-01', -1)).toBe('2026-12-31');
    expect(addDays('9999-12-30', 1)).toBe('9999-12-31');
  });

  it('counts inclusive days', () => {
    expect(daysInclusive('2026-01-01', '2026-01-01')).toBe(1);
    expect(daysInclusive('2026-01-01', '2026-12-31')).toBe(365);
    expect(daysInclusive('2028-01-01', '2028-12-31')).toBe(366);
  });

  it('finds the Monday on or before a date, across year boundaries', () => {
    expect(mondayOf('2026-06-15')).toBe('2026-06-15'); // a Monday
    expect(mondayOf('2026-06-21')).toBe('2026-06-15'); // Sunday belongs to the week before
    expect(mondayOf('2026-01-01')).toBe('2025-12-29'); // Thursday; week starts in 2025
    expect(mondayOf('2027-01-03')).toBe('2026-12-28'); // Sunday
    expect(mondayOf('2027-01-04')).toBe('2027-01-04'); // Monday
    expect(mondayOf('1970-01-01')).toBe('1969-12-29'); // day number 0, negative Monday
    expect(mondayOf('2024-03-01')).toBe('2024-02-26'); // across a leap day
  });

  it('every mondayOf result is a Monday within the previous 6 days', () => {
    for (let i = 0; i < 800; i++) {
      const d = addDays('2025-01-01', i);
      const m = mondayOf(d);
      expect(new Date(`${m}T00:00:00Z`).getUTCDay()).toBe(1);
      expect(daysInclusive(m, d)).toBeGreaterThanOrEqual(1);
      expect(daysInclusive(m, d)).toBeLessThanOrEqual(7);
    }
  });
});

describe('dense day buckets', () => {
  it('zero-fills every day of the range, ascending', () => {
    const days = denseDays('2026-02-27', '2026-03-02', [day('2026-03-01', 500n, 100n, 2, 1)]);
    expect(days.map((d) => d.date)).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
    expect(days[2]).toEqual(day('2026-03-01', 500n, 100n, 2, 1));
    expect(days[0]).toEqual({ date: '2026-02-27', grossCents: 0n, refundsCents: 0n, count: 0, refundCount: 0 });
  });

  it('treats a row outside the range as drift instead of dropping it', () => {
    expect(() => denseDays('2026-03-01', '2026-03-02', [day('2026-03-03', 1n)])).toThrow(MetricDrift);
    expect(() => denseDays('2026-03-01', '2026-03-02', [day('2026-02-28', 1n)])).toThrow(MetricDrift);
  });

  it('treats a day reported twice as drift', () => {
    expect(() => denseDays('2026-03-01', '2026-03-02', [day('2026-03-01', 1n), day('2026-03-01', 2n)])).toThrow(
      MetricDrift,
    );
  });
});

describe('weekly roll-up', () => {
  it('groups into Monday weeks across a year boundary and clips to the range', () => {
    // 2026-12-30 is a Wednesday; 2027-01-10 a Sunday.
    const rows = [
      day('2026-12-30', 100n),
      day('2027-01-03', 200n, 50n, 1, 1),
      day('2027-01-04', 400n),
      day('2027-01-10', 800n),
    ];
    const weeks = rollupWeeks(denseDays('2026-12-30', '2027-01-10', rows));
    expect(weeks).toEqual([
      { weekStartDate: '2026-12-28', grossCents: 300n, refundsCents: 50n, count: 2, refundCount: 1 },
      { weekStartDate: '2027-01-04', grossCents: 1200n, refundsCents: 0n, count: 2, refundCount: 0 },
    ]);
  });

  it('a single Sunday is one week starting the Monday before', () => {
    expect(rollupWeeks(denseDays('2026-06-21', '2026-06-21', [])).map((w) => w.weekStartDate)).toEqual(['2026-06-15']);
  });

  it('refuses days that are not dense', () => {
    expect(() => rollupWeeks([day('2026-06-15', 1n), day('2026-06-17', 1n)])).toThrow(MetricDrift);
  });
});

describe('BigInt sums and drift detection', () => {
  it('sums beyond Number.MAX_SAFE_INTEGER exactly', () => {
    const big = 9_007_199_254_740_993n; // 2^53 + 1: not representable as a double
    const total = sumFigures([day('2026-01-01', big), day('2026-01-02', big, 1n, 1, 1)]);
    expect(total.grossCents).toBe(18_014_398_509_481_986n);
    expect(netCents(total)).toBe(18_014_398_509_481_985n);
    expect(total.count).toBe(2);
    expect(total.refundCount).toBe(1);
  });

  it('net can be negative (refunds posted on a day without sales)', () => {
    expect(netCents(day('2026-01-01', 0n, 700n, 0, 1))).toBe(-700n);
  });

  it('accepts buckets that add up and rejects any field that does not', () => {
    const buckets = denseDays('2026-01-01', '2026-01-03', [day('2026-01-01', 100n), day('2026-01-03', 50n, 20n, 1, 1)]);
    const total = { grossCents: 150n, refundsCents: 20n, count: 2, refundCount: 1 };
    expect(() => assertAgree('ok', total, sumFigures(buckets))).not.toThrow();
    for (const off of [{ grossCents: 151n }, { refundsCents: 19n }, { count: 3 }, { refundCount: 0 }]) {
      const err = (() => {
        try {
          assertAgree('daily vs total', { ...total, ...off }, sumFigures(buckets));
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(MetricDrift);
      expect((err as MetricDrift).check).toBe('daily vs total');
    }
  });
});

describe('dense buckets by key (v1 breakdown)', () => {
  it('places rows on the listed keys and zero-fills the rest', () => {
    const out = denseByKey(
      ['2026-05-01', '2026-06-01', '2026-07-01'],
      [{ key: '2026-06-01', grossCents: 5n, refundsCents: 1n, count: 1, refundCount: 1 }],
    );
    expect(out.map((b) => [b.key, netCents(b)])).toEqual([
      ['2026-05-01', 0n],
      ['2026-06-01', 4n],
      ['2026-07-01', 0n],
    ]);
  });

  it('an unlisted or repeated key is drift', () => {
    const f = { grossCents: 1n, refundsCents: 0n, count: 1, refundCount: 0 };
    expect(() => denseByKey(['2026-05-01'], [{ key: '2026-04-01', ...f }])).toThrow(MetricDrift);
    expect(() =>
      denseByKey(
        ['2026-05-01'],
        [
          { key: '2026-05-01', ...f },
          { key: '2026-05-01', ...f },
        ],
      ),
    ).toThrow(MetricDrift);
  });
});
