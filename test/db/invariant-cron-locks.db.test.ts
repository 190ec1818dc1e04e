import { PaymentLinksRepository } from '../../src/records/payment-links.repository.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpMetrics } from '../../src/common/http.metrics.js';
import type { Sql } from '../../src/database/database.sql.js';
import type { MikroORM } from '@mikro-orm/postgresql';
import { PgLocks } from '../../src/database/database.locks.js';
import { createOrm } from '../../src/database/database.orm.js';
import { OutboxHandlerRegistry } from '../../src/outbox/outbox.handlers.js';
import { OutboxRepository } from '../../src/outbox/outbox.repository.js';
import { OutboxWorker } from '../../src/outbox/outbox.worker.js';
import { PaymentsRepository } from '../../src/records/payments.repository.js';
import { OrphansRepository, type OrphanSweep } from '../../src/reconciler/orphans.repository.js';
import { ReconcilerService } from '../../src/reconciler/reconciler.service.js';
import { openTestDb } from '../support/db.js';
import {
  buildWorker,
  insertOutbox,
  paymentInsert,
  paymentStream,
  testConfig,
  toRecord,
} from '../support/outbox-test-kit.js';
import { Gate } from '../support/runs-test-driver.js';

/**
 * Invariant 5: a cron that fires twice (two processes, or a tick while the last run is still
 * going) does its work once, because its advisory lock is held for the WHOLE run. The existing
 * tests hold the lock from outside; these catch a lock that is taken and released at once, by
 * overlapping two real runs: the first is paused inside its work while the second one fires.
 */
describe('invariant: cron locks are held for the whole run', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  let otherProcess: MikroORM;
  let otherProcessLocks: PgLocks;
  beforeAll(async () => {
    t = await openTestDb();
    otherProcess = await createOrm(t.url, 2);
    otherProcessLocks = new PgLocks(otherProcess);
  });
  afterAll(async () => {
    await otherProcessLocks?.close();
    await otherProcess?.close(true);
    await t?.close();
  });

  it('retention purge: a second purge while the first is between batches is refused', async () => {
    const rows = paymentStream(20, 11).map((p) => paymentInsert(p));
    await insertOutbox(t.db, rows);
    await t.db.query(`UPDATE ingest_outbox SET status = 'done', processed_at = now() - interval '10 days'`);

    const entered = new Gate();
    const proceed = new Gate();
    class PausedRepo extends OutboxRepository {
      override async purgeBatch(days: number, batchSize: number): Promise<number> {
        entered.open();
        await proceed.opened;
        return super.purgeBatch(days, batchSize);
      }
    }
    const first = new OutboxWorker(
      new PausedRepo(t.db),
      new OrphansRepository(t.db, new PaymentLinksRepository()),
      new OutboxHandlerRegistry(),
      t.db,
      t.locks,
      new HttpMetrics(),
      testConfig({ OUTBOX_RETENTION_DAYS: '7' }),
    );
    const second = buildWorker({ db: t.db, locks: otherProcessLocks }, [], { OUTBOX_RETENTION_DAYS: '7' });

    const running = first.purgeRetention();
    await entered.opened;
    try {
      expect(await second.purgeRetention()).toBeNull();
    } finally {
      proceed.open();
    }
    expect(await running).toBe(rows.length);
    // Finished: the lock is free again.
    expect(await second.purgeRetention()).toBe(0);
  });

  it('reconciler sweep: a second sweep while the first is still inside its transaction is refused', async () => {
    const [refund] = paymentStream(1, 12).map((p) => ({
      ...p,
      id: 're_cron_lock',
      kind: 'refund' as const,
      status: 'succeeded' as const,
      parent: 'ch_never_seen',
    }));
    await t.db.tx((sql) => new PaymentsRepository().upsertMany(sql, [toRecord(refund)], '1'));
    await t.db.query(`UPDATE payments SET created_at = now() - interval '1 hour' WHERE external_id = 're_cron_lock'`);

    const entered = new Gate();
    const proceed = new Gate();
    class PausedOrphans extends OrphansRepository {
      override async sweep(sql: Sql, graceMs: number, giveUpMs: number): Promise<OrphanSweep> {
        entered.open();
        await proceed.opened;
        return super.sweep(sql, graceMs, giveUpMs);
      }
    }
    const first = new ReconcilerService(t.db, new PausedOrphans(t.db, new PaymentLinksRepository()), new HttpMetrics());
    const second = new ReconcilerService(
      t.db,
      new OrphansRepository(t.db, new PaymentLinksRepository()),
      new HttpMetrics(),
    );

    const running = first.sweep();
    await entered.opened;
    try {
      expect(await second.sweep()).toBeNull();
    } finally {
      proceed.open();
    }
    expect(await running).toMatchObject({ flagged: 1 });
    expect(await second.sweep()).toMatchObject({ flagged: 0 });
    const orphans = await t.db.query<{ external_id: string }>(`SELECT external_id FROM payment_orphans`);
    expect(orphans).toEqual([{ external_id: 're_cron_lock' }]);
  });
});
