import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb } from '../support/db.js';
import { PaymentsRepository } from '../../src/records/payments.repository.js';
import type { PaymentRecord } from '../../src/records/record.types.js';

const rec = (over: Partial<PaymentRecord> & { v: [string, number, string] }): PaymentRecord => ({
  source: 'stripe',
  kind: 'charge',
  externalId: 'ch_1',
  parentExternalId: null,
  amountCents: 1000n,
  currency: 'USD',
  status: 'PENDING',
  rawStatus: 'pending',
  effect: 'none',
  occurredAt: new Date('2026-06-01T10:00:00Z'),
  customerRef: null,
  description: null,
  deletedAt: null,
  ...over,
  version: { at: new Date(over.v[0]), rank: over.v[1], tiebreak: over.v[2] },
});

function shuffle<T>(xs: T[], seed: number): T[] {
  const a = [...xs];
  let s = seed;
  for (let i = a.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

describe('payments last-write-wins (real Postgres)', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  const repo = new PaymentsRepository();
  beforeAll(async () => {
    t = await openTestDb();
  });
  afterAll(async () => t.close());

  const stream = [
    rec({ v: ['2026-06-01T10:00:00Z', 1, 'evt_a'], status: 'PENDING', rawStatus: 'pending' }),
    rec({ v: ['2026-06-01T10:00:00Z', 2, 'evt_b'], status: 'SUCCEEDED', rawStatus: 'succeeded', effect: 'gross' }),
    rec({
      v: ['2026-06-01T10:05:00Z', 2, 'evt_c'],
      status: 'SUCCEEDED',
      rawStatus: 'succeeded',
      effect: 'gross',
      amountCents: 900n,
    }),
    rec({
      externalId: 're_1',
      kind: 'refund',
      parentExternalId: 'ch_1',
      v: ['2026-06-02T00:00:00Z', 1, 'evt_d'],
      status: 'PENDING',
      rawStatus: 'pending',
      amountCents: 300n,
    }),
    rec({
      externalId: 're_1',
      kind: 'refund',
      parentExternalId: 'ch_1',
      v: ['2026-06-02T00:00:01Z', 2, 'evt_e'],
      status: 'SUCCEEDED',
      rawStatus: 'succeeded',
      effect: 'refund',
      amountCents: 300n,
    }),
  ];

  async function ledger(): Promise<unknown[]> {
    return t.db.query(
      `SELECT source, external_id, kind, amount_cents, status, effect, version_at, version_rank, version_tiebreak FROM payments ORDER BY source, external_id`,
    );
  }

  it('any permutation and duplication of a stream, one event at a time or batched, ends in the same ledger', async () => {
    await repo.upsertMany(t.db, stream);
    const expected = await ledger();
    expect(expected).toHaveLength(2);
    expect(expected[0]).toMatchObject({ external_id: 'ch_1', amount_cents: '900', status: 'SUCCEEDED' });
    expect(expected[1]).toMatchObject({ external_id: 're_1', status: 'SUCCEEDED', effect: 'refund' });

    for (let seed = 1; seed <= 12; seed++) {
      await t.db.query('TRUNCATE payments');
      const delivered = shuffle([...stream, ...stream.slice(0, 1 + (seed % stream.length))], seed);
      if (seed % 2) for (const r of delivered) await repo.upsertMany(t.db, [r]);
      else await repo.upsertMany(t.db, delivered);
      expect(await ledger()).toEqual(expected);
    }
  });

  it('an older version never overwrites a newer one; an equal version is a no-op', async () => {
    await t.db.query('TRUNCATE payments');
    expect(await repo.upsertMany(t.db, [stream[2]])).toBe(1);
    expect(await repo.upsertMany(t.db, [stream[0]])).toBe(0);
    expect(await repo.upsertMany(t.db, [stream[2]])).toBe(0);
  });
});
