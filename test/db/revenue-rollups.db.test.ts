import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/common/app.errors.js';
import { DealTombstonesRepository } from '../../src/records/deal-tombstones.repository.js';
import { LedgerFiguresRepository } from '../../src/records/ledger-figures.repository.js';
import { PaymentsRepository } from '../../src/records/payments.repository.js';
import type { PaymentRecord } from '../../src/records/record.types.js';
import { RevenueService } from '../../src/revenue/revenue.service.js';
import type { RevenueQuery } from '../../src/revenue/revenue.query.js';
import { RevenueVerifier } from '../../src/revenue/revenue.verifier.js';
import { dailyJson } from '../../src/revenue/revenue.view.js';
import { openTestDb } from '../support/db.js';
import { charge, notCounted, refund, seedLedger, wonDeal } from '../support/revenue-ledger.js';

/**
 * The revenue rollups (payment_rollups) are kept by statement-level triggers on payments, which
 * the ORM cannot express: these tests prove them. After any write path (insert, LWW upsert,
 * tombstone, soft delete, effect/currency/date change, plain UPDATE/DELETE, TRUNCATE) the
 * rollups equal an aggregate of the ledger; the verifier catches a corrupted rollup and the
 * endpoints refuse to answer until a rebuild.
 */
let t: Awaited<ReturnType<typeof openTestDb>>;
const ledger = new LedgerFiguresRepository();
const payments = new PaymentsRepository();
let verifier: RevenueVerifier;
let service: RevenueService;

const mismatches = async () => (await t.db.tx((sql) => ledger.rollupMismatches(sql, 5))).count;
const q = (over: Partial<RevenueQuery> = {}): RevenueQuery => ({
  startDate: '2026-03-01',
  endDate: '2026-03-31',
  source: null,
  currency: 'USD',
  tz: 'UTC',
  ...over,
});

beforeAll(async () => {
  t = await openTestDb();
  verifier = new RevenueVerifier(t.db, ledger);
  service = new RevenueService(t.db, ledger);
});
afterAll(async () => t?.close());
beforeEach(async () => {
  await t.db.query('TRUNCATE payments, revenue_drift');
});

