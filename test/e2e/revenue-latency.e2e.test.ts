import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentRecord } from '../../src/records/record.types.js';
import { bootTestApp, TEST_API_KEY, type TestApp } from '../support/app.js';
import { charge, notCounted, refund, seedLedger, wonDeal } from '../support/revenue-ledger.js';

/**
 * Latency of GET /metrics/revenue/daily over one year on a ~100k-row ledger. A measurement, not
 * a gate: it runs only with REVENUE_BENCH=1 and prints p50/p95; it asserts only that the figures
 * are right, so it cannot pass on a wrong answer.
 *
 *   REVENUE_BENCH=1 npx vitest run test/e2e/revenue-latency.e2e.test.ts
 */
const ROWS = Number(process.env.REVENUE_BENCH_ROWS ?? 100_000);
const RUNS = Number(process.env.REVENUE_BENCH_RUNS ?? 200);

describe.runIf(process.env.REVENUE_BENCH === '1')('revenue latency (REVENUE_BENCH=1)', () => {
  let t: TestApp;
  let expectedNet = 0n;

  beforeAll(async () => {
    t = await bootTestApp();
    const start = Date.parse('2025-01-01T00:00:00Z');
    const span = 365 * 86_400_000;
    const records: PaymentRecord[] = [];
    for (let i = 0; i < ROWS; i++) {
      // Deterministic spread over the year and three currencies; about 80% USD.
      const at = new Date(start + ((i * 7_919_000) % span) + (i % 1000));
      const currency = i % 10 < 8 ? 'USD' : i % 10 === 8 ? 'EUR' : 'GBP';
      const cents = 100 + ((i * 104_729) % 250_000);
      const kind = i % 20;
      const r =
        kind < 14
          ? charge({ at, cents, currency })
          : kind < 17
            ? wonDeal({ at, cents, currency })
            : kind < 19
              ? refund({ at, cents: Math.floor(cents / 3), currency })
              : notCounted({ at, cents, currency, status: 'FAILED', rawStatus: 'failed' });
      records.push(r);
      if (currency === 'USD' && r.effect === 'gross') expectedNet += r.amountCents;
      if (currency === 'USD' && r.effect === 'refund') expectedNet -= r.amountCents;
    }
    const t0 = performance.now();
    await seedLedger(t.db, records);
    await t.db.query('VACUUM ANALYZE payments');
    console.log(`seeded ${ROWS} ledger rows in ${Math.round(performance.now() - t0)} ms`);
  }, 300_000);
  afterAll(async () => t?.close());

  const measure = async (path: string) => {
    const times: number[] = [];
    let last: any;
    for (let i = 0; i < RUNS + 10; i++) {
      const t0 = performance.now();
      const res = await fetch(`${t.url}${path}`, { headers: { 'X-Api-Key': TEST_API_KEY } });
      last = await res.json();
      if (i >= 10) times.push(performance.now() - t0); // first 10 warm up caches and the zone list
      expect(res.status).toBe(200);
    }
    times.sort((a, b) => a - b);
    const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))].toFixed(1);
    console.log(
      `${path}: p50 ${pct(50)} ms, p95 ${pct(95)} ms, max ${times[times.length - 1].toFixed(1)} ms over ${RUNS} requests`,
    );
    return last;
  };

  it('daily over 2025 (one year)', async () => {
    const body = await measure('/metrics/revenue/daily?startDate=2025-01-01&endDate=2025-12-31');
    expect(body.breakdown).toHaveLength(365);
    expect(body.totalRevenueCents).toBe(expectedNet.toString());
    await measure('/metrics/revenue/daily?startDate=2025-01-01&endDate=2025-12-31&tz=America/New_York&source=stripe');
    await measure('/metrics/revenue/weekly?startDate=2025-01-01&endDate=2025-12-31');
    await measure('/metrics/revenue/summary');
  }, 300_000);
});
