import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerFiguresRepository, type RowPosition } from '../../src/records/ledger-figures.repository.js';
import { openTestDb } from '../support/db.js';
import { charge, notCounted, refund, seedLedger } from '../support/revenue-ledger.js';

/**
 * The trace's keyset pages over (occurred_at, id): every counted row of the window exactly once,
 * in that order, however many rows share an instant and whatever the ids' lengths in digits (an
 * order on the ids' text would put 10 before 9 and skip rows at page boundaries).
 */
describe('counted rows in keyset pages', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  const repo = new LedgerFiguresRepository();
  const window = { currency: 'USD', source: null, from: '2026-06-01T00:00:00Z', to: '2026-06-02T00:00:00Z' };
  beforeAll(async () => {
    t = await openTestDb();
    const at = '2026-06-01T12:00:00Z';
    await seedLedger(t.db, [
      ...Array.from({ length: 25 }, (_, i) => charge({ at, cents: 100 + i })),
      ...Array.from({ length: 5 }, (_, i) => refund({ at, cents: 10 + i })),
      charge({ at: '2026-06-01T00:00:00Z', cents: 1 }),
      charge({ at: '2026-06-01T23:59:59.999Z', cents: 2 }),
      charge({ at: '2026-06-02T00:00:00Z', cents: 999 }), // outside [from, to)
      charge({ at, cents: 999, currency: 'EUR' }),
      notCounted({ at, cents: 999, status: 'FAILED', rawStatus: 'failed' }),
    ]);
  });
  afterAll(async () => t?.close());

  it.each([1, 4, 7, 100])('limit %i: every counted row once, in (occurred_at, id) order', async (limit) => {
    const seen: { id: string; occurredAt: string; amountCents: bigint }[] = [];
    let after: RowPosition | null = null;
    for (;;) {
      const page = await repo.countedRows(t.db, window, after, limit);
      seen.push(...page);
      if (page.length < limit) break;
      after = page[page.length - 1];
    }
    const expected = await t.db.query<{ id: string }>(
      `SELECT id::text AS id FROM payments WHERE currency = 'USD' AND effect <> 'none'
          AND occurred_at >= '2026-06-01T00:00:00Z' AND occurred_at < '2026-06-02T00:00:00Z' ORDER BY occurred_at, payments.id`,
    );
    expect(seen.map((r) => r.id)).toEqual(expected.map((r) => r.id));
    expect(seen).toHaveLength(32);
    const figures = await repo.totals(t.db, window);
    const gross = seen
      .filter((r) => r.amountCents >= 100n || r.amountCents < 10n)
      .reduce((s, r) => s + r.amountCents, 0n);
    expect(gross).toBe(figures.grossCents);
    expect(seen[seen.length - 1].occurredAt).toBe('2026-06-01T23:59:59.999000Z');
  });
});
