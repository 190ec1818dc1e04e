import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openTestDb } from '../support/db.js';
import {
  LedgerTestHandler,
  buildWorker,
  insertOutbox,
  paymentInsert,
  type TestPayment,
} from '../support/outbox-test-kit.js';
import { OutboxRepository } from '../../src/outbox/outbox.repository.js';
import type { OutboxInsert } from '../../src/outbox/outbox.types.js';

const charge = (i: number): TestPayment => ({
  id: `ch_o${i}`,
  kind: 'charge',
  amount: 700,
  currency: 'usd',
  created: 1_780_000_000 + i,
  status: 'succeeded',
  version: 1,
});

describe('outbox operations: stats, dead letters, redrive, replay, retention', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  let repo: OutboxRepository;
  beforeAll(async () => {
    t = await openTestDb();
    repo = new OutboxRepository(t.db);
  });
  afterAll(async () => t?.close());
  beforeEach(async () => {
    await t.db.query('TRUNCATE ingest_outbox, payments, payment_orphans');
  });

  /** Inserts rows and forces them into a state, returning their ids in order. */
  async function seed(
    states: { status: string; source?: string; receivedAgo?: string; processedAgo?: string; failure?: string }[],
  ): Promise<string[]> {
    const inserts: OutboxInsert[] = states.map((s, i) => ({
      ...paymentInsert(charge(i)),
      source: (s.source ?? 'stripe') as OutboxInsert['source'],
    }));
    await insertOutbox(t.db, inserts);
    const ids = (await t.db.query<{ id: string }>('SELECT id FROM ingest_outbox ORDER BY id')).map((r) => String(r.id));
    for (const [i, s] of states.entries()) {
      await t.db.query(
        `UPDATE ingest_outbox SET status = $2, failure_class = $3, last_error = CASE WHEN $3::text IS NULL THEN NULL ELSE 'boom' END,
                received_at = now() - $4::interval, processed_at = CASE WHEN $5::interval IS NULL THEN NULL ELSE now() - $5::interval END,
                attempts = CASE WHEN $2 = 'queued' THEN 0 ELSE 3 END
          WHERE id = $1`,
        [ids[i], s.status, s.failure ?? null, s.receivedAgo ?? '0 seconds', s.processedAgo ?? null],
      );
    }
    return ids;
  }

  it('stats count by status and source, with the age of the oldest waiting row', async () => {
    await seed([
      { status: 'queued' },
      { status: 'done', processedAgo: '1 minute' },
      { status: 'dead', failure: 'invalid_payload', processedAgo: '1 minute' },
      { status: 'error', source: 'hubspot', failure: 'transient' },
    ]);
    await t.db.query(`UPDATE ingest_outbox SET available_at = now() - interval '90 seconds' WHERE status = 'queued'`);
    await t.db.query(`UPDATE ingest_outbox SET available_at = now() + interval '30 seconds' WHERE status = 'error'`);
    const s = await repo.stats();
    expect(s.counts).toEqual({ queued: 1, running: 0, done: 1, error: 1, dead: 1, ignored: 0 });
    expect(s.total).toBe(4);
    expect(s.deadCount).toBe(1);
    expect(s.oldestQueuedAgeS).toBeGreaterThanOrEqual(89);
    expect(s.oldestQueuedAgeS).toBeLessThan(100);
    expect(s.nextRetryAt!.getTime()).toBeGreaterThan(Date.now());
    expect(s.bySource.stripe).toEqual({ queued: 1, running: 0, done: 1, error: 0, dead: 1, ignored: 0 });
    expect(s.bySource.hubspot.error).toBe(1);
    expect(s.bySource.gcal).toEqual({ queued: 0, running: 0, done: 0, error: 0, dead: 0, ignored: 0 });
  });

  it('an empty queue has no oldest age', async () => {
    const s = await repo.stats();
    expect(s.oldestQueuedAgeS).toBeNull();
    expect(s.total).toBe(0);
  });

  it('lists dead rows newest first with keyset pagination', async () => {
    const ids = await seed([
      { status: 'dead', failure: 'invalid_payload' },
      { status: 'done' },
      { status: 'dead', failure: 'unsupported' },
      { status: 'dead', failure: 'retries_exhausted' },
    ]);
    const p1 = await repo.listDead(2, null);
    expect(p1.events.map((e) => e.id)).toEqual([ids[3], ids[2]]);
    expect(p1.events[0]).toMatchObject({
      failureClass: 'retries_exhausted',
      lastError: 'boom',
      kind: 'stripe.charge',
      source: 'stripe',
    });
    expect(p1.nextBefore).toBe(ids[2]);
    const p2 = await repo.listDead(2, p1.nextBefore);
    expect(p2.events.map((e) => e.id)).toEqual([ids[0]]);
    expect(p2.nextBefore).toBeNull();
  });

  it('redrive requeues only dead rows, with a fresh attempt budget, and the worker then processes them', async () => {
    const ids = await seed([{ status: 'dead', failure: 'transient' }, { status: 'done' }]);
    expect(await repo.redrive(ids[1])).toBe(false);
    expect(await repo.redrive('999999')).toBe(false);
    expect(await repo.redrive(ids[0])).toBe(true);
    const [row] = await t.db.query<any>('SELECT status, attempts, failure_class FROM ingest_outbox WHERE id = $1', [
      ids[0],
    ]);
    expect(row).toEqual({ status: 'queued', attempts: 0, failure_class: null });
    expect(await buildWorker(t, [new LedgerTestHandler()]).drain()).toEqual({ processed: 1, failed: 0 });
  });

  it('replay requeues finished rows of one source in [since, until) and leaves in-flight ones alone', async () => {
    const ids = await seed([
      { status: 'done', receivedAgo: '2 hours' },
      { status: 'ignored', receivedAgo: '2 hours' },
      { status: 'dead', receivedAgo: '2 hours', failure: 'invalid_payload' },
      { status: 'error', receivedAgo: '2 hours', failure: 'transient' },
      { status: 'done', receivedAgo: '2 hours', source: 'hubspot' },
      { status: 'done', receivedAgo: '5 hours' },
      { status: 'done', receivedAgo: '1 minute' },
    ]);
    const now = Date.now();
    const r = await repo.replay('stripe', new Date(now - 3 * 3_600_000), new Date(now - 3_600_000));
    expect(r).toEqual({ requeued: 3, byStatus: { done: 1, ignored: 1, dead: 1 } });
    const rows = await t.db.query<any>('SELECT id, status, attempts FROM ingest_outbox ORDER BY id');
    expect(rows.map((x) => x.status)).toEqual(['queued', 'queued', 'queued', 'error', 'done', 'done', 'done']);
    expect(rows.slice(0, 3).every((x) => x.attempts === 0)).toBe(true);
    expect(String(rows[0].id)).toBe(ids[0]);
    // Replaying again finds nothing new to requeue.
    expect((await repo.replay('stripe', new Date(now - 3 * 3_600_000), new Date(now - 3_600_000))).requeued).toBe(0);
  });

  it('retention purges only done/ignored rows past the window, never dead, unprocessed or orphan evidence', async () => {
    const ids = await seed([
      { status: 'done', processedAgo: '8 days' },
      { status: 'ignored', processedAgo: '8 days' },
      { status: 'done', processedAgo: '6 days' },
      { status: 'dead', processedAgo: '30 days', failure: 'invalid_payload' },
      { status: 'queued', receivedAgo: '30 days' },
      { status: 'error', receivedAgo: '30 days', failure: 'transient' },
      { status: 'done', processedAgo: '9 days' },
    ]);
    // The last one carries a refund still waiting for its charge.
    await t.db.query(
      `INSERT INTO payment_orphans (source, external_id, kind, parent_external_id, outbox_id, first_seen_at) VALUES ('stripe','re_1','refund','ch_x',$1, now())`,
      [ids[6]],
    );
    const w = buildWorker(t, [], { OUTBOX_RETENTION_DAYS: '7' });
    expect(await w.purgeRetention()).toBe(2);
    const left = (await t.db.query<{ id: string }>('SELECT id FROM ingest_outbox ORDER BY id')).map((r) =>
      String(r.id),
    );
    expect(left).toEqual([ids[2], ids[3], ids[4], ids[5], ids[6]]);
    expect(await w.purgeRetention()).toBe(0);
  });

  it('retention purges in batches until done', async () => {
    const n = 12;
    await seed(Array.from({ length: n }, () => ({ status: 'done', processedAgo: '10 days' })));
    expect(await repo.purgeBatch(7, 5)).toBe(5);
    expect(await repo.purgeBatch(7, 5)).toBe(5);
    expect(await repo.purgeBatch(7, 5)).toBe(2);
    expect(await repo.purgeBatch(7, 5)).toBe(0);
  });

  it('only one process purges at a time', async () => {
    await seed([{ status: 'done', processedAgo: '8 days' }]);
    const held = await t.locks.tryAcquire('buffalo:outbox:retention');
    try {
      expect(await buildWorker(t, []).purgeRetention()).toBeNull();
    } finally {
      await held!.release();
    }
    expect(await buildWorker(t, []).purgeRetention()).toBe(1);
  });
});
