import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openTestDb } from '../support/db.js';
import { testConfig } from '../support/outbox-test-kit.js';
import { OutboxInsertRepository } from '../../src/outbox/outbox-insert.repository.js';
import type { OutboxInsert, OutboxKind, OutboxRow } from '../../src/outbox/outbox.types.js';
import { SightingsRepository } from '../../src/reconciler/sightings.repository.js';
import type { Source } from '../../src/records/record.types.js';

/*
 * object_sightings, written where the outbox is written: polled rows on insert (duplicates too),
 * webhook rows when the worker claims them. Times are controlled: a claimed row carries its own
 * receipt time, a poll is "now" in the database, and the report takes its own "now".
 */

const GRACE_S = 300;
const unix = (iso: string) => Math.floor(Date.parse(iso) / 1000);

const charge = (id: string, createdIso: string) => ({
  id,
  object: 'charge',
  created: unix(createdIso),
  status: 'succeeded',
  captured: true,
});
const stripeEvent = (id: string, obj: object) => ({
  id,
  object: 'event',
  type: 'charge.succeeded',
  created: 1,
  data: { object: obj },
});

function claimed(kind: OutboxKind, payload: unknown, receivedAt: Date, source: Source = 'stripe'): OutboxRow {
  return {
    id: '1',
    source,
    kind,
    dedupeKey: 'x',
    origin: 'webhook',
    eventType: 'x',
    payload,
    attempts: 1,
    receivedAt,
    vendorTime: null,
  };
}

function polled(kind: OutboxKind, payload: unknown, dedupeKey: string, source: Source = 'stripe'): OutboxInsert {
  return { source, kind, dedupeKey, origin: 'poll', eventType: 'x.snapshot', payload, vendorTime: null };
}

