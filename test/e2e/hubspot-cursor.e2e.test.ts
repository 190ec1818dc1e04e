import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import { HUBSPOT_TOKEN, bootHubspotApp, hubspotRuns, outboxKeys } from '../support/hubspot-kit.js';
import { startHubSpotSimulator, type HubSpotSimulator } from '../../scripts/sandbox/hubspot/hubspot-simulator.js';
import { generateHubSpotDataset } from '../../scripts/sandbox/hubspot/hubspot-dataset.js';
import { createHubspotApi } from '../../src/connectors/hubspot/hubspot.connection.js';
import { classifyHubspotError } from '../../src/connectors/hubspot/hubspot.errors.js';
import { forwardQuery } from '../../src/connectors/hubspot/hubspot.cursor.js';
import { ENTITY_SPECS } from '../../src/connectors/hubspot/hubspot.types.js';

/** Every current (id, version) of the simulator's live deals must be in the outbox. */
function expectAllCurrentVersions(sim: HubSpotSimulator, keys: Set<string>): void {
  const missing = [...sim.state.objects.deals.values()].filter(
    (d) => !d.archived && !keys.has(`deal:${d.id}:${d.properties.hs_lastmodifieddate}`),
  );
  expect(missing.map((d) => d.id)).toEqual([]);
}

describe('HubSpot cursor: same-millisecond ties', () => {
  let sim: HubSpotSimulator;
  let t: TestApp;
  let h: ReturnType<typeof hubspotRuns>;
  beforeAll(async () => {
    sim = await startHubSpotSimulator({ accessToken: HUBSPOT_TOKEN });
    t = await bootHubspotApp(sim, { HUBSPOT_PAGE_SIZE: '20' });
    h = hubspotRuns(t);
  });
  afterAll(async () => {
    await t?.close();
    await sim?.stop();
  });

  it('many objects modified in one millisecond (more than a page) are neither lost nor looped', async () => {
    await h.setCursor('deals', { v: 1, lastModified: '2026-01-01T00:00:00.000Z', lastId: '0' });
    const t1 = Date.parse('2026-03-01T12:00:00.000Z');
    // 67 objects at t1 (3+ pages of 20, returned by the simulator in a stable order that is NOT by id),
    // then 5 at t1 + 1 and 1 at t1 + 2.
    for (let i = 0; i < 67; i++)
      sim.create('deals', { dealname: `tie ${i}`, dealstage: 'appointmentscheduled', amount: '1' }, { at: t1 });
    for (let i = 0; i < 5; i++)
      sim.create('deals', { dealname: `next ${i}`, dealstage: 'closedlost', amount: '1' }, { at: t1 + 1 });
    const last = sim.create('deals', { dealname: 'last', dealstage: 'closedlost', amount: '1' }, { at: t1 + 2 });

    const run = await h.run('deals');
    expect(run.status).toBe('succeeded');
    const keys = await outboxKeys(t, 'hubspot.deal');
    expect(keys).toHaveLength(73);
    expect(new Set(keys).size).toBe(73);
    expectAllCurrentVersions(sim, new Set(keys));
    expect(run.counts.recordsDeduped).toBe(0);
    expect(await h.cursor('deals')).toEqual({ v: 1, lastModified: new Date(t1 + 2).toISOString(), lastId: last.id });

    const again = await h.run('deals');
    expect(again.counts).toMatchObject({ pagesFetched: 1, recordsFetched: 0, recordsUpserted: 0 });
  });

  it('a later object at the cursor millisecond with a higher id is picked up (inclusive with tie-break)', async () => {
    const cursor = (await h.cursor('deals')) as { lastModified: string; lastId: string };
    const sameMs = sim.create(
      'deals',
      { dealname: 'same ms', dealstage: 'closedlost', amount: '1' },
      { at: Date.parse(cursor.lastModified) },
    );
    expect(BigInt(sameMs.id)).toBeGreaterThan(BigInt(cursor.lastId));
    const run = await h.run('deals');
    expect(run.counts.recordsUpserted).toBe(1);
    expect(await h.cursor('deals')).toEqual({ v: 1, lastModified: cursor.lastModified, lastId: sameMs.id });
  });

  it('with a lookback the window is re-read as duplicates only, and the cursor never moves back', async () => {
    const before = await h.cursor('deals');
    const lookback = await bootHubspotApp(sim, { HUBSPOT_PAGE_SIZE: '20', HUBSPOT_SEARCH_LOOKBACK_S: '60' });
    try {
      const lh = hubspotRuns(lookback);
      await lh.setCursor('deals', before);
      const run = await lh.run('deals');
      expect(run.status).toBe('succeeded');
      expect(run.counts.recordsUpserted).toBe(74);
      expect(await lh.cursor('deals')).toEqual(before);
      const rerun = await lh.run('deals');
      expect(rerun.counts).toMatchObject({ recordsUpserted: 0, recordsDeduped: 74 });
    } finally {
      await lookback.close();
    }
  });
});

