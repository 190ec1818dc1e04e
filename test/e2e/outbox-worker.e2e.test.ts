import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { TEST_ADMIN_KEY, bootTestApp, type TestApp } from '../support/app.js';
import {
  LedgerTestHandler,
  insertOutbox,
  paymentInsert,
  waitFor,
  type TestPayment,
} from '../support/outbox-test-kit.js';
import { OutboxHandlerRegistry } from '../../src/outbox/outbox.handlers.js';
import type { OutboxKind } from '../../src/outbox/outbox.types.js';

/** A kind no vendor module registers, so this test owns its handler inside the real app. */
const TEST_KIND = 'test.ledger' as OutboxKind;
const charge = (i: number, amount = 1200): TestPayment => ({
  id: `ch_app${i}`,
  kind: 'charge',
  amount,
  currency: 'usd',
  created: 1_780_000_000 + i,
  status: 'succeeded',
  version: 1,
});

describe('the in-process worker of the app (WORKER=on)', () => {
  let t: TestApp;
  let failOnce = true;
  beforeAll(async () => {
    t = await bootTestApp({ WORKER: 'on', WORKER_POLL_MS: '60000' });
    t.app.get(OutboxHandlerRegistry).register(
      new LedgerTestHandler({
        kinds: [TEST_KIND],
        outcomeFor: (row) =>
          (row.payload as TestPayment).amount === 13 && failOnce
            ? { status: 'failed', failureClass: 'invalid_payload', error: 'amount 13 is cursed' }
            : undefined,
      }),
    );
  });
  afterAll(async () => t?.close());

  const statusOf = async (key: string) =>
    (await t.db.query<{ status: string }>('SELECT status FROM ingest_outbox WHERE dedupe_key = $1', [key]))[0]?.status;

  it('processes a committed row within a second, woken by NOTIFY', async () => {
    const ins = { ...paymentInsert(charge(1)), kind: TEST_KIND };
    const t0 = performance.now();
    await insertOutbox(t.db, [ins]);
    await waitFor(async () => (await statusOf(ins.dedupeKey)) === 'done', 1000, 5);
    console.log(`in-app outbox insert→done: ${(performance.now() - t0).toFixed(1)} ms`);
    const [p] = await t.db.query<any>(`SELECT amount_cents, status FROM payments WHERE external_id = 'ch_app1'`);
    expect(p).toEqual({ amount_cents: '1200', status: 'SUCCEEDED' });
  });

  it('a dead event redriven over HTTP is processed again by the running worker', async () => {
    const ins = { ...paymentInsert(charge(2, 13)), kind: TEST_KIND };
    await insertOutbox(t.db, [ins]);
    await waitFor(async () => (await statusOf(ins.dedupeKey)) === 'dead', 1000, 5);
    const [{ id }] = await t.db.query<{ id: string }>('SELECT id FROM ingest_outbox WHERE dedupe_key = $1', [
      ins.dedupeKey,
    ]);
    failOnce = false;
    const res = await request(t.url)
      .post(`/outbox/dead/${id}/redrive`)
      .set('X-Admin-Api-Key', TEST_ADMIN_KEY)
      .set('Idempotency-Key', randomUUID());
    expect(res.status).toBe(200);
    await waitFor(async () => (await statusOf(ins.dedupeKey)) === 'done', 1000, 5);
  });
});
