import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import { HUBSPOT_TOKEN, bootHubspotApp, hubspotRuns } from '../support/hubspot-kit.js';
import { waitFor } from '../support/outbox-test-kit.js';
import { startHubSpotSimulator, type HubSpotSimulator } from '../../scripts/sandbox/hubspot/hubspot-simulator.js';
import { OutboxInsertRepository } from '../../src/outbox/outbox-insert.repository.js';
import type { OutboxInsert } from '../../src/outbox/outbox.types.js';
import { snapshotInsert, toHubspotObject } from '../../src/connectors/hubspot/hubspot.mappers.js';
import type { HubspotEntity } from '../../src/connectors/hubspot/hubspot.types.js';

const SECRET = 'hubspot-app-client-secret-0002';
/** timestamptz comes back from the driver as text: select it as canonical ISO instead. */
const iso = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${col}`;

function dealSnapshot(
  id: string,
  modified: string,
  props: Record<string, string | null> = {},
  archivedAt: string | null = null,
): OutboxInsert {
  return snapshot('deals', {
    id,
    properties: {
      dealname: `deal ${id}`,
      dealstage: 'closedwon',
      amount: '100.00',
      deal_currency_code: 'USD',
      closedate: '2026-05-01T00:00:00.000Z',
      hs_lastmodifieddate: modified,
      hs_object_id: id,
      ...props,
    },
    archived: archivedAt !== null,
    archivedAt,
  });
}

function snapshot(entity: HubspotEntity, raw: Record<string, unknown>): OutboxInsert {
  return snapshotInsert(
    entity,
    toHubspotObject({ createdAt: '2026-01-01T00:00:00.000Z', updatedAt: null, ...raw }),
    'poll',
  );
}

describe('HubSpot outbox handlers (real worker, real Postgres)', () => {
  let sim: HubSpotSimulator;
  let t: TestApp;
  let h: ReturnType<typeof hubspotRuns>;
  const insert = (rows: OutboxInsert[]) => t.db.tx((sql) => t.app.get(OutboxInsertRepository).insertMany(sql, rows));
  const payment = async (id: string) =>
    (
      await t.db.query<any>(
        `SELECT amount_cents, status, effect, ${iso('deleted_at')}, version_rank FROM payments WHERE source = 'hubspot' AND external_id = $1`,
        [id],
      )
    )[0];
  const contact = async (id: string) =>
    (
      await t.db.query<any>(
        `SELECT email, first_name, last_name, phone, lifecycle_stage, ${iso('deleted_at')} FROM contacts WHERE external_id = $1`,
        [id],
      )
    )[0];
  const outbox = async (key: string) =>
    (
      await t.db.query<any>(`SELECT status, failure_class, last_error FROM ingest_outbox WHERE dedupe_key = $1`, [key])
    )[0];

  beforeAll(async () => {
    sim = await startHubSpotSimulator({ accessToken: HUBSPOT_TOKEN });
    t = await bootHubspotApp(sim, { HUBSPOT_CLIENT_SECRET: SECRET, HUBSPOT_PORTAL_CURRENCY: 'EUR' });
    h = hubspotRuns(t);
  });
  afterAll(async () => {
    await t?.close();
    await sim?.stop();
  });

  it('an archived deal stays deleted when a late, older update arrives, in every delivery order', async () => {
    const v1 = (id: string) => dealSnapshot(id, '2026-05-01T10:00:00.000Z', { amount: '100.00' });
    const archived = (id: string) =>
      dealSnapshot(id, '2026-05-01T10:00:00.000Z', { amount: '100.00' }, '2026-05-03T00:00:00.000Z');
    const lateOlder = (id: string) => dealSnapshot(id, '2026-05-02T10:00:00.000Z', { amount: '250.00' });
    const orders = [
      [v1, archived, lateOlder],
      [archived, lateOlder, v1],
      [lateOlder, v1, archived],
    ];
    for (const [i, order] of orders.entries()) {
      const id = `70000000${i}`;
      for (const make of order) {
        await insert([make(id)]);
        await h.drain();
      }
      const p = await payment(id);
      expect(p.deleted_at).toBe('2026-05-03T00:00:00.000Z');
      expect(p.version_rank).toBe(1);
    }
    // A restore (newer modification) does bring it back.
    await insert([dealSnapshot('700000000', '2026-05-04T00:00:00.000Z', { amount: '300.00' })]);
    await h.drain();
    expect(await payment('700000000')).toMatchObject({ amount_cents: '30000', deleted_at: null, effect: 'gross' });
  });

  it('an archived contact is not resurrected by a late older update', async () => {
    const c = (modified: string, archivedAt: string | null, email: string) =>
      snapshot('contacts', {
        id: '800000001',
        properties: { email, firstname: 'Ada', lastmodifieddate: modified, hs_object_id: '800000001' },
        archived: archivedAt !== null,
        archivedAt,
      });
    await insert([c('2026-05-01T00:00:00.000Z', null, 'a@example.com')]);
    await insert([c('2026-05-01T00:00:00.000Z', '2026-05-05T00:00:00.000Z', 'a@example.com')]);
    await h.drain();
    await insert([c('2026-05-02T00:00:00.000Z', null, 'late@example.com')]);
    await h.drain();
    expect(await contact('800000001')).toMatchObject({
      email: 'a@example.com',
      deleted_at: '2026-05-05T00:00:00.000Z',
    });
  });

  it('a won deal with an unparsable amount is dead invalid_payload and the rest of its batch flows', async () => {
    const good1 = dealSnapshot('710000001', '2026-05-01T00:00:00.000Z', { amount: '1234.565' });
    const bad = dealSnapshot('710000002', '2026-05-01T00:00:00.000Z', { amount: 'abc' });
    const good2 = dealSnapshot('710000003', '2026-05-01T00:00:00.000Z', { amount: '0.10', deal_currency_code: null });
    await insert([good1, bad, good2]);
    await h.drain();
    expect(await outbox(bad.dedupeKey)).toMatchObject({
      status: 'dead',
      failure_class: 'invalid_payload',
      last_error: expect.stringMatching(/710000002.*amount/),
    });
    expect((await outbox(good1.dedupeKey)).status).toBe('done');
    expect((await outbox(good2.dedupeKey)).status).toBe('done');
    expect(await payment('710000001')).toMatchObject({ amount_cents: '123457', status: 'SUCCEEDED' });
    expect(await payment('710000002')).toBeUndefined();
    const [p3] = await t.db.query<any>(`SELECT currency, amount_cents FROM payments WHERE external_id = '710000003'`);
    expect(p3).toEqual({ currency: 'EUR', amount_cents: '10' });
  });

  describe('webhook events', () => {
    const webhookUrl = () => `${t.url}/webhooks/hubspot`;
    const webhookRows = async () =>
      t.db.query<any>(
        `SELECT dedupe_key, event_type, status, failure_class, last_error FROM ingest_outbox WHERE kind = 'hubspot.webhook' ORDER BY id`,
      );

    it('property changes fetch the current object once per batch; the snapshot becomes the record', async () => {
      const deal = sim.create('deals', {
        dealname: 'Webhook deal',
        dealstage: 'contractsent',
        amount: '10.00',
        deal_currency_code: 'USD',
        closedate: '2026-06-01T00:00:00.000Z',
      });
      sim.update('deals', deal.id, { dealstage: 'closedwon', amount: '99.99' });
      const reads = sim.count('/batch/read');
      const res = await sim.sendWebhook(
        webhookUrl(),
        [
          {
            subscriptionType: 'deal.propertyChange',
            objectId: deal.id,
            propertyName: 'dealstage',
            propertyValue: 'closedwon',
          },
          {
            subscriptionType: 'deal.propertyChange',
            objectId: deal.id,
            propertyName: 'amount',
            propertyValue: '99.99',
          },
        ],
        SECRET,
      );
      expect(res.body).toMatchObject({ stored: 2 });
      await h.drain();
      expect(sim.count('/batch/read') - reads).toBe(1);
      expect(await payment(deal.id)).toMatchObject({
        amount_cents: '9999',
        status: 'SUCCEEDED',
        effect: 'gross',
        deleted_at: null,
      });
      const [snap] = await t.db.query<any>(
        `SELECT origin, status FROM ingest_outbox WHERE kind = 'hubspot.deal' AND payload->>'id' = $1`,
        [deal.id],
      );
      expect(snap).toEqual({ origin: 'webhook', status: 'done' });
    });

    it('a deletion of an archived deal stores its archived snapshot and soft-deletes it', async () => {
      const deal = sim.create('deals', {
        dealname: 'To delete',
        dealstage: 'closedwon',
        amount: '5.00',
        closedate: '2026-06-01T00:00:00.000Z',
      });
      await sim.sendWebhook(webhookUrl(), [{ subscriptionType: 'deal.creation', objectId: deal.id }], SECRET);
      await h.drain();
      expect((await payment(deal.id)).deleted_at).toBeNull();
      const archivedAt = Date.now() + 5;
      sim.archive('deals', deal.id, { at: archivedAt });
      await sim.sendWebhook(
        webhookUrl(),
        [{ subscriptionType: 'deal.deletion', objectId: deal.id, occurredAt: archivedAt }],
        SECRET,
      );
      await h.drain();
      expect((await payment(deal.id)).deleted_at).toBe(new Date(archivedAt).toISOString());
    });

    it('a deletion of an object HubSpot no longer returns tombstones it; an older snapshot cannot recreate it', async () => {
      const deal = sim.create(
        'deals',
        { dealname: 'Purged', dealstage: 'closedwon', amount: '7.00', closedate: '2026-06-01T00:00:00.000Z' },
        { at: Date.parse('2026-06-02T00:00:00.000Z') },
      );
      const polledBefore = snapshot('deals', { ...sim.get('deals', deal.id)!, archived: false });
      sim.purge('deals', deal.id);
      await sim.sendWebhook(
        webhookUrl(),
        [{ subscriptionType: 'deal.deletion', objectId: deal.id, occurredAt: Date.parse('2026-06-03T00:00:00.000Z') }],
        SECRET,
      );
      await h.drain();
      expect(await payment(deal.id)).toMatchObject({ deleted_at: '2026-06-03T00:00:00.000Z', effect: 'none' });
      await insert([polledBefore]);
      await h.drain();
      expect(await payment(deal.id)).toMatchObject({ deleted_at: '2026-06-03T00:00:00.000Z', effect: 'none' });
    });

    it('a contact privacy deletion erases the personal fields', async () => {
      const c = sim.create('contacts', {
        email: 'gdpr@example.com',
        firstname: 'Gee',
        lastname: 'Dee',
        phone: '+15550000000',
        lifecyclestage: 'lead',
      });
      await sim.sendWebhook(webhookUrl(), [{ subscriptionType: 'contact.creation', objectId: c.id }], SECRET);
      await h.drain();
      expect((await contact(c.id)).email).toBe('gdpr@example.com');
      sim.purge('contacts', c.id);
      await sim.sendWebhook(webhookUrl(), [{ subscriptionType: 'contact.privacyDeletion', objectId: c.id }], SECRET);
      await h.drain();
      expect(await contact(c.id)).toMatchObject({
        email: null,
        first_name: null,
        last_name: null,
        phone: null,
        deleted_at: expect.any(String),
      });
    });

    it('unknown and association events are stored and marked ignored, never failed', async () => {
      await sim.sendWebhook(
        webhookUrl(),
        [
          { subscriptionType: 'ticket.creation', objectId: 1, eventId: 990001 },
          { subscriptionType: 'deal.associationChange', objectId: 1, eventId: 990002 },
          { subscriptionType: 'conversation.newMessage', objectId: 1, eventId: 990003 },
        ],
        SECRET,
      );
      await h.drain();
      const rows = (await webhookRows()).filter((r) => ['990001', '990002', '990003'].includes(r.dedupe_key));
      expect(rows.map((r) => r.status)).toEqual(['ignored', 'ignored', 'ignored']);
      expect(rows[0].last_error).toMatch(/unsupported subscription type "ticket.creation"/);
    });

    it('a rate-limited fetch is retried later (transient); an auth failure is classed auth; neither is lost', async () => {
      const deal = sim.create('deals', { dealname: 'Later', dealstage: 'closedlost', amount: '1' });
      sim.failNext(10, 429, 30, { path: /batch\/read/ });
      await sim.sendWebhook(
        webhookUrl(),
        [{ subscriptionType: 'deal.creation', objectId: deal.id, eventId: 990010 }],
        SECRET,
      );
      await h.drain();
      const row = (await webhookRows()).find((r) => r.dedupe_key === '990010');
      expect(row).toMatchObject({ status: 'error', failure_class: 'transient' });
      const [{ delay_s }] = await t.db.query<any>(
        `SELECT extract(epoch FROM available_at - now()) AS delay_s FROM ingest_outbox WHERE dedupe_key = '990010'`,
      );
      expect(Number(delay_s)).toBeGreaterThan(25); // Retry-After: 30 honoured by the worker's schedule
      sim.clearFailures();
      sim.setAccessToken('revoked');
      try {
        await sim.sendWebhook(
          webhookUrl(),
          [{ subscriptionType: 'deal.creation', objectId: deal.id, eventId: 990011 }],
          SECRET,
        );
        await h.drain();
        expect((await webhookRows()).find((r) => r.dedupe_key === '990011')).toMatchObject({
          status: 'error',
          failure_class: 'auth',
        });
      } finally {
        sim.setAccessToken(HUBSPOT_TOKEN);
      }
    });
  });
});

describe('HubSpot webhook → record latency with the in-process worker', () => {
  let sim: HubSpotSimulator;
  let t: TestApp;
  beforeAll(async () => {
    sim = await startHubSpotSimulator({ accessToken: HUBSPOT_TOKEN });
    t = await bootHubspotApp(sim, { HUBSPOT_CLIENT_SECRET: SECRET, WORKER: 'on', WORKER_POLL_MS: '60000' });
  });
  afterAll(async () => {
    await t?.close();
    await sim?.stop();
  });

  it('a signed deal webhook is in the ledger well within a second', async () => {
    const deal = sim.create('deals', {
      dealname: 'Fast',
      dealstage: 'closedwon',
      amount: '42.00',
      deal_currency_code: 'USD',
      closedate: '2026-06-01T00:00:00.000Z',
    });
    const t0 = performance.now();
    const res = await sim.sendWebhook(
      `${t.url}/webhooks/hubspot`,
      [{ subscriptionType: 'deal.creation', objectId: deal.id }],
      SECRET,
    );
    expect(res.status).toBe(200);
    await waitFor(
      async () => (await t.db.query(`SELECT 1 FROM payments WHERE external_id = $1`, [deal.id])).length > 0,
      2000,
      5,
    );
    const ms = performance.now() - t0;
    console.log(`hubspot webhook → ledger row: ${ms.toFixed(1)} ms`);
    expect(ms).toBeLessThan(1000);
  });
});
