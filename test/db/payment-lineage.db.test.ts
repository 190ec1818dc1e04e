import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DealTombstonesRepository } from '../../src/records/deal-tombstones.repository.js';
import { lineageEvent, PaymentLineageRepository } from '../../src/records/payment-lineage.repository.js';
import { PaymentsRepository } from '../../src/records/payments.repository.js';
import type { PaymentRecord } from '../../src/records/record.types.js';
import { derivationRev } from '../../src/records/record.version.js';
import { openTestDb } from '../support/db.js';
import { charge, wonDeal } from '../support/revenue-ledger.js';

/**
 * payment_lineage is written with the ledger upsert, in its transaction: winners and losers of
 * last-write-wins alike, nothing twice for the same (row, event, revision), and it survives the
 * outbox rows it names (there is no key to them).
 */
describe('payment lineage', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  const payments = new PaymentsRepository();
  const lineage = new PaymentLineageRepository();
  beforeAll(async () => {
    t = await openTestDb();
  });
  afterAll(async () => t?.close());

  let received = Date.UTC(2026, 5, 2);
  const event = (id: string, payload: unknown = { id }) =>
    lineageEvent({
      id,
      origin: 'webhook',
      dedupeKey: `evt_${id}`,
      eventType: 'charge.updated',
      receivedAt: new Date((received += 1000)),
      payload,
    });
  const version = (s: number, rank = 30) => ({
    at: new Date(Date.UTC(2026, 5, 1, 0, 0, s)),
    rank,
    tiebreak: `evt_v${s}`,
  });
  const write = (
    records: Array<PaymentRecord & { outboxId: string; derivationRev?: number; lineage?: ReturnType<typeof event> }>,
  ) => t.db.tx((sql) => payments.upsertMany(sql, records));
  const entries = async (externalId: string) => {
    const [row] = await t.db.query<{ id: string }>(`SELECT id::text FROM payments WHERE external_id = $1`, [
      externalId,
    ]);
    return (await lineage.forPayments(t.db, [row.id])).get(row.id) ?? [];
  };

  it('records every event that wrote or touched a row, with whether it won', async () => {
    const base = charge({ at: '2026-06-01T00:00:00Z', cents: 500, externalId: 'ch_lin_1' });
    // One batch: v2 beats v1 inside the batch; then a late v0 loses to the stored v2; then v3 wins.
    await write([
      { ...base, version: version(1), outboxId: '11', lineage: event('11') },
      { ...base, version: version(2), amountCents: 600n, outboxId: '12', lineage: event('12') },
    ]);
    await write([{ ...base, version: version(0), outboxId: '10', lineage: event('10') }]);
    await write([{ ...base, version: version(3), amountCents: 700n, outboxId: '13', lineage: event('13') }]);
    const got = await entries('ch_lin_1');
    expect(got.map((e) => [e.outboxId, e.won, e.version.tiebreak, e.replayed])).toEqual([
      ['11', false, 'evt_v1', false],
      ['12', true, 'evt_v2', false],
      ['10', false, 'evt_v0', false],
      ['13', true, 'evt_v3', false],
    ]);
    expect(got[0]).toMatchObject({
      vendorEventId: 'evt_11',
      eventType: 'charge.updated',
      origin: 'webhook',
      derivationRev: 0,
    });
    expect(got[0].payloadSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(got[0].payloadSha256).not.toBe(got[1].payloadSha256);
  });

  it('a redo of the same event under the same revision adds nothing; under a newer one it is marked replayed', async () => {
    const base = charge({ at: '2026-06-01T00:00:00Z', cents: 500, externalId: 'ch_lin_2', version: version(5) });
    await write([{ ...base, outboxId: '21', lineage: event('21') }]);
    await write([{ ...base, outboxId: '21', lineage: event('21') }]);
    expect(await entries('ch_lin_2')).toHaveLength(1);
    // Newer code that derives the same row: no write (won false), but the replay is on record.
    await write([{ ...base, outboxId: '21', derivationRev: derivationRev(1), lineage: event('21') }]);
    // Newer code that derives something else: it wins.
    await write([
      { ...base, amountCents: 450n, outboxId: '21', derivationRev: derivationRev(2), lineage: event('21') },
    ]);
    expect((await entries('ch_lin_2')).map((e) => [e.derivationRev, e.won, e.replayed])).toEqual([
      [0, true, false],
      [derivationRev(1), false, true],
      [derivationRev(2), true, true],
    ]);
    const [row] = await t.db.query<{ amount_cents: string; derivation_rev: number }>(
      `SELECT amount_cents::text, derivation_rev FROM payments WHERE external_id = 'ch_lin_2'`,
    );
    expect(row).toEqual({ amount_cents: '450', derivation_rev: derivationRev(2) });
  });

  it('writes without lineage (re-derivations, tools) record nothing', async () => {
    await write([{ ...charge({ at: '2026-06-01T00:00:00Z', cents: 1, externalId: 'ch_lin_3' }), outboxId: '31' }]);
    expect(await entries('ch_lin_3')).toEqual([]);
  });

  it('a deal deletion is on the record of its row: the deleting event won, a stale one lost', async () => {
    const tombstones = new DealTombstonesRepository(lineage);
    const deal = wonDeal({ at: '2026-06-01T00:00:00Z', cents: 9_000, externalId: 'deal_lin_4', version: version(1) });
    await write([{ ...deal, outboxId: '41', lineage: event('41') }]);
    const del = (id: string, s: number) =>
      t.db.tx((sql) =>
        tombstones.markDeleted(
          sql,
          [{ externalId: 'deal_lin_4', version: version(s, 1), lineage: event(id) }],
          'USD',
          id,
        ),
      );
    expect(await del('42', 2)).toBe(1);
    expect(await del('40', 0)).toBe(0);
    // Two deletion events of the same deal in one batch: both are on record, the newer one won.
    const pair = await t.db.tx((sql) =>
      tombstones.markDeleted(
        sql,
        [
          { externalId: 'deal_lin_4', version: version(4, 1), lineage: event('44') },
          { externalId: 'deal_lin_4', version: version(3, 1), lineage: event('43') },
        ],
        'USD',
        '44',
      ),
    );
    expect(pair).toBe(1);
    const got = await entries('deal_lin_4');
    expect(got.map((e) => [e.outboxId, e.won])).toEqual([
      ['41', true],
      ['42', true],
      ['40', false],
      ['44', true],
      ['43', false],
    ]);
  });
});
