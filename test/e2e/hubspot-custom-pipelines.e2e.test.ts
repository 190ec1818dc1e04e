import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { TEST_API_KEY, type TestApp } from '../support/app.js';
import { HUBSPOT_TOKEN, bootHubspotApp, expectedWonCents, hubspotRuns } from '../support/hubspot-kit.js';
import { HubspotPipelinesService } from '../../src/connectors/hubspot/hubspot-pipelines.service.js';
import {
  CUSTOM_STAGE,
  generateHubSpotDataset,
  wonStageIds,
  type SimObject,
} from '../../scripts/sandbox/hubspot/hubspot-dataset.js';
import { startHubSpotSimulator, type HubSpotSimulator } from '../../scripts/sandbox/hubspot/hubspot-simulator.js';

const SECRET = 'hubspot-app-client-secret-0008';
const CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY'];

/**
 * Issue 8 end to end: a portal selling through custom pipelines (numeric stage ids, an archived
 * stage, a stage of a deleted pipeline). Two apps on two fresh databases see the same portal, one
 * only through a poll, the other only through webhooks; both must report the same HubSpot deal
 * revenue, equal to the one computed independently from the portal's pipelines and deals.
 */
describe('HubSpot revenue from every pipeline: a poll and webhooks give the same figure', () => {
  let sim: HubSpotSimulator;
  let polled: TestApp;
  let hooked: TestApp;
  const dataset = generateHubSpotDataset({
    seed: 23,
    deals: 180,
    contacts: 0,
    to: new Date(Date.now() - 10 * 86_400_000),
  });
  const polledFigures = new Map<string, unknown>();

  const get = (t: TestApp, path: string) => request(t.url).get(path).set('x-api-key', TEST_API_KEY);
  const pipelineCalls = () => sim.count('/crm/v3/pipelines/deals');
  const settle = async (t: TestApp) => {
    await hubspotRuns(t).drain();
    await t.app.get(HubspotPipelinesService).idle();
    await hubspotRuns(t).drain();
  };

  async function summary(t: TestApp, currency: string) {
    const res = await get(t, `/metrics/revenue/summary?source=hubspot&currency=${currency}&tz=UTC`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return { grossCents: res.body.grossCents, count: res.body.count, totalRevenueCents: res.body.totalRevenueCents };
  }

  /** Independent: live deals in stages the portal's pipelines call won, valid amounts, per currency. */
  function expectedSummary(deals: SimObject[], currency: string) {
    const won = wonStageIds(sim.state.pipelines);
    const e = expectedWonCents(deals, 'USD', won);
    const count = deals.filter(
      (d) =>
        !d.archived &&
        won.has(d.properties.dealstage ?? '') &&
        !e.invalid.includes(d.id) &&
        (d.properties.deal_currency_code || 'USD') === currency,
    ).length;
    const cents = (e.byCurrency.get(currency) ?? 0n).toString();
    return { grossCents: cents, count, totalRevenueCents: cents };
  }

  /** Gross per pipeline and currency, from the ledger rows (and the snapshot each was derived from). */
  const ledgerByPipeline = (t: TestApp) =>
    t.db.query<{ pipeline: string; currency: string; cents: string; n: number }>(
      `SELECT vendor_snapshot->'properties'->>'pipeline' AS pipeline, currency, sum(amount_cents)::text AS cents, count(*)::int AS n
         FROM payments WHERE source = 'hubspot' AND effect = 'gross' AND deleted_at IS NULL
        GROUP BY 1, 2 ORDER BY 1, 2`,
    );

  async function unmapped(t: TestApp) {
    const res = await get(t, '/metrics/unmapped-statuses?limit=50');
    expect(res.status).toBe(200);
    return res.body.statuses.map((s: { source: string; rawStatus: string }) => `${s.source}:${s.rawStatus}`);
  }

  beforeAll(async () => {
    sim = await startHubSpotSimulator({ accessToken: HUBSPOT_TOKEN, dataset });
    for (const d of dataset.deals.filter((x) => x.properties.pipeline !== 'default').slice(0, 3))
      sim.archive('deals', d.id, { at: Date.parse(d.properties.hs_lastmodifieddate!) + 1000 });
    [polled, hooked] = await Promise.all([bootHubspotApp(sim), bootHubspotApp(sim, { HUBSPOT_CLIENT_SECRET: SECRET })]);
  });
  afterAll(async () => {
    await polled?.close();
    await hooked?.close();
    await sim?.stop();
  });

  it('the portal has won deals in custom pipelines (so this test means something)', () => {
    const won = wonStageIds(sim.state.pipelines);
    const live = [...sim.state.objects.deals.values()].filter((d) => !d.archived && won.has(d.properties.dealstage!));
    expect(new Set(live.map((d) => d.properties.pipeline)).size).toBe(3);
    expect(sim.state.pipelines.some((p) => p.stages.some((s) => s.archived && won.has(s.id)))).toBe(true);
  });

  it('through a poll: a full sync reads the pipelines first, and deals in custom won stages count', async () => {
    const before = pipelineCalls();
    const run = await hubspotRuns(polled).run('deals', 'full');
    expect(run).toMatchObject({ status: 'succeeded', error: null });
    // Only the stage of the deleted pipeline is unexplained.
    expect(run.unmappedStatusesSeen).toEqual([CUSTOM_STAGE]);
    await settle(polled);
    expect(pipelineCalls() - before).toBe(1);

    const deals = [...sim.state.objects.deals.values()];
    for (const c of CURRENCIES) {
      const got = await summary(polled, c);
      expect(got, c).toEqual(expectedSummary(deals, c));
      polledFigures.set(c, got);
    }
    const perPipeline = await ledgerByPipeline(polled);
    expect(new Set(perPipeline.map((r) => r.pipeline))).toEqual(new Set(['default', '705209413', '705209414']));
    console.log('deal revenue per pipeline (poll):', JSON.stringify(perPipeline));
    polledFigures.set('perPipeline', perPipeline);

    expect(await unmapped(polled)).toEqual([`hubspot:${CUSTOM_STAGE}`]);
    const ready = await request(polled.url).get('/readyz');
    expect(ready.body.checks.hubspot).toMatchObject({
      ok: true,
      lastStatus: 'succeeded',
      pipelinesRefreshedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(ready.body.checks.hubspot.pipelinesError).toBeUndefined();
  });

  it('through webhooks only: deals in stages not known yet ask for one refresh, and the figures are the same', async () => {
    expect((await request(hooked.url).get('/readyz')).body.checks.hubspot).toMatchObject({
      pipelinesRefreshedAt: null,
    });
    const before = pipelineCalls();
    const events = [...sim.state.objects.deals.values()].map((d) =>
      d.archived
        ? { subscriptionType: 'deal.deletion', objectId: d.id, occurredAt: Date.parse(d.archivedAt!) }
        : { subscriptionType: 'deal.creation', objectId: d.id },
    );
    for (let i = 0; i < events.length; i += 100) {
      const res = await sim.sendWebhook(`${hooked.url}/webhooks/hubspot`, events.slice(i, i + 100), SECRET);
      expect(res.status).toBe(200);
    }
    await settle(hooked);
    expect(pipelineCalls() - before).toBe(1);

    for (const c of CURRENCIES) expect(await summary(hooked, c), c).toEqual(polledFigures.get(c));
    const perPipeline = await ledgerByPipeline(hooked);
    console.log('deal revenue per pipeline (webhooks):', JSON.stringify(perPipeline));
    expect(perPipeline).toEqual(polledFigures.get('perPipeline'));
    expect(await unmapped(hooked)).toEqual([`hubspot:${CUSTOM_STAGE}`]);
    expect((await request(hooked.url).get('/readyz')).body.checks.hubspot.pipelinesRefreshedAt).toMatch(
      /^\d{4}-\d\d-\d\dT/,
    );
  });

  it('a deal moved by webhook into a custom won stage counts once, in both apps, after a poll', async () => {
    const open = [...sim.state.objects.deals.values()].find(
      (d) => !d.archived && d.properties.dealstage === '1038560001',
    )!;
    sim.update('deals', open.id, {
      dealstage: '1038560002',
      amount: '321.09',
      deal_currency_code: 'GBP',
      closedate: new Date().toISOString(),
    });
    await sim.sendWebhook(
      `${hooked.url}/webhooks/hubspot`,
      [
        {
          subscriptionType: 'deal.propertyChange',
          objectId: open.id,
          propertyName: 'dealstage',
          propertyValue: '1038560002',
        },
      ],
      SECRET,
    );
    await settle(hooked);
    expect((await hubspotRuns(polled).run('deals')).status).toBe('succeeded');
    await settle(polled);
    const want = expectedSummary([...sim.state.objects.deals.values()], 'GBP');
    expect(BigInt(want.grossCents) - BigInt((polledFigures.get('GBP') as { grossCents: string }).grossCents)).toBe(
      32_109n,
    );
    expect(await summary(hooked, 'GBP')).toEqual(want);
    expect(await summary(polled, 'GBP')).toEqual(want);
  });
});
