import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toRecord, type TestPayment } from '../support/outbox-test-kit.js';
import { charge, openReconcilerDb, refund } from '../support/reconciler-kit.js';
import { lockKey } from '../../src/database/database.locks.js';
import { OutboxRepository } from '../../src/outbox/outbox.repository.js';
import { PaymentsRepository } from '../../src/records/payments.repository.js';
import { OrphansRepository } from '../../src/reconciler/orphans.repository.js';
import { ReconcilerService } from '../../src/reconciler/reconciler.service.js';

/*
 * Seed 002: a link appends a record and deletes no evidence; the audit refuses to be rewritten;
 * given-up children stay visible; Google Calendar occurrences wait for their series master; the
 * retention purge keeps the payload of every child still waiting.
 */

describe('orphans: append-only audit, every child-before-parent case, retention holds', () => {
  let t: Awaited<ReturnType<typeof openReconcilerDb>>['t'];
  let orphans: OrphansRepository;
  let reconciler: ReconcilerService;
  const payments = new PaymentsRepository();

  beforeAll(async () => {
    ({ t, orphans, reconciler } = await openReconcilerDb());
  });
  afterAll(async () => t?.close());
  beforeEach(async () => {
    await t.db.query('TRUNCATE payments, payment_orphans, events, ingest_outbox');
  });

  const store = (outboxId: string, ...ps: TestPayment[]) =>
    t.db.tx((sql) => payments.upsertMany(sql, ps.map(toRecord), outboxId));
  const age = (table: 'payments' | 'events', column: string, id: string, ago: string) =>
    t.db.query(`UPDATE ${table} SET created_at = now() - $2::interval WHERE ${column} = $1`, [id, ago]);
  const audit = () =>
    t.db.query<{ id: string; external_id: string; event: string; reason: string | null }>(
      'SELECT id::text AS id, external_id, event, reason FROM orphan_events o ORDER BY o.id',
    );
  const stateRows = () =>
    t.db.query<{ external_id: string; linked: boolean; given_up: boolean }>(
      `SELECT external_id, linked_at IS NOT NULL AS linked, given_up_at IS NOT NULL AS given_up FROM payment_orphans ORDER BY external_id`,
    );
  const calendarEvent = (
    calendarId: string,
    eventId: string,
    recurringEventId: string | null,
    outboxId: string | null,
  ) =>
    t.db.query(
      `INSERT INTO events (calendar_id, event_id, status, recurring_event_id, version_at, outbox_id)
       VALUES ($1, $2, 'confirmed', $3, now(), $4::bigint)`,
      [calendarId, eventId, recurringEventId, outboxId],
    );

  it('the audit refuses UPDATE, DELETE and TRUNCATE', async () => {
    await store('1', refund('re_x', 'ch_x'));
    await age('payments', 'external_id', 're_x', '5 minutes');
    await reconciler.sweep();
    expect((await audit()).map((e) => e.event)).toEqual(['flagged']);
    await expect(t.db.query(`UPDATE orphan_events SET event = 'linked'`)).rejects.toThrow(/append-only/);
    await expect(t.db.query(`DELETE FROM orphan_events`)).rejects.toThrow(/append-only/);
    await expect(t.db.query(`TRUNCATE orphan_events`)).rejects.toThrow(/append-only/);
    expect((await audit()).map((e) => e.event)).toEqual(['flagged']);
  });

  it('a link adds a record and deletes none: flagged → linked, the orphan row stays, nothing shrinks', async () => {
    const before = (await audit()).length;
    await store('2', refund('re_l', 'ch_l'));
    await age('payments', 'external_id', 're_l', '5 minutes');
    expect(await reconciler.sweep()).toMatchObject({ scanned: 1, flagged: 1, linked: 0 });
    const afterFlag = await audit();
    await store('3', charge('ch_l'));
    expect(await reconciler.sweep()).toMatchObject({ scanned: 1, flagged: 0, linked: 1 });
    const afterLink = await audit();
    // Append-only: the earlier entries are still there, unchanged, and one more follows.
    expect(afterLink.slice(0, afterFlag.length)).toEqual(afterFlag);
    expect(afterLink.slice(before).map((e) => [e.external_id, e.event, e.reason])).toEqual([
      ['re_l', 'flagged', null],
      ['re_l', 'linked', 'parent_arrived'],
    ]);
    expect(await stateRows()).toEqual([{ external_id: 're_l', linked: true, given_up: false }]);
    expect(await orphans.states(t.db, 'stripe')).toEqual({ open: 0, linked: 1, givenUp: 0 });
    // A linked child is done: later sweeps neither scan it nor log it again.
    expect(await reconciler.sweep()).toMatchObject({ scanned: 0, linked: 0 });
    expect((await orphans.history('stripe', 're_l')).map((e) => e.event)).toEqual(['flagged', 'linked']);
  });

  it('gives up visibly after seven days, and a parent arriving later still links it', async () => {
    await store('4', refund('re_g', 'ch_g'));
    await age('payments', 'external_id', 're_g', '8 days');
    const r = await reconciler.sweep();
    expect(r).toMatchObject({ flagged: 1, givenUp: [{ externalId: 're_g', parentExternalId: 'ch_g' }] });
    expect(await orphans.states(t.db, 'stripe')).toEqual({ open: 0, linked: 0, givenUp: 1 });
    expect(await orphans.givenUp(10)).toMatchObject({ count: 1, orphans: [{ externalId: 're_g', kind: 'refund' }] });
    await store('5', charge('ch_g'));
    await reconciler.sweep();
    expect((await orphans.history('stripe', 're_g')).map((e) => e.event)).toEqual(['flagged', 'given_up', 'linked']);
    expect(await orphans.states(t.db, 'stripe')).toEqual({ open: 0, linked: 1, givenUp: 0 });
    expect((await orphans.givenUp(10)).count).toBe(0);
  });

  it('a child deleted while it waits is settled as child_deleted', async () => {
    await store('6', refund('re_d', 'ch_d'));
    await age('payments', 'external_id', 're_d', '5 minutes');
    await reconciler.sweep();
    await t.db.query(`UPDATE payments SET deleted_at = now() WHERE external_id = 're_d'`);
    expect(await reconciler.sweep()).toMatchObject({ linked: 1 });
    expect((await orphans.history('stripe', 're_d')).map((e) => [e.event, e.reason])).toEqual([
      ['flagged', null],
      ['linked', 'child_deleted'],
    ]);
  });

  it('Google Calendar: an exception occurrence waits for its series master (per calendar)', async () => {
    await calendarEvent('team@x', 'series_20260601T100000Z', 'series', '7');
    await calendarEvent('team@x', 'fresh_20260601T100000Z', 'fresh', null);
    // The same series id in another calendar does not count as this calendar's master.
    await calendarEvent('other@x', 'series', null, null);
    await age('events', 'event_id', 'series_20260601T100000Z', '5 minutes');
    const r = await reconciler.sweep();
    expect(r).toMatchObject({ flagged: 1 });
    const [o] = await t.db.query<any>(
      `SELECT source, external_id, kind, parent_external_id, outbox_id FROM payment_orphans WHERE source = 'gcal'`,
    );
    expect(o).toEqual({
      source: 'gcal',
      external_id: 'team@x/series_20260601T100000Z',
      kind: 'occurrence',
      parent_external_id: 'team@x/series',
      outbox_id: '7',
    });
    await calendarEvent('team@x', 'series', null, null);
    expect(await reconciler.sweep()).toMatchObject({ linked: 1 });
    expect(await orphans.states(t.db, 'gcal')).toEqual({ open: 0, linked: 1, givenUp: 0 });
    expect((await orphans.history('gcal', 'team@x/series_20260601T100000Z')).map((e) => e.reason)).toEqual([
      null,
      'parent_arrived',
    ]);
  });

  it('retention keeps the payloads of waiting and given-up children, not of linked ones', async () => {
    const ids: string[] = [];
    for (const key of ['p_open', 'p_given_up', 'p_linked', 'p_plain']) {
      const [row] = await t.db.query<{ id: string }>(
        `INSERT INTO ingest_outbox (source, kind, dedupe_key, origin, event_type, payload, status, processed_at)
         VALUES ('stripe','stripe.refund',$1,'poll','refund.snapshot','{}','done', now() - interval '30 days') RETURNING id::text AS id`,
        [key],
      );
      ids.push(row.id);
    }
    await store(ids[0], refund('re_open', 'ch_o'));
    await store(ids[1], refund('re_old', 'ch_old'));
    await store(ids[2], refund('re_lnk', 'ch_lnk'));
    await age('payments', 'external_id', 're_open', '5 minutes');
    await age('payments', 'external_id', 're_old', '8 days');
    await age('payments', 'external_id', 're_lnk', '5 minutes');
    await reconciler.sweep();
    await store('99', charge('ch_lnk'));
    await reconciler.sweep();
    const held = await orphans.heldOutboxIds();
    expect(held.sort()).toEqual([ids[0], ids[1]].sort());
    await new OutboxRepository(t.db).purgeBatch(7, 100, held);
    const left = await t.db.query<{ dedupe_key: string }>('SELECT dedupe_key FROM ingest_outbox ORDER BY dedupe_key');
    expect(left.map((r) => r.dedupe_key)).toEqual(['p_given_up', 'p_open']);
  });

  it('a manual sweep waits for one running elsewhere instead of skipping', async () => {
    await store('8', refund('re_w', 'ch_w'));
    await age('payments', 'external_id', 're_w', '5 minutes');
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
    const manual = reconciler.sweep({ wait: true });
    await new Promise((r) => setTimeout(r, 100));
    release();
    await other;
    expect(await manual).toMatchObject({ flagged: 1 });
  });
});
