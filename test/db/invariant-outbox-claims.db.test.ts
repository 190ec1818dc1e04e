import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxRepository } from '../../src/outbox/outbox.repository.js';
import { openTestDb } from '../support/db.js';
import {
  buildWorker,
  insertOutbox,
  LedgerTestHandler,
  outboxRows,
  paymentInsert,
  paymentStream,
  sleep,
} from '../support/outbox-test-kit.js';
import { Gate } from '../support/runs-test-driver.js';

/**
 * Outbox claims, invariants 2 and 5.
 *
 * Exactly-once effect: a worker that lost its lease (frozen, partitioned) may come
 * back and report on rows that another worker has claimed since. Its verdict must be dropped while
 * the new owner is still working on them: otherwise the row is finished (or failed) behind the
 * owner's back, and can be claimed a third time or marked dead although it succeeds.
 *
 * Never stuck: a claim skips rows another transaction has locked (a replay, a purge, another
 * worker's claim) instead of queueing behind it, so N workers never wait on each other.
 */
describe('invariant: outbox claims', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  beforeAll(async () => {
    t = await openTestDb();
  });
  afterAll(async () => t?.close());

  it("a stale worker's verdict on rows re-claimed by another worker changes nothing; the owner's verdict counts", async () => {
    const rows = paymentStream(6, 3).map((p) => paymentInsert(p));
    await insertOutbox(t.db, rows);
    const n = rows.length;
    const repo = new OutboxRepository(t.db);
    const stale = await repo.claim('frozen:1:aaa#1', 10, 1000);
    expect(stale).toHaveLength(n);
    await sleep(1100);
    const survivor = buildWorker(t, [new LedgerTestHandler()], { WORKER_LEASE_MS: '1000' });
    expect(await survivor.sweepLeases()).toMatchObject({ requeued: n, lockedBy: ['frozen:1:aaa#1'] });
    const owned = await repo.claim('owner:2:bbb#1', 10, 60_000);
    expect(owned.map((r) => r.id)).toEqual(stale.map((r) => r.id));

    // The frozen worker wakes up and reports, while the owner is still busy with the same rows.
    const late = await repo.settle(
      'frozen:1:aaa#1',
      stale.map((r) => ({
        id: r.id,
        status: 'dead' as const,
        failureClass: 'transient' as const,
        error: 'late verdict',
        delayMs: null,
      })),
    );
    expect(late.size).toBe(0);
    const during = await outboxRows(t.db);
    expect(during.map((r) => [r.status, r.locked_by, r.last_error])).toEqual(
      Array(n).fill(['running', 'owner:2:bbb#1', null]),
    );

    const done = await repo.settle(
      'owner:2:bbb#1',
      owned.map((r) => ({ id: r.id, status: 'done' as const, failureClass: null, error: null, delayMs: null })),
    );
    expect(done.size).toBe(n);
    expect((await outboxRows(t.db)).map((r) => [r.status, r.attempts, r.locked_by])).toEqual(
      Array(n).fill(['done', 2, null]),
    );
  });

  it('a claim takes the free rows at once while another transaction holds a row lock', async () => {
    await t.db.query('TRUNCATE ingest_outbox');
    await insertOutbox(
      t.db,
      paymentStream(5, 4).map((p) => paymentInsert(p)),
    );
    const ids = (await outboxRows(t.db)).map((r) => r.id);
    const locked = new Gate();
    const release = new Gate();
    const holder = t.db.tx(async (sql) => {
      await sql.query('SELECT id FROM ingest_outbox WHERE id = $1 FOR UPDATE', [ids[0]]);
      locked.open();
      await release.opened;
    });
    await locked.opened;
    try {
      const repo = new OutboxRepository(t.db);
      const claimed = await Promise.race([
        repo.claim('free:1:ccc#1', 100, 60_000),
        sleep(3000).then(() => 'blocked' as const),
      ]);
      expect(claimed === 'blocked' ? claimed : claimed.map((r) => r.id)).toEqual(ids.slice(1));
    } finally {
      release.open();
      await holder;
    }
  });
});
