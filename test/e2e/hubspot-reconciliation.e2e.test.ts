import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { TEST_API_KEY, type TestApp } from '../support/app.js';
import { bootHubspotApp, HUBSPOT_TOKEN, hubspotRuns } from '../support/hubspot-kit.js';
import { startHubSpotSimulator, type HubSpotSimulator } from '../../scripts/sandbox/hubspot/hubspot-simulator.js';
import { HubspotDeletionSweep } from '../../src/connectors/hubspot/hubspot-deletions.sweep.js';

/*
 * HubSpot through the real paths: webhooks carry ids only (the worker fetches the deal, which
 * counts as webhook evidence), a lost creation webhook shows up as missed once a poll finds the
 * deal, and a deal deleted while its webhook was lost leaves revenue after the deletion sweep.
 */

const SECRET = 'hubspot-reconcile-secret-0001';
const GRACE_S = 60;

describe('HubSpot: reconciliation of webhooks and polls, and deletions healed by the sweep', () => {
  let sim: HubSpotSimulator;
  let t: TestApp;
  let runs: ReturnType<typeof hubspotRuns>;
  const deals: string[] = [];
  let today: string;

  const revenue = async () =>
    (
      await request(t.url)
        .get('/metrics/revenue/summary?source=hubspot&currency=USD')
        .set('x-api-key', TEST_API_KEY)
        .expect(200)
    ).body as { grossCents: string; count: number };
  const report = async () =>
    (
      await request(t.url)
        .get(`/reconciliation?source=hubspot&startDate=${today}&endDate=${today}`)
        .set('x-api-key', TEST_API_KEY)
        .expect(200)
    ).body;

  beforeAll(async () => {
    sim = await startHubSpotSimulator({ accessToken: HUBSPOT_TOKEN });
    t = await bootHubspotApp(sim, { HUBSPOT_CLIENT_SECRET: SECRET, RECONCILE_GRACE_S: String(GRACE_S) });
    runs = hubspotRuns(t);
    const closedate = new Date().toISOString();
    for (const amount of ['100.00', '200.00', '300.00'])
      deals.push(
        sim.create('deals', {
          dealname: `deal ${amount}`,
          amount,
          dealstage: 'closedwon',
          pipeline: 'default',
          closedate,
          deal_currency_code: 'USD',
        }).id,
      );
    today = closedate.slice(0, 10);
  });
  afterAll(async () => {
    await t?.close();
    await sim?.stop();
  });

  it('a lost creation webhook is pending, then missed; delivered ones are both', async () => {
    // Deals 0 and 1 arrive by webhook (the worker fetches them); deal 2's webhook is lost.
    const delivery = await sim.sendWebhook(
      `${t.url}/webhooks/hubspot`,
      deals.slice(0, 2).map((id) => ({ subscriptionType: 'deal.creation', objectId: Number(id) })),
      SECRET,
    );
    expect(delivery.status).toBe(200);
    await runs.drain();
    expect((await report()).totals).toEqual({ both: 0, webhookOnly: 2, pollOnly: 0, pending: 0 });

    expect((await runs.run('deals')).status).toBe('succeeded');
    await runs.drain();
    expect((await report()).totals).toEqual({ both: 2, webhookOnly: 0, pollOnly: 0, pending: 1 });
    expect((await revenue()).count).toBe(3);

    await t.db.query(
      `UPDATE object_sightings SET first_poll_at = first_poll_at - interval '${GRACE_S + 1} seconds', first_webhook_at = first_webhook_at - interval '${GRACE_S + 1} seconds'`,
    );
    const after = await report();
    expect(after.totals).toEqual({ both: 2, webhookOnly: 0, pollOnly: 1, pending: 0 });
    expect(after.missedWebhooks).toEqual([
      { objectType: 'deal', externalId: deals[2], firstPolledAt: expect.any(String) },
    ]);
  });

  it('a deal deleted while its webhook was lost stays in revenue until the deletion sweep heals it', async () => {
    const before = await revenue();
    expect(before).toMatchObject({ grossCents: '60000', count: 3 });
    // Deleted in HubSpot; the deletion webhook never arrives. Incremental search cannot see it.
    sim.archive('deals', deals[1]);
    expect((await runs.run('deals')).status).toBe('succeeded');
    await runs.drain();
    expect(await revenue()).toMatchObject({ grossCents: '60000', count: 3 });

    // An archived deal the ledger never had is listed, not written.
    const stranger = sim.create('deals', { dealname: 'never synced', amount: '1', dealstage: 'closedwon' });
    sim.archive('deals', stranger.id);

    const sweep = t.app.get(HubspotDeletionSweep);
    expect(await sweep.sweep()).toEqual({ listed: { deals: 2, contacts: 0 }, healed: { deals: 1, contacts: 0 } });
    await runs.drain();
    expect(await revenue()).toMatchObject({ grossCents: '40000', count: 2 });
    const [row] = await t.db.query<{ deleted_at: string | null }>(
      `SELECT deleted_at FROM payments WHERE source = 'hubspot' AND external_id = $1`,
      [deals[1]],
    );
    expect(row.deleted_at).not.toBeNull();
    expect(
      await t.db.query(`SELECT 1 FROM payments WHERE source = 'hubspot' AND external_id = $1`, [stranger.id]),
    ).toEqual([]);
    // The archived object is kept as evidence, like any polled snapshot.
    const [evidence] = await t.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ingest_outbox WHERE kind = 'hubspot.deal' AND dedupe_key LIKE $1`,
      [`deal:${deals[1]}:%:archived:%`],
    );
    expect(Number(evidence.n)).toBe(1);

    // Healed deletions are not healed twice.
    expect(await sweep.sweep()).toEqual({ listed: { deals: 2, contacts: 0 }, healed: { deals: 0, contacts: 0 } });
  });

  it('contacts heal the same way', async () => {
    const contact = sim.create('contacts', { email: 'gone@example.com', firstname: 'Gone' });
    expect((await runs.run('contacts')).status).toBe('succeeded');
    await runs.drain();
    sim.archive('contacts', contact.id);
    const sweep = t.app.get(HubspotDeletionSweep);
    expect((await sweep.sweep())?.healed).toEqual({ deals: 0, contacts: 1 });
    await runs.drain();
    const [row] = await t.db.query<{ deleted_at: string | null }>(
      `SELECT deleted_at FROM contacts WHERE source = 'hubspot' AND external_id = $1`,
      [contact.id],
    );
    expect(row.deleted_at).not.toBeNull();
  });
});