describe('payment_rollups triggers', () => {
  it('exist for insert, update, delete and truncate, per statement', async () => {
    const rows = await t.db.query<{ tgname: string; statement: boolean }>(
      `SELECT tgname, (tgtype & 1) = 0 AS statement FROM pg_trigger WHERE tgrelid = 'payments'::regclass AND NOT tgisinternal ORDER BY tgname`,
    );
    expect(rows).toEqual(
      ['delete', 'insert', 'truncate', 'update'].map((e) => ({ tgname: `payment_rollups_${e}`, statement: true })),
    );
  });

  it('follow every write path of the ledger, in the same transaction', async () => {
    const at = (d: string) => new Date(`2026-03-${d}Z`);
    await seedLedger(t.db, [
      charge({ at: '2026-03-02T10:07:00Z', cents: 1_000, externalId: 'ch_a' }),
      charge({ at: '2026-03-02T10:14:59.999Z', cents: 2_000, externalId: 'ch_b', currency: 'EUR' }),
      refund({ at: '2026-03-03T00:00:00Z', cents: 300, externalId: 're_a', parentExternalId: 'ch_a' }),
      wonDeal({ at: '2026-03-04T05:45:00Z', cents: 9_999, externalId: '9001' }),
      notCounted({
        at: '2026-03-04T06:00:00Z',
        cents: 5,
        status: 'FAILED',
        rawStatus: 'failed',
        externalId: 'ch_failed',
      }),
    ]);
    expect(await mismatches()).toBe(0);
    const figures = await t.db.query<{ gross: string; n: number }>(
      `SELECT sum(gross_cents)::text AS gross, sum(gross_count)::int AS n FROM payment_rollups WHERE currency = 'USD' AND grain = 'q' AND source <> '*'`,
    );
    expect(figures[0]).toEqual({ gross: '10999', n: 2 });

    // Last-write-wins upsert: a newer version moves the charge to another day, currency and amount.
    const moved: PaymentRecord = charge({
      at: '2026-03-09T23:59:00Z',
      cents: 4_321,
      externalId: 'ch_a',
      currency: 'GBP',
      version: { at: at('10T00:00:00'), rank: 9, tiebreak: 'evt_newer' },
    });
    await t.db.tx((sql) => payments.upsertMany(sql, [moved]));
    expect(await mismatches()).toBe(0);
    // An older version loses and changes nothing.
    await t.db.tx((sql) =>
      payments.upsertMany(sql, [
        charge({
          at: '2026-03-02T10:07:00Z',
          cents: 1,
          externalId: 'ch_a',
          version: { at: at('01T00:00:00'), rank: 0, tiebreak: 'old' },
        }),
      ]),
    );
    expect(await mismatches()).toBe(0);
    // A deal deletion tombstone (soft delete).
    await t.db.tx((sql) =>
      new DealTombstonesRepository().markDeleted(
        sql,
        [{ externalId: '9001', version: { at: at('20T00:00:00'), rank: 9, tiebreak: 'del' } }],
        'USD',
      ),
    );
    expect(await mismatches()).toBe(0);
    expect(
      (
        await t.db.query<{ n: string }>(
          `SELECT coalesce(sum(gross_count), 0)::text AS n FROM payment_rollups WHERE source = 'hubspot' AND grain = 'h'`,
        )
      )[0].n,
    ).toBe('0');
    // Plain SQL, as an operator would: an effect change, then a delete.
    await t.db.query(`UPDATE payments SET effect = 'gross', status = 'SUCCEEDED' WHERE external_id = 'ch_failed'`);
    expect(await mismatches()).toBe(0);
    await t.db.query(`DELETE FROM payments WHERE external_id = 're_a'`);
    expect(await mismatches()).toBe(0);
    // A rolled-back write leaves the rollups untouched.
    await expect(
      t.db.tx(async (sql) => {
        await payments.upsertMany(sql, [charge({ at: '2026-03-05T00:00:00Z', cents: 777, externalId: 'ch_rollback' })]);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await mismatches()).toBe(0);
    expect((await t.db.query(`SELECT 1 FROM payment_rollups WHERE gross_cents = 777`)).length).toBe(0);
    await t.db.query('TRUNCATE payments');
    expect((await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM payment_rollups'))[0].n).toBe(0);
  });

  it('stay equal to the ledger under many random writes in random batches', async () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const currencies = ['USD', 'EUR', 'JPY'];
    for (let round = 0; round < 20; round++) {
      const batch: PaymentRecord[] = [];
      for (let i = 0; i < 50; i++) {
        const id = `ch_r${rand(120)}`;
        const day = 1 + rand(28);
        const minute = rand(24 * 60);
        const occurredAt = new Date(Date.UTC(2026, 2, day, 0, minute, rand(60)));
        const kind = rand(4);
        const rec = (kind === 0 ? refund : kind === 1 ? notCounted : charge)({
          at: occurredAt,
          cents: 1 + rand(100_000),
          externalId: id,
          currency: currencies[rand(3)],
          status: 'SUCCEEDED',
          rawStatus: 'succeeded',
          deletedAt: rand(10) === 0 ? occurredAt : null,
          version: {
            at: new Date(Date.UTC(2026, 3, 1, 0, 0, rand(10_000))),
            rank: rand(3),
            tiebreak: `v${rand(1000)}`,
          },
        });
        batch.push(rec);
      }
      await t.db.tx((sql) => payments.upsertMany(sql, batch));
    }
    expect(await mismatches()).toBe(0);
  });
});

describe('revenue verifier', () => {
  it('catches a corrupted rollup: the verifier reports it and every revenue endpoint refuses to answer until a rebuild', async () => {
    await seedLedger(t.db, [
      charge({ at: '2026-03-10T12:00:00Z', cents: 50_000 }),
      charge({ at: '2026-03-11T12:00:00Z', cents: 7_000 }),
    ]);
    const before = dailyJson(await service.report(q()));
    expect((await verifier.verify()).mismatches).toBe(0);

    await t.db.query(
      `UPDATE payment_rollups SET gross_cents = gross_cents + 1 WHERE slot = '2026-03-10T12:00:00Z' AND grain = 'h' AND source = '*'`,
    );
    const found = await verifier.verify();
    expect(found).toMatchObject({ checked: true, mismatches: 1 });
    expect(found.sample[0]).toMatchObject({
      currency: 'USD',
      source: '*',
      grain: 'h',
      ledger: '50000/0/1/0',
      rollup: '50001/0/1/0',
    });
    // The finding is durable: every revenue path refuses, in any process, until it is resolved.
    for (const call of [
      () => service.report(q()),
      () =>
        service.collected({
          from: new Date('2026-03-01T00:00:00Z'),
          to: new Date('2026-04-01T00:00:00Z'),
          source: null,
          currency: 'USD',
          tz: 'UTC',
        }),
      () =>
        service.breakdown({
          granularity: 'day',
          from: new Date('2026-03-01T00:00:00Z'),
          to: new Date('2026-04-01T00:00:00Z'),
          source: null,
          currency: 'USD',
          tz: 'UTC',
        }),
    ]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).status).toBe(500);
      expect((err as AppError).code).toBe('metric_drift');
    }
    // A second finding is not opened while one is open.
    await verifier.verify();
    expect(
      (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM revenue_drift WHERE resolved_at IS NULL'))[0].n,
    ).toBe(1);

    const rebuilt = await verifier.rebuild();
    expect(rebuilt).toMatchObject({ checked: true, mismatches: 0, resolved: 1 });
    expect(dailyJson(await service.report(q()))).toEqual(before);
  });

  it('sees a rollup row with no ledger behind it, and ledger rows with no rollup', async () => {
    await seedLedger(t.db, [charge({ at: '2026-03-10T12:00:00Z', cents: 100 })]);
    await t.db.query(
      `INSERT INTO payment_rollups (currency, source, grain, slot, gross_cents, gross_count) VALUES ('USD', 'stripe', 'q', '2026-03-12T00:00:00Z', 5, 1)`,
    );
    await t.db.query(
      `DELETE FROM payment_rollups WHERE slot = '2026-03-10T12:00:00Z' AND grain = 'q' AND source = 'stripe'`,
    );
    const found = await verifier.verify();
    expect(found.mismatches).toBe(2);
    expect(found.sample.map((m) => [m.ledger, m.rollup])).toEqual([
      ['100/0/1/0', null],
      [null, '5/0/1/0'],
    ]);
  });
});

describe('zones off the hour grid', () => {
  it('a +05:45 day (Asia/Kathmandu) takes whole hours from the hourly rollups and its cut hour from quarter-hours', async () => {
    // Local midnight of 2026-03-02 in Kathmandu is 2026-03-01T18:15Z: the hour 18:00–19:00 holds both days.
    await seedLedger(t.db, [
      charge({ at: '2026-03-01T12:00:00Z', cents: 2 }),
      charge({ at: '2026-03-01T18:14:59Z', cents: 3 }),
      charge({ at: '2026-03-01T18:15:00Z', cents: 5 }),
      charge({ at: '2026-03-01T18:59:00Z', cents: 7 }),
      charge({ at: '2026-03-02T18:14:00Z', cents: 11 }),
      charge({ at: '2026-03-02T18:16:00Z', cents: 13 }),
    ]);
    const report = await service.report(q({ startDate: '2026-03-01', endDate: '2026-03-03', tz: 'Asia/Kathmandu' }));
    expect(dailyJson(report).breakdown.map((d) => [d.date, d.grossCents])).toEqual([
      ['2026-03-01', '5'],
      ['2026-03-02', '23'],
      ['2026-03-03', '13'],
    ]);
    const one = await service.report(
      q({ startDate: '2026-03-02', endDate: '2026-03-02', tz: 'Asia/Kathmandu', source: 'stripe' }),
    );
    expect(dailyJson(one).grossCents).toBe('23');
  });
});

describe('zones off the quarter-hour grid', () => {
  it('a day cut inside a slot (Africa/Monrovia, UTC-00:44:30 in 1970) reads that slot from the ledger and stays exact', async () => {
    // Local midnight of 1970-03-02 in Monrovia is 00:44:30Z: rows on both sides of it share a slot.
    await seedLedger(t.db, [
      charge({ at: '1970-03-02T00:40:00Z', cents: 11 }),
      charge({ at: '1970-03-02T00:44:29.999Z', cents: 13 }),
      charge({ at: '1970-03-02T00:44:30Z', cents: 17 }),
      charge({ at: '1970-03-02T00:59:00Z', cents: 19 }),
      charge({ at: '1970-03-02T12:00:00Z', cents: 23 }),
    ]);
    const days = dailyJson(
      await service.report(q({ startDate: '1970-03-01', endDate: '1970-03-02', tz: 'Africa/Monrovia' })),
    ).breakdown;
    expect(days.map((d) => [d.date, d.grossCents])).toEqual([
      ['1970-03-01', '24'],
      ['1970-03-02', '59'],
    ]);
  });
});
