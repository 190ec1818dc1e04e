import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietPort } from '../support/ports.js';
import pg from 'pg';
import { openTestDb } from '../support/db.js';
import { Database } from '../../src/database/database.sql.js';
import { createOrm } from '../../src/database/database.orm.js';
import { HttpMetrics } from '../../src/common/http.metrics.js';
import { AppError } from '../../src/common/app.errors.js';
import { OutboxInsertRepository } from '../../src/outbox/outbox-insert.repository.js';
import type { OutboxInsert } from '../../src/outbox/outbox.types.js';
import { WebhookReceiver } from '../../src/webhooks/webhook-receiver.service.js';

const event = (id: string, vendorTime = new Date('2026-11-01T00:00:00Z')): OutboxInsert => ({
  source: 'stripe',
  kind: 'stripe.event',
  dedupeKey: id,
  origin: 'webhook',
  eventType: 'charge.succeeded',
  payload: { id, object: 'event' },
  vendorTime,
});

/**
 * Group commit of webhook receipts (issue 9): concurrent receipts share one INSERT and one commit,
 * yet each caller is answered for its own events, only after they are committed, and a failure
 * never acknowledges anything.
 */
describe('webhook group commit', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  let receiver: WebhookReceiver;
  let observer: pg.Pool;

  beforeAll(async () => {
    t = await openTestDb();
    receiver = new WebhookReceiver(t.db, new OutboxInsertRepository(), new HttpMetrics());
    observer = new pg.Pool({ connectionString: t.url, max: 4 });
  });
  afterAll(async () => {
    await observer.end();
    await t.close();
  });

  const stored = async (ids: string[]) =>
    Number(
      (
        await observer.query<{ n: string }>(
          `SELECT count(*) AS n FROM ingest_outbox WHERE source = 'stripe' AND dedupe_key = ANY($1)`,
          [ids],
        )
      ).rows[0].n,
    );

  it('answers every concurrent caller with its own outcome; copies inside one batch are duplicates', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `evt_gc_${i}`);
    await receiver.store('charge.succeeded', [event(ids[0])]);
    // Same tick: one batch. ids[0] was stored before, ids[1..] are new, and every third new id is sent twice.
    const calls = ids.flatMap((id, i) => (i > 0 && i % 3 === 0 ? [id, id] : [id]));
    const receipts = await Promise.all(
      calls.map(async (id) => {
        const r = await receiver.store('charge.succeeded', [event(id)]);
        // Acknowledged means committed: another connection sees the row at once.
        expect(await stored([id])).toBe(1);
        return { id, duplicate: r.duplicate };
      }),
    );
    const firstSeen = new Set<string>();
    for (const { id, duplicate } of receipts) {
      const expected = id === ids[0] || firstSeen.has(id);
      firstSeen.add(id);
      expect(duplicate, id).toBe(expected);
    }
    expect(await stored(ids)).toBe(ids.length);
  });

  it('a batched delivery (HubSpot style) counts only its own new events', async () => {
    await receiver.store('x', [event('evt_gc_b1')]);
    const [a, b] = await Promise.all([
      receiver.store('batch', [event('evt_gc_b1'), event('evt_gc_b2'), event('evt_gc_b3')], { batch: true }),
      receiver.store('batch', [event('evt_gc_b3'), event('evt_gc_b4')], { batch: true }),
    ]);
    expect(a).toMatchObject({ duplicate: false, stored: 2 });
    expect(b).toMatchObject({ duplicate: false, stored: 1 });
    const c = await receiver.store('batch', [event('evt_gc_b4'), event('evt_gc_b2')], { batch: true });
    expect(c).toMatchObject({ duplicate: true, stored: 0 });
  });

  it('a row the statement refuses fails only its own caller; the rest of the batch is stored', async () => {
    const poison = event('evt_gc_poison', new Date(Number.NaN));
    const results = await Promise.allSettled([
      receiver.store('ok', [event('evt_gc_p1')]),
      receiver.store('bad', [poison]),
      receiver.store('ok', [event('evt_gc_p2')]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const err = (results[1] as PromiseRejectedResult).reason as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.status).toBe(503);
    expect(await stored(['evt_gc_p1', 'evt_gc_p2', 'evt_gc_poison'])).toBe(2);
  });

  it('when the database is unavailable every caller of the batch gets 503 database_unavailable', async () => {
    const port = await quietPort();
    const orm = await createOrm(`postgres://buffalo:buffalo@127.0.0.1:${port}/buffalo`, 2, 500);
    try {
      const down = new WebhookReceiver(new Database(orm), new OutboxInsertRepository(), new HttpMetrics());
      const results = await Promise.allSettled(
        ['evt_gc_d1', 'evt_gc_d2', 'evt_gc_d3'].map((id) => down.store('x', [event(id)])),
      );
      for (const r of results) {
        expect(r.status).toBe('rejected');
        const e = (r as PromiseRejectedResult).reason as AppError;
        expect(e.status).toBe(503);
        expect(e.code).toBe('database_unavailable');
      }
    } finally {
      await orm.close(true).catch(() => undefined);
    }
  });
});
