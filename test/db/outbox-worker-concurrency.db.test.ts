import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb } from '../support/db.js';
import { OutboxRepository } from '../../src/outbox/outbox.repository.js';
import {
  LedgerTestHandler,
  buildWorker,
  insertOutbox,
  ledger,
  outboxRows,
  paymentInsert,
  paymentStream,
  rng,
  sleep,
} from '../support/outbox-test-kit.js';

type TestDb = Awaited<ReturnType<typeof openTestDb>>;

describe('outbox worker: concurrency and crash recovery', () => {
  const dbs: TestDb[] = [];
  const open = async () => {
    const t = await openTestDb();
    dbs.push(t);
    return t;
  };
  let reference: string[];
  const stream = paymentStream(300, 42).map((p) => paymentInsert(p));

  beforeAll(async () => {
    // The ledger a single worker produces from the stream: what every other scenario must equal.
    const t = await open();
    await insertOutbox(t.db, stream);
    const w = buildWorker(t, [new LedgerTestHandler()]);
    const r = await w.drain();
    expect(r).toEqual({ processed: stream.length, failed: 0 });
    reference = await ledger(t.db);
    expect(reference.length).toBe(300);
  });
  afterAll(async () => {
    await Promise.all(dbs.map((t) => t.close()));
  });

  it('two concurrent workers process every row exactly once', async () => {
    const t = await open();
    await insertOutbox(t.db, stream);
    const rand = rng(7);
    const handler = new LedgerTestHandler({ delayMs: () => Math.floor(rand() * 5) });
    const env = { WORKER_BATCH_SIZE: '7' };
    const a = buildWorker(t, [handler], env);
    const b = buildWorker(t, [handler], env);

    const [ra, rb] = await Promise.all([a.drain(), b.drain()]);

    expect(ra.failed + rb.failed).toBe(0);
    expect(ra.processed + rb.processed).toBe(stream.length);
    expect(ra.processed).toBeGreaterThan(0);
    expect(rb.processed).toBeGreaterThan(0);
    const rows = await outboxRows(t.db);
    expect(rows).toHaveLength(stream.length);
    for (const row of rows) {
      expect(row.status).toBe('done');
      expect(row.attempts).toBe(1);
      expect(handler.invocations.get(row.id)).toBe(1);
    }
    expect(handler.invocations.size).toBe(stream.length);
    expect(await ledger(t.db)).toEqual(reference);
  });

  it('a worker that dies mid-batch loses nothing: its lease expires, the sweeper requeues, another worker finishes', async () => {
    const t = await open();
    await insertOutbox(t.db, stream);
    const repo = new OutboxRepository(t.db);
    // The dying worker claims a batch, writes half of it to the ledger and is gone (no settle, no heartbeat).
    const deadToken = 'dead-host:1:abc#1';
    const claimed = await repo.claim(deadToken, 40, 1000);
    expect(claimed).toHaveLength(40);
    await new LedgerTestHandler().handle(
      claimed.filter((_, i) => i % 2 === 0),
      { db: t.db, workerId: deadToken },
    );

    const survivor = buildWorker(t, [new LedgerTestHandler()], { WORKER_LEASE_MS: '1000' });
    // Before the lease expires nothing is rescued and nothing of the batch can be claimed.
    expect((await survivor.sweepLeases()).requeued).toBe(0);
    await sleep(1100);
    expect(await survivor.sweepLeases()).toEqual({ requeued: 40, dead: 0, lockedBy: [deadToken] });
    expect(await survivor.drain()).toEqual({ processed: stream.length, failed: 0 });

    // Had the worker only been frozen, its late verdict would be fenced off by its claim token.
    expect(
      (
        await repo.settle(
          deadToken,
          claimed.map((r) => ({ id: r.id, status: 'dead', failureClass: 'transient', error: 'late', delayMs: null })),
        )
      ).size,
    ).toBe(0);

    const rows = await outboxRows(t.db);
    expect(rows.every((r) => r.status === 'done' && r.locked_by === null)).toBe(true);
    expect(
      rows
        .filter((r) => r.attempts === 2)
        .map((r) => r.id)
        .sort(),
    ).toEqual(claimed.map((r) => r.id).sort());
    expect(await ledger(t.db)).toEqual(reference);
  });

  it('a slow but alive worker keeps its lease: nobody else takes its batch', async () => {
    const t = await open();
    await insertOutbox(t.db, stream.slice(0, 5));
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => (entered = r));
    const slowHandler = new LedgerTestHandler({
      afterWrite: async () => {
        entered();
        await sleep(2500);
      },
    });
    const slow = buildWorker(t, [slowHandler], { WORKER_LEASE_MS: '1000' });
    const other = buildWorker(t, [new LedgerTestHandler()], { WORKER_LEASE_MS: '1000' });
    const slowRun = slow.processBatch();
    await inHandler;
    await sleep(1500); // past the original lease
    expect(await other.sweepLeases()).toMatchObject({ requeued: 0, dead: 0 });
    expect(await other.drain()).toEqual({ processed: 0, failed: 0 });
    expect(await slowRun).toMatchObject({ claimed: 5, processed: 5, failed: 0 });
    expect((await outboxRows(t.db)).map((r) => [r.status, r.attempts])).toEqual(Array(5).fill(['done', 1]));
  });
});
