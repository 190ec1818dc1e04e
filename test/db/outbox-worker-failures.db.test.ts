import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openTestDb } from '../support/db.js';
import {
  LedgerTestHandler,
  buildWorker,
  insertOutbox,
  ledger,
  outboxRows,
  paymentInsert,
  type TestPayment,
} from '../support/outbox-test-kit.js';
import { OutboxRowError } from '../../src/outbox/outbox.failure.js';
import type { SightingsRepository } from '../../src/reconciler/sightings.repository.js';
import type { OutboxKind, OutboxRow } from '../../src/outbox/outbox.types.js';

const charge = (i: number): TestPayment => ({
  id: `ch_f${i}`,
  kind: 'charge',
  amount: 1000 + i,
  currency: 'usd',
  created: 1_780_000_000 + i,
  status: 'succeeded',
  version: 1,
});
const idOf = (row: OutboxRow) => (row.payload as TestPayment).id;

describe('outbox worker: failures, retries and dead letters', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  beforeAll(async () => {
    t = await openTestDb();
  });
  afterAll(async () => t?.close());
  beforeEach(async () => {
    await t.db.query('TRUNCATE ingest_outbox, payments');
  });
  /** Stands in for the clock: makes every backing-off row due now. */
  const timePasses = () => t.db.query(`UPDATE ingest_outbox SET available_at = now() WHERE status = 'error'`);

  it('a transient failure backs off with growing, jittered delays and succeeds later', async () => {
    await insertOutbox(
      t.db,
      [charge(1), charge(2)].map((c) => paymentInsert(c)),
    );
    let failuresLeft = 2;
    const handler = new LedgerTestHandler({
      outcomeFor: (row) =>
        idOf(row) === 'ch_f1' && failuresLeft-- > 0
          ? { status: 'failed', failureClass: 'transient', error: 'vendor timed out' }
          : undefined,
    });
    const w = buildWorker(t, [handler]);

    expect(await w.processBatch()).toMatchObject({ claimed: 2, processed: 1, failed: 1, dead: 0 });
    let [r1, r2] = await outboxRows(t.db);
    expect(r2.status).toBe('done');
    expect(r1).toMatchObject({
      status: 'error',
      attempts: 1,
      failure_class: 'transient',
      last_error: 'vendor timed out',
      locked_by: null,
    });
    expect(r1.delay_s).toBeGreaterThan(3.9); // 5 s ± 20 %
    expect(r1.delay_s).toBeLessThan(6.1);
    // Not due yet: nothing to claim.
    expect((await w.processBatch()).claimed).toBe(0);

    await timePasses();
    await w.processBatch();
    [r1] = await outboxRows(t.db);
    expect(r1).toMatchObject({ status: 'error', attempts: 2 });
    expect(r1.delay_s).toBeGreaterThan(23.9); // 30 s ± 20 %
    expect(r1.delay_s).toBeLessThan(36.1);

    await timePasses();
    expect(await w.drain()).toEqual({ processed: 1, failed: 0 });
    [r1] = await outboxRows(t.db);
    expect(r1).toMatchObject({ status: 'done', attempts: 3, failure_class: null, last_error: null });
    expect(await ledger(t.db)).toHaveLength(2);
  });

  it("honours a handler's retryAfterMs when it is longer than the schedule", async () => {
    await insertOutbox(t.db, [paymentInsert(charge(3))]);
    const w = buildWorker(t, [
      new LedgerTestHandler({
        outcomeFor: () => ({ status: 'failed', failureClass: 'transient', error: '429', retryAfterMs: 120_000 }),
      }),
    ]);
    await w.processBatch();
    const [r] = await outboxRows(t.db);
    expect(r.delay_s).toBeGreaterThan(119);
    expect(r.delay_s).toBeLessThan(121);
  });

  it('exhausting WORKER_MAX_ATTEMPTS parks the row as dead with retries_exhausted and the original reason', async () => {
    await insertOutbox(t.db, [paymentInsert(charge(4))]);
    const w = buildWorker(
      t,
      [
        new LedgerTestHandler({
          outcomeFor: () => ({ status: 'failed', failureClass: 'auth', error: 'HTTP 401 from vendor' }),
        }),
      ],
      { WORKER_MAX_ATTEMPTS: '3' },
    );
    for (let i = 0; i < 3; i++) {
      await timePasses();
      await w.processBatch();
    }
    const [r] = await outboxRows(t.db);
    expect(r).toMatchObject({
      status: 'dead',
      attempts: 3,
      failure_class: 'retries_exhausted',
      last_error: 'auth: HTTP 401 from vendor',
    });
    await timePasses();
    expect((await w.processBatch()).claimed).toBe(0);
  });

  it('invalid_payload goes dead at once while the rest of the batch flows', async () => {
    await insertOutbox(
      t.db,
      [1, 2, 3, 4, 5].map((i) => paymentInsert(charge(10 + i))),
    );
    const w = buildWorker(t, [
      new LedgerTestHandler({
        outcomeFor: (row) =>
          idOf(row) === 'ch_f13'
            ? { status: 'failed', failureClass: 'invalid_payload', error: 'amount is not a number' }
            : undefined,
      }),
    ]);
    expect(await w.drain()).toEqual({ processed: 4, failed: 1 });
    const rows = await outboxRows(t.db);
    expect(rows.map((r) => r.status)).toEqual(['done', 'done', 'dead', 'done', 'done']);
    expect(rows[2]).toMatchObject({
      attempts: 1,
      failure_class: 'invalid_payload',
      last_error: 'amount is not a number',
    });
    expect(await ledger(t.db)).toHaveLength(4);
  });

  it('a handler that throws is retried row by row so one poison row does not block the others', async () => {
    await insertOutbox(
      t.db,
      [1, 2, 3, 4, 5, 6].map((i) => paymentInsert(charge(20 + i))),
    );
    const handler = new LedgerTestHandler({ throwsOn: (row) => idOf(row) === 'ch_f24' });
    const w = buildWorker(t, [handler]);
    expect(await w.drain()).toEqual({ processed: 5, failed: 1 });
    const rows = await outboxRows(t.db);
    expect(rows.map((r) => r.status)).toEqual(['done', 'done', 'done', 'error', 'done', 'done']);
    expect(rows[3]).toMatchObject({ attempts: 1, failure_class: 'transient', last_error: 'poison row in batch' });
    // Each row was tried in the batch and once alone.
    expect([...handler.invocations.values()]).toEqual([2, 2, 2, 2, 2, 2]);
    expect(await ledger(t.db)).toHaveLength(5);
  });

  it('a thrown OutboxRowError keeps its failure class', async () => {
    await insertOutbox(t.db, [paymentInsert(charge(30))]);
    const handler = new LedgerTestHandler();
    handler.handle = async () => {
      throw new OutboxRowError('invalid_payload', 'payload is not an object');
    };
    await buildWorker(t, [handler]).drain();
    const [r] = await outboxRows(t.db);
    expect(r).toMatchObject({
      status: 'dead',
      failure_class: 'invalid_payload',
      last_error: 'payload is not an object',
    });
  });

  it('kinds without a handler, known or not, are dead as unsupported', async () => {
    await insertOutbox(t.db, [
      paymentInsert(charge(40), 'gcal.event'),
      paymentInsert(charge(41), 'stripe.mystery' as OutboxKind),
      paymentInsert(charge(42)),
    ]);
    const w = buildWorker(t, [new LedgerTestHandler()]);
    expect(await w.drain()).toEqual({ processed: 1, failed: 2 });
    const rows = await outboxRows(t.db);
    expect(rows.map((r) => [r.status, r.failure_class])).toEqual([
      ['dead', 'unsupported'],
      ['dead', 'unsupported'],
      ['done', null],
    ]);
    expect(rows[1].last_error).toBe('no handler for outbox kind "stripe.mystery"');
  });

  it('ignored rows are finished with their reason', async () => {
    await insertOutbox(t.db, [paymentInsert(charge(50))]);
    await buildWorker(t, [
      new LedgerTestHandler({
        outcomeFor: () => ({ status: 'ignored', reason: 'event type customer.created is not revenue' }),
      }),
    ]).drain();
    const [r] = await outboxRows(t.db);
    expect(r).toMatchObject({
      status: 'ignored',
      failure_class: null,
      last_error: 'event type customer.created is not revenue',
    });
  });

  it('a row whose lease expires on its last attempt goes dead instead of crashing workers forever', async () => {
    await insertOutbox(t.db, [paymentInsert(charge(60))]);
    await t.db.query(
      `UPDATE ingest_outbox SET status = 'running', attempts = 3, lease_until = now() - interval '1 second', locked_by = 'gone#1'`,
    );
    const w = buildWorker(t, [new LedgerTestHandler()], { WORKER_MAX_ATTEMPTS: '3' });
    expect(await w.sweepLeases()).toEqual({ requeued: 0, dead: 1, lockedBy: ['gone#1'] });
    const [r] = await outboxRows(t.db);
    expect(r).toMatchObject({ status: 'dead', failure_class: 'retries_exhausted', locked_by: null });
  });

  it('a failing webhook-sighting write (reconciliation bookkeeping) never holds the batch', async () => {
    await insertOutbox(
      t.db,
      [charge(7), charge(8)].map((c) => ({ ...paymentInsert(c), origin: 'webhook' as const })),
    );
    let calls = 0;
    const failing = {
      recordClaimed: () => {
        calls++;
        return Promise.reject(new Error('sightings table unavailable'));
      },
    } as unknown as SightingsRepository;
    const w = buildWorker(t, [new LedgerTestHandler()], {}, failing);
    expect(await w.processBatch()).toMatchObject({ claimed: 2, processed: 2, failed: 0, dead: 0 });
    expect(calls).toBe(1);
    expect((await outboxRows(t.db)).map((r) => r.status)).toEqual(['done', 'done']);
    expect(await ledger(t.db)).toHaveLength(2);
  });
});