describe('HubSpot cursor: the 10,000-result search cap', () => {
  let sim: HubSpotSimulator;
  let t: TestApp;
  let h: ReturnType<typeof hubspotRuns>;
  const N = 10_250;
  beforeAll(async () => {
    sim = await startHubSpotSimulator({
      accessToken: HUBSPOT_TOKEN,
      dataset: generateHubSpotDataset({ seed: 3, deals: N, contacts: 0 }),
    });
    t = await bootHubspotApp(sim, { HUBSPOT_PAGE_SIZE: '200' });
    h = hubspotRuns(t);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await sim?.stop();
  });

  it('the simulator enforces the real cap: paging a query to after=10000 is a 400 the client classifies as search_cap', async () => {
    const api = createHubspotApi(t.config)!;
    const query = forwardQuery(ENTITY_SPECS.deals, { ms: 0, id: 0n }, 200);
    const first = await api.search('deals', query);
    expect(first.total).toBe(N);
    const err = await api.search('deals', { ...query, after: 10_000 }).catch((e: unknown) => e);
    expect((err as { code?: number }).code).toBe(400);
    expect(classifyHubspotError(err, { searchAfter: 10_000 }).errorClass).toBe('search_cap');
  });

  it(`an incremental run over ${N} modified deals gets every one of them without ever hitting the cap`, async () => {
    await h.setCursor('deals', { v: 1, lastModified: '2020-01-01T00:00:00.000Z', lastId: '0' });
    const cap400s = sim.count('/search', 400);
    const run = await h.run('deals');
    expect(run.status).toBe('succeeded');
    const keys = new Set(await outboxKeys(t, 'hubspot.deal'));
    expect(keys.size).toBe(N);
    expectAllCurrentVersions(sim, keys);
    expect(sim.count('/search', 400)).toBe(cap400s);
    const maxModified = Math.max(
      ...[...sim.state.objects.deals.values()].map((d) => Date.parse(d.properties.hs_lastmodifieddate!)),
    );
    expect((await h.cursor('deals')) as { lastModified: string }).toMatchObject({
      lastModified: new Date(maxModified).toISOString(),
    });
  }, 60_000);
});

describe('HubSpot search rate limit', () => {
  let sim: HubSpotSimulator;
  let t: TestApp;
  beforeAll(async () => {
    // The simulator refuses a 6th search within one second, as HubSpot does at ~5/s.
    sim = await startHubSpotSimulator({
      accessToken: HUBSPOT_TOKEN,
      dataset: generateHubSpotDataset({ seed: 11, deals: 150, contacts: 0 }),
      searchRateLimitPerS: 5,
    });
    t = await bootHubspotApp(sim, {
      HUBSPOT_PAGE_SIZE: '20',
      HUBSPOT_SEARCH_RATE_LIMIT_PER_S: '4',
      HUBSPOT_MAX_RETRIES: '0',
    });
  });
  afterAll(async () => {
    await t?.close();
    await sim?.stop();
  });

  it('an unthrottled client gets 429s from the simulator (the check below can fail)', async () => {
    const greedy = createHubspotApi(t.config, { searchRatePerS: 50, maxRetries: 0 })!;
    const query = forwardQuery(ENTITY_SPECS.deals, { ms: 0, id: 0n }, 10);
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => greedy.search('deals', query)));
    expect(results.some((r) => r.status === 'rejected' && (r.reason as { code?: number }).code === 429)).toBe(true);
    await new Promise((r) => setTimeout(r, 1100));
  });

  it('the connector paces search at HUBSPOT_SEARCH_RATE_LIMIT_PER_S and never trips the limit', async () => {
    const h = hubspotRuns(t);
    await h.setCursor('deals', { v: 1, lastModified: '2020-01-01T00:00:00.000Z', lastId: '0' });
    const before429 = sim.count('/search', 429);
    const t0 = Date.now();
    const run = await h.run('deals');
    expect(run.status).toBe('succeeded');
    expect(run.counts.pagesFetched).toBeGreaterThanOrEqual(8);
    expect(sim.count('/search', 429)).toBe(before429);
    expect(Date.now() - t0).toBeGreaterThanOrEqual((run.counts.pagesFetched - 1) * 250 - 50);
  });
});
