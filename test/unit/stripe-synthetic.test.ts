import { describe, expect, it } from 'vitest';
import { parseQuery } from '../../scripts/sandbox/stripe/stripe-list.js';
import { SyntheticCharges } from '../../scripts/sandbox/stripe/stripe-synthetic.js';

const q = (s: string) => parseQuery(new URLSearchParams(s));

/** The simulator's on-demand charges (1M-charge backfills) keep Stripe's list semantics. */
describe('synthetic Stripe charges', () => {
  const END = 1_790_000_000;
  const s = new SyntheticCharges({ count: 1_000, start: END - 86_400, end: END, seed: 3 });

  it('pages newest first through every charge exactly once', () => {
    const seen: string[] = [];
    let created = Infinity;
    let after = '';
    for (;;) {
      const page = s.list(q(`limit=100${after ? `&starting_after=${after}` : ''}`));
      for (const c of page.data) {
        expect(c.created).toBeLessThanOrEqual(created);
        created = c.created;
        seen.push(c.id);
      }
      if (!page.has_more) break;
      after = page.data[page.data.length - 1].id;
    }
    expect(seen).toHaveLength(1_000);
    expect(new Set(seen).size).toBe(1_000);
  });

  it('honours created filters and both anchors like the replayed lists', () => {
    const mid = s.created(500);
    const window = s.list(q(`limit=100&created[gte]=${mid}&created[lte]=${mid + 60}`)).data;
    expect(window.length).toBeGreaterThan(0);
    for (const c of window) expect(c.created >= mid && c.created <= mid + 60).toBe(true);
    const all = s.list(q(`limit=100&created[gte]=${mid}`));
    expect(all.data.every((c) => c.created >= mid)).toBe(true);
    const before = s.list(q(`limit=3&ending_before=${s.id(10)}`)).data.map((c) => c.id);
    expect(before).toEqual([s.id(7), s.id(8), s.id(9)]);
    expect(() => s.list(q('limit=10&starting_after=ch_nope'))).toThrow(/No such charge/);
    expect(() => s.list(q('limit=101'))).toThrow(/less than or equal to 100/);
  });

  it('a million charges cost nothing until asked for, and are the same every time', () => {
    const big = new SyntheticCharges({ count: 1_000_000, start: END - 365 * 86_400, end: END, seed: 9 });
    const last = big.list(q(`limit=100&starting_after=${big.id(999_899)}`));
    expect(last.data).toHaveLength(100);
    expect(last.has_more).toBe(false);
    expect(big.charge(123_456)).toEqual(big.charge(123_456));
    expect(big.charge(123_456)).toMatchObject({ object: 'charge', status: 'succeeded', captured: true, paid: true });
  });
});
