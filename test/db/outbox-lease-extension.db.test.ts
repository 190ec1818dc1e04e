import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { openTestDb } from '../support/db.js';
import { insertOutbox, paymentInsert, paymentStream } from '../support/outbox-test-kit.js';
import { OutboxRepository } from '../../src/outbox/outbox.repository.js';

/**
 * The worker's heartbeat extends its batch's lease while the same batch may be settling on another
 * connection. If the extension waited for row locks, the two updates could lock the batch's rows in
 * different orders and deadlock (CI saw it): it must skip locked rows instead of waiting.
 */
describe('outbox lease extension never waits for a row lock', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  let repo: OutboxRepository;
  beforeAll(async () => {
    t = await openTestDb();
    repo = new OutboxRepository(t.db);
    await insertOutbox(
      t.db,
      paymentStream(3, 7).map((p) => paymentInsert(p)),
    );
  });
  afterAll(async () => t?.close());

  it('extends the rows nobody holds and skips, without waiting, the one another transaction holds', async () => {
    const claimed = await repo.claim('w#1', 10, 60_000);
    expect(claimed).toHaveLength(3);
    const other = new pg.Client({ connectionString: t.url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT id FROM ingest_outbox WHERE id = $1 FOR UPDATE', [claimed[1].id]);
      const extended = await Promise.race([
        repo.extendLease('w#1', 60_000),
        new Promise<'waited'>((r) => setTimeout(() => r('waited'), 3_000)),
      ]);
      expect(extended).toBe(2);
      await other.query('ROLLBACK');
      expect(await repo.extendLease('w#1', 60_000)).toBe(3);
    } finally {
      await other.end();
    }
  });
});