describe('object_sightings: which path saw each object first', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  let sightings: SightingsRepository;
  let outbox: OutboxInsertRepository;
  const poll = (...rows: OutboxInsert[]) => t.db.tx((sql) => outbox.insertMany(sql, rows));
  const claim = (...rows: OutboxRow[]) => sightings.recordClaimed(t.db, rows);
  const dbNow = async () => new Date((await t.db.query<{ n: string }>('SELECT now() AS n'))[0].n);
  const row = async (objectType: string, externalId: string) =>
    (
      await t.db.query<any>(
        `SELECT vendor_created_at, created_exact, first_webhook_at, first_poll_at, first_path, scope
           FROM object_sightings WHERE object_type = $1 AND external_id = $2`,
        [objectType, externalId],
      )
    )[0];
  const counts = (source: Source, startDate: string, endDate: string, now: Date, tz = 'UTC') =>
    sightings.dayCounts(t.db, { source, startDate, endDate, tz, graceS: GRACE_S, now });

  beforeAll(async () => {
    t = await openTestDb();
    sightings = new SightingsRepository(testConfig({ RECONCILE_GRACE_S: String(GRACE_S) }));
    outbox = new OutboxInsertRepository(sightings);
  });
  afterAll(async () => t?.close());
  beforeEach(async () => {
    await t.db.query('TRUNCATE object_sightings, reconcile_push_marks, ingest_outbox');
  });

  it('webhook first, then poll: both, first path webhook; the grace decides pending vs pollOnly for the rest', async () => {
    const start = await dbNow();
    await claim(claimed('stripe.event', stripeEvent('evt_a', charge('ch_a', '2026-06-15T10:00:00Z')), start));
    await poll(
      polled('stripe.charge', charge('ch_a', '2026-06-15T10:00:00Z'), 'charge:ch_a:1'),
      polled('stripe.charge', charge('ch_b', '2026-06-15T11:00:00Z'), 'charge:ch_b:1'),
    );
    expect(await row('charge', 'ch_a')).toMatchObject({ first_path: 'webhook', created_exact: true });
    expect(await row('charge', 'ch_b')).toMatchObject({ first_path: 'poll', first_webhook_at: null });

    const now = await dbNow();
    expect(await counts('stripe', '2026-06-15', '2026-06-15', now)).toEqual([
      { date: '2026-06-15', both: 1, webhookOnly: 0, pollOnly: 0, pending: 1 },
    ]);
    const later = new Date(now.getTime() + (GRACE_S + 1) * 1000);
    expect(await counts('stripe', '2026-06-15', '2026-06-15', later)).toEqual([
      { date: '2026-06-15', both: 1, webhookOnly: 0, pollOnly: 1, pending: 0 },
    ]);
    const page = await sightings.missedPage(t.db, {
      source: 'stripe',
      startDate: '2026-06-15',
      endDate: '2026-06-15',
      tz: 'UTC',
      graceS: GRACE_S,
      now: later,
      limit: 10,
      after: null,
    });
    expect(page.items.map((m) => m.externalId)).toEqual(['ch_b']);
    expect(page.next).toBeNull();
  });

  it('a webhook within the grace after the poll makes it both; one later still counts as missed', async () => {
    await poll(
      polled('stripe.charge', charge('ch_in', '2026-06-15T10:00:00Z'), 'charge:ch_in:1'),
      polled('stripe.charge', charge('ch_late', '2026-06-15T10:00:00Z'), 'charge:ch_late:1'),
    );
    const polledAt = await dbNow();
    await claim(
      claimed(
        'stripe.event',
        stripeEvent('evt_in', charge('ch_in', '2026-06-15T10:00:00Z')),
        new Date(polledAt.getTime() + 60_000),
      ),
      claimed(
        'stripe.event',
        stripeEvent('evt_late', charge('ch_late', '2026-06-15T10:00:00Z')),
        new Date(polledAt.getTime() + (GRACE_S + 60) * 1000),
      ),
    );
    expect(await row('charge', 'ch_in')).toMatchObject({ first_path: 'poll' });
    const later = new Date(polledAt.getTime() + 3600_000);
    expect(await counts('stripe', '2026-06-15', '2026-06-15', later)).toEqual([
      { date: '2026-06-15', both: 1, webhookOnly: 0, pollOnly: 1, pending: 0 },
    ]);
  });

  it('a duplicate poll row (dedupe absorbed it) still counts as a poll sighting; repeats change nothing', async () => {
    const at = new Date('2026-06-15T10:00:05Z');
    await claim(claimed('stripe.event', stripeEvent('evt_d', charge('ch_d', '2026-06-15T10:00:00Z')), at));
    await t.db.query(
      `INSERT INTO ingest_outbox (source, kind, dedupe_key, origin, event_type, payload) VALUES ('stripe','stripe.event','evt_d','webhook','charge.succeeded','{}')`,
    );
    // The Events API poll returns the same event id: an outbox duplicate, but the poll saw it.
    const res = await poll({
      ...polled('stripe.event', stripeEvent('evt_d', charge('ch_d', '2026-06-15T10:00:00Z')), 'evt_d'),
    });
    expect(res.duplicates).toBe(1);
    const first = await row('charge', 'ch_d');
    expect(first.first_poll_at).not.toBeNull();
    expect(new Date(first.first_webhook_at).toISOString()).toBe(at.toISOString());
    await poll(polled('stripe.charge', charge('ch_d', '2026-06-15T10:00:00Z'), 'charge:ch_d:2'));
    await claim(claimed('stripe.event', stripeEvent('evt_d', charge('ch_d', '2026-06-15T10:00:00Z')), at));
    expect(await row('charge', 'ch_d')).toEqual(first);
  });

  it('embedded refunds of an old-version charge event are webhook sightings of the refunds', async () => {
    const c = {
      ...charge('ch_e', '2026-06-15T10:00:00Z'),
      refunds: { object: 'list', data: [{ id: 're_e', object: 'refund', created: unix('2026-06-16T09:00:00Z') }] },
    };
    await claim(claimed('stripe.event', stripeEvent('evt_e', c), new Date()));
    expect(await row('refund', 're_e')).toMatchObject({ first_path: 'webhook', created_exact: true });
    expect(new Date((await row('refund', 're_e')).vendor_created_at).toISOString()).toBe('2026-06-16T09:00:00.000Z');
  });

  it('HubSpot: a webhook knows only the id; the snapshot brings the creation day, which then stays', async () => {
    const occurredAt = Date.parse('2026-06-15T12:00:00Z');
    await claim(
      claimed(
        'hubspot.webhook',
        { subscriptionType: 'deal.creation', objectId: 42, occurredAt },
        new Date(occurredAt + 2000),
        'hubspot',
      ),
      claimed(
        'hubspot.webhook',
        { subscriptionType: 'company.creation', objectId: 7, occurredAt },
        new Date(),
        'hubspot',
      ),
    );
    expect(await row('deal', '42')).toMatchObject({ created_exact: false, first_path: 'webhook' });
    expect(await row('company', '7')).toBeUndefined();
    const snapshot = {
      id: '42',
      properties: { createdate: '2026-06-14T23:59:00Z', hs_lastmodifieddate: '2026-06-15T12:00:00Z' },
      createdAt: null,
      updatedAt: null,
      archived: false,
      archivedAt: null,
    };
    // The snapshot the worker fetched for the webhook is a webhook row too.
    await claim(claimed('hubspot.deal', snapshot, new Date(occurredAt + 3000), 'hubspot'));
    const r = await row('deal', '42');
    expect(r).toMatchObject({ created_exact: true });
    expect(new Date(r.vendor_created_at).toISOString()).toBe('2026-06-14T23:59:00.000Z');
    await claim(
      claimed(
        'hubspot.webhook',
        { subscriptionType: 'deal.creation', objectId: 42, occurredAt: occurredAt - 86_400_000 },
        new Date(),
        'hubspot',
      ),
    );
    expect(new Date((await row('deal', '42')).vendor_created_at).toISOString()).toBe('2026-06-14T23:59:00.000Z');
    await poll(polled('hubspot.deal', snapshot, 'deal:42:v1', 'hubspot'));
    expect(await counts('hubspot', '2026-06-14', '2026-06-15', await dbNow())).toEqual([
      { date: '2026-06-14', both: 1, webhookOnly: 0, pollOnly: 0, pending: 0 },
    ]);
  });

  it('Google Calendar: a push for the calendar after an event was created vouches for its listing, before or after it', async () => {
    const event = (cal: string, id: string, created: string) => ({
      calendarId: cal,
      event: { id, status: 'confirmed', created, updated: created },
    });
    const push = (cal: string, at: Date, resourceState = 'exists') =>
      claimed('gcal.notification', { channelId: 'c', calendarId: cal, resourceState, messageNumber: '1' }, at, 'gcal');
    const pushedAt = new Date(Date.now() - 60_000);
    await claim(push('a@x', pushedAt), push('c@x', pushedAt, 'sync'));
    await poll(
      polled('gcal.event', event('a@x', 'e1', new Date(pushedAt.getTime() - 5000).toISOString()), 'a1', 'gcal'),
      // Created after the last push of its calendar: no push announced it (yet).
      polled('gcal.event', event('a@x', 'e2', new Date(pushedAt.getTime() + 5000).toISOString()), 'a2', 'gcal'),
      polled('gcal.event', event('b@x', 'e1', new Date(pushedAt.getTime() - 5000).toISOString()), 'b1', 'gcal'),
      polled('gcal.event', event('c@x', 'e1', new Date(pushedAt.getTime() - 5000).toISOString()), 'c1', 'gcal'),
    );
    expect(await row('event', 'a@x/e1')).toMatchObject({ scope: 'a@x', first_path: 'webhook' });
    expect(await row('event', 'a@x/e2')).toMatchObject({ first_webhook_at: null });
    expect(await row('event', 'b@x/e1')).toMatchObject({ first_webhook_at: null });
    // The channel handshake ('sync') is not a change.
    expect(await row('event', 'c@x/e1')).toMatchObject({ first_webhook_at: null });

    // A push that arrives after the listing, within the grace, vouches for it too; one far later does not.
    const polledAt = await dbNow();
    await claim(push('a@x', new Date(polledAt.getTime() + 10_000)));
    await claim(push('b@x', new Date(polledAt.getTime() + (GRACE_S + 10) * 1000)));
    expect(await row('event', 'a@x/e2')).toMatchObject({ first_path: 'poll' });
    expect((await row('event', 'a@x/e2')).first_webhook_at).not.toBeNull();
    expect(await row('event', 'b@x/e1')).toMatchObject({ first_webhook_at: null });
  });

  it('days are cut in tz and counted on the vendor creation day', async () => {
    await poll(polled('stripe.charge', charge('ch_tz', '2026-06-15T23:30:00Z'), 'charge:ch_tz:1'));
    const now = new Date(Date.now() + 3600_000);
    expect(await counts('stripe', '2026-06-15', '2026-06-16', now, 'UTC')).toEqual([
      { date: '2026-06-15', both: 0, webhookOnly: 0, pollOnly: 1, pending: 0 },
    ]);
    expect(await counts('stripe', '2026-06-15', '2026-06-16', now, 'Europe/Berlin')).toEqual([
      { date: '2026-06-16', both: 0, webhookOnly: 0, pollOnly: 1, pending: 0 },
    ]);
    expect(await counts('stripe', '2026-06-15', '2026-06-15', now, 'Europe/Berlin')).toEqual([]);
  });

  it('missedWebhooks pages by (creation, type, id): ties on the creation time neither repeat nor skip', async () => {
    const rows = Array.from({ length: 7 }, (_, i) =>
      polled('stripe.charge', charge(`ch_p${i}`, '2026-06-15T10:00:00Z'), `charge:ch_p${i}:1`),
    );
    rows.push(
      polled('stripe.refund', { id: 're_p', object: 'refund', created: unix('2026-06-15T10:00:00Z') }, 'refund:re_p'),
    );
    await poll(...rows);
    const now = new Date(Date.now() + 3600_000);
    const seen: string[] = [];
    let after = null;
    do {
      const page: Awaited<ReturnType<SightingsRepository['missedPage']>> = await sightings.missedPage(t.db, {
        source: 'stripe',
        startDate: '2026-06-15',
        endDate: '2026-06-15',
        tz: 'UTC',
        graceS: GRACE_S,
        now,
        limit: 3,
        after,
      });
      seen.push(...page.items.map((m) => `${m.objectType}:${m.externalId}`));
      after = page.next;
    } while (after);
    expect(seen).toEqual([...rows.slice(0, 7).map((_, i) => `charge:ch_p${i}`), 'refund:re_p']);
  });
});
