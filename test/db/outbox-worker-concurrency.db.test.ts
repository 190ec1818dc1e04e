import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb } from '../support/db.js';
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
  waitFor,
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
    let frozen!: () => void;
    const freeze = new Promise<void>((r) => (frozen = r));
    let wrote = 0;
    // The dying worker writes half of its batch to the ledger and then never returns.
    const dyingHandler = new LedgerTestHandler({
      outcomeFor: (row) => (Number(row.id) % 2 === 0 ? { status: 'done' } : undefined),
      afterWrite: async (rows) => {
        wrote = rows.length;
        await freeze;
      },
    });
    const dying = buildWorker(t, [dyingHandler], { WORKER_BATCH_SIZE: '40', WORKER_LEASE_MS: '1000' });
    const survivor = buildWorker(t, [new LedgerTestHandler()], { WORKER_LEASE_MS: '1000' });
    const dyingBatch = dying.processBatch();

    await waitFor(async () => wrote > 0, 5000);
    const claimed = (await outboxRows(t.db)).filter((r) => r.status === 'running');
    expect(claimed).toHaveLength(40);
    expect(new Set(claimed.map((r) => r.locked_by?.split('#')[0]))).toEqual(new Set([dying.workerId]));
    // Before the lease expires nothing is rescued.
    expect((await survivor.sweepLeases()).requeued).toBe(0);

    await sleep(1100);
    const swept = await survivor.sweepLeases();
    expect(swept).toEqual({ requeued: 40, dead: 0, lockedBy: [expect.stringContaining(dying.workerId)] });
    const drained = await survivor.drain();
    expect(drained).toEqual({ processed: stream.length, failed: 0 });

    // The dead worker wakes up late: its verdicts are fenced off and change nothing.
    frozen();
    const late = await dyingBatch;
    expect(late.processed + late.failed).toBe(0);

    const rows = await outboxRows(t.db);
    expect(rows.every((r) => r.status === 'done' && r.locked_by === null)).toBe(true);
    expect(rows.filter((r) => r.attempts === 2)).toHaveLength(40);
    expect(await ledger(t.db)).toEqual(reference);
  });
});
