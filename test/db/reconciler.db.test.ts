import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toRecord, type TestPayment } from '../support/outbox-test-kit.js';
import { charge, openReconcilerDb, refund } from '../support/reconciler-kit.js';
import { PaymentsRepository } from '../../src/records/payments.repository.js';
import { OrphansRepository } from '../../src/reconciler/orphans.repository.js';
import { ReconcilerService } from '../../src/reconciler/reconciler.service.js';
import { lockKey } from '../../src/database/database.locks.js';

describe('reconciler: refunds and disputes without their charge', () => {
  let t: Awaited<ReturnType<typeof openReconcilerDb>>['t'];
  let reconciler: ReconcilerService;
  let orphans: OrphansRepository;
  const payments = new PaymentsRepository();
  beforeAll(async () => {
    ({ t, orphans, reconciler } = await openReconcilerDb());
  });
  afterAll(async () => t?.close());
  beforeEach(async () => {
    await t.db.query('TRUNCATE payments, payment_orphans');
  });

  const store = (...ps: TestPayment[]) => t.db.tx((sql) => payments.upsertMany(sql, ps.map(toRecord), '77'));
  /** Pretends a ledger row was stored `ago` earlier. */
  const age = (externalId: string, ago: string) =>
    t.db.query(`UPDATE payments SET created_at = now() - $2::interval WHERE external_id = $1`, [externalId, ago]);

  it('leaves children alone during the grace window and flags them after it', async () => {
    await store(charge('ch_1'), refund('re_ok', 'ch_1'), refund('re_young', 'ch_missing'), refund('re_old', 'ch_gone'));
    await age('re_old', '2 minutes');
    await age('re_ok', '2 minutes');
    const r = await reconciler.sweep();
    expect(r).toMatchObject({ flagged: 1, linked: 0, givenUp: [] });
    expect(await orphans.counts()).toEqual({ unreconciled: 1, givenUp: 0, oldestAgeS: expect.any(Number) });
    const [row] = await t.db.query<any>('SELECT external_id, parent_external_id, kind, outbox_id FROM payment_orphans');
    expect(row).toEqual({ external_id: 're_old', parent_external_id: 'ch_gone', kind: 'refund', outbox_id: '77' });
    // Sweeping again does not flag twice.
    expect((await reconciler.sweep())!.flagged).toBe(0);
  });

  it('links an orphan once its charge arrives', async () => {
    await store(refund('re_late', 'ch_late'));
    await age('re_late', '5 minutes');
    expect((await reconciler.sweep())!.flagged).toBe(1);
    await store(charge('ch_late'));
    expect(await reconciler.sweep()).toMatchObject({ flagged: 0, linked: 1 });
    expect(await orphans.counts()).toEqual({ unreconciled: 0, givenUp: 0, oldestAgeS: null });
  });

  it('gives up visibly after seven days, once, and still links if the charge turns up later', async () => {
    await store(refund('re_ancient', 'ch_never'), refund('re_recent', 'ch_soon'));
    await age('re_ancient', '8 days');
    await age('re_recent', '1 day');
    const r = await reconciler.sweep();
    expect(r!.flagged).toBe(2);
    expect(r!.givenUp).toEqual([
      {
        source: 'stripe',
        externalId: 're_ancient',
        kind: 'refund',
        parentExternalId: 'ch_never',
        firstSeenAt: expect.any(Date),
      },
    ]);
    expect(await orphans.counts()).toMatchObject({ unreconciled: 1, givenUp: 1 });
    expect((await reconciler.sweep())!.givenUp).toEqual([]);
    await store(charge('ch_never'));
    expect((await reconciler.sweep())!.linked).toBe(1);
    expect(await orphans.counts()).toMatchObject({ unreconciled: 1, givenUp: 0 });
  });

  it('disputes count as children; charges and deleted rows never do', async () => {
    await store({ ...refund('dp_1', 'ch_x'), kind: 'charge' }, refund('re_del', 'ch_y'));
    await t.db
      .query(`INSERT INTO payments (source, kind, external_id, parent_external_id, amount_cents, currency, status, raw_status, effect, occurred_at, version_at, created_at)
                      VALUES ('stripe','dispute','dp_2','ch_z',300,'USD','LOST','lost','refund',now(),now(), now() - interval '1 hour')`);
    await t.db.query(`UPDATE payments SET deleted_at = now() WHERE external_id = 're_del'`);
    await age('dp_1', '1 hour');
    await age('re_del', '1 hour');
    const r = await reconciler.sweep();
    expect(r!.flagged).toBe(1);
    const rows = await t.db.query<any>('SELECT external_id, kind FROM payment_orphans');
    expect(rows).toEqual([{ external_id: 'dp_2', kind: 'dispute' }]);
  });

  it('skips while another process holds the sweep lock', async () => {
    await store(refund('re_c', 'ch_c'));
    await age('re_c', '1 hour');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const other = t.db.tx(async (sql) => {
      await sql.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey('buffalo:reconciler')]);
      locked();
      await gate;
    });
    await isLocked;
    expect(await reconciler.sweep()).toBeNull();
    expect(await orphans.counts()).toMatchObject({ unreconciled: 0 });
    release();
    await other;
    expect((await reconciler.sweep())!.flagged).toBe(1);
  });
});
