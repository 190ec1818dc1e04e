import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import { HUBSPOT_TOKEN, bootHubspotApp, expectedWonCents, hubspotRuns, outboxKeys } from '../support/hubspot-kit.js';
import { startHubSpotSimulator, type HubSpotSimulator } from '../../scripts/sandbox/hubspot/hubspot-simulator.js';
import { CUSTOM_STAGE, generateHubSpotDataset } from '../../scripts/sandbox/hubspot/hubspot-dataset.js';

describe('HubSpot sync through the SDK against the simulator', () => {
  let sim: HubSpotSimulator;
  let t: TestApp;
  let h: ReturnType<typeof hubspotRuns>;
  const dataset = generateHubSpotDataset({ seed: 7, deals: 240, contacts: 60 });

  beforeAll(async () => {
    sim = await startHubSpotSimulator({ accessToken: HUBSPOT_TOKEN, dataset });
    // Two deals are archived before the first sync: they must arrive as deletions.
    sim.archive('deals', dataset.deals[0].id);
    sim.archive('deals', dataset.deals[1].id);
    t = await bootHubspotApp(sim, { HUBSPOT_PAGE_SIZE: '100', HUBSPOT_PORTAL_CURRENCY: 'USD' });
    h = hubspotRuns(t);
  });
  afterAll(async () => {
    await t?.close();
    await sim?.stop();
  });

  it('first incremental run without a cursor backfills in full (live and archived) and sets a position cursor', async () => {
    const run = await h.run('deals');
    expect(run).toMatchObject({
      status: 'succeeded',
      mode: 'incremental',
      entity: 'deals',
      fullBackfillTriggered: true,
      error: null,
    });
    expect(run.counts.recordsFetched).toBe(240);
    expect(run.counts.recordsUpserted).toBe(240);
    expect(run.unmappedStatusesSeen).toContain(CUSTOM_STAGE);
    expect(new Set(await outboxKeys(t, 'hubspot.deal')).size).toBe(240);
    const cursor = (await h.cursor('deals')) as { v: number; lastModified: string; lastId: string };
    expect(cursor).toMatchObject({ v: 1, lastId: '0' });
    expect(Date.parse(cursor.lastModified)).toBeLessThan(Date.now());
    // The list endpoint's `after` token is never stored as the cursor.
    expect(JSON.stringify(cursor)).not.toMatch(/after/);
  });

  it('processing yields exactly the independently computed revenue; bad won amounts are dead and block nothing', async () => {
    await h.drain();
    const expected = expectedWonCents(sim.state.objects.deals.values(), 'USD');
    const rows = await t.db.query<{ currency: string; cents: string; n: string }>(
      `SELECT currency, sum(amount_cents) AS cents, count(*) AS n FROM payments
        WHERE source = 'hubspot' AND effect = 'gross' AND deleted_at IS NULL GROUP BY currency`,
    );
    const got = new Map(rows.map((r) => [r.currency, BigInt(r.cents)]));
    expect(got).toEqual(expected.byCurrency);
    expect(rows.reduce((s, r) => s + Number(r.n), 0)).toBe(expected.count);
    expect(expected.invalid.length).toBeGreaterThan(0);

    const dead = await t.db.query<{ payload: { id: string }; failure_class: string }>(
      `SELECT payload, failure_class FROM ingest_outbox WHERE kind = 'hubspot.deal' AND status = 'dead'`,
    );
    expect(dead.map((d) => d.payload.id).sort()).toEqual([...expected.invalid].sort());
    expect(dead.every((d) => d.failure_class === 'invalid_payload')).toBe(true);
    const [{ n: notDone }] = await t.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ingest_outbox WHERE kind = 'hubspot.deal' AND status NOT IN ('done', 'dead')`,
    );
    expect(notDone).toBe('0');

    const archived = await t.db.query<{ external_id: string; deleted_at: Date | null }>(
      `SELECT external_id, deleted_at FROM payments WHERE external_id = ANY($1::text[])`,
      [[dataset.deals[0].id, dataset.deals[1].id]],
    );
    expect(archived).toHaveLength(2);
    expect(archived.every((r) => r.deleted_at !== null)).toBe(true);
    const [{ n: unknown }] = await t.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM payments WHERE status = 'UNKNOWN' AND raw_status = $1`,
      [CUSTOM_STAGE],
    );
    expect(Number(unknown)).toBeGreaterThan(0);
  });

  it('an update to an OLD deal is seen by the next incremental run', async () => {
    const oldest = [...sim.state.objects.deals.values()]
      .filter((d) => !d.archived)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0];
    sim.update('deals', oldest.id, {
      dealstage: 'closedwon',
      amount: '777.77',
      deal_currency_code: 'EUR',
      closedate: '2026-06-01T00:00:00.000Z',
    });
    const run = await h.run('deals');
    expect(run).toMatchObject({ status: 'succeeded', fullBackfillTriggered: false });
    expect(run.counts.recordsUpserted).toBe(1);
    await h.drain();
    const [p] = await t.db.query<any>(`SELECT amount_cents, currency, status FROM payments WHERE external_id = $1`, [
      oldest.id,
    ]);
    expect(p).toEqual({ amount_cents: '77777', currency: 'EUR', status: 'SUCCEEDED' });
    const cursor = (await h.cursor('deals')) as { lastModified: string; lastId: string };
    expect(cursor.lastId).toBe(oldest.id);
  });

  it('a run with nothing new changes nothing and keeps the cursor', async () => {
    const before = await h.cursor('deals');
    const run = await h.run('deals');
    expect(run.status).toBe('succeeded');
    expect(run.counts.recordsUpserted).toBe(0);
    expect(await h.cursor('deals')).toEqual(before);
  });

  it('an auth error fails the run as auth and keeps the cursor', async () => {
    sim.update('deals', dataset.deals[5].id, { amount: '1.00' });
    const before = await h.cursor('deals');
    sim.setAccessToken('rotated-token');
    try {
      const run = await h.run('deals');
      expect(run).toMatchObject({
        status: 'failed',
        errorClass: 'auth',
        staleCursorDetected: false,
        fullBackfillTriggered: false,
      });
      expect(run.error).toMatch(/401/);
      expect(await h.cursor('deals')).toEqual(before);
    } finally {
      sim.setAccessToken(HUBSPOT_TOKEN);
    }
    const again = await h.run('deals');
    expect(again.status).toBe('succeeded');
    expect(again.counts.recordsUpserted).toBe(1);
  });

  it('honours 429 with Retry-After and without it', async () => {
    const before429 = sim.count('/search', 429);
    sim.update('deals', dataset.deals[6].id, { amount: '2.00' });
    sim.failNext(1, 429, 1, { path: /\/search$/ });
    const t0 = Date.now();
    const withHeader = await h.run('deals');
    expect(withHeader.status).toBe('succeeded');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    sim.update('deals', dataset.deals[7].id, { amount: '3.00' });
    sim.failNext(1, 429, false, { path: /\/search$/ });
    const without = await h.run('deals');
    expect(without.status).toBe('succeeded');
    expect(without.counts.recordsUpserted).toBe(1);
    expect(sim.count('/search', 429)).toBe(before429 + 2);
  });

  it('a failure between pages loses nothing: the cursor covers only committed pages, the next run resumes', async () => {
    const base = Date.now() + 1000;
    const touched = [...sim.state.objects.deals.values()].filter((d) => !d.archived).slice(10, 260);
    touched.forEach((d, i) => sim.update('deals', d.id, { dealname: `renamed ${i}` }, { at: base + i }));
    // Page 1 and 2 succeed; the third search fails on every attempt (HUBSPOT_MAX_RETRIES=1).
    sim.failNext(2, 503, false, { path: /\/search$/, skip: 2 });
    const broken = await h.run('deals');
    expect(broken).toMatchObject({ status: 'partial', errorClass: 'transient' });
    expect(broken.counts.pagesFetched).toBe(2);
    const cursor = (await h.cursor('deals')) as { lastModified: string; lastId: string };
    const keys = new Set(await outboxKeys(t, 'hubspot.deal'));
    // Everything at or before the stored (time, id) position is in the outbox.
    const covered = touched.filter((d) => {
      const ms = Date.parse(d.properties.hs_lastmodifieddate!);
      const cms = Date.parse(cursor.lastModified);
      return ms < cms || (ms === cms && BigInt(d.id) <= BigInt(cursor.lastId));
    });
    expect(covered.length).toBeGreaterThan(0);
    expect(
      covered.filter((d) => !keys.has(`deal:${d.id}:${d.properties.hs_lastmodifieddate}`)).map((d) => d.id),
    ).toEqual([]);
    const resumed = await h.run('deals');
    expect(resumed.status).toBe('succeeded');
    const all = new Set(await outboxKeys(t, 'hubspot.deal'));
    expect(
      touched.filter((d) => !all.has(`deal:${d.id}:${d.properties.hs_lastmodifieddate}`)).map((d) => d.id),
    ).toEqual([]);
    expect(broken.counts.recordsUpserted + resumed.counts.recordsUpserted).toBe(touched.length);
  });

  it('contacts: own run and cursor, search on lastmodifieddate, archived contacts deleted', async () => {
    sim.archive('contacts', dataset.contacts[0].id);
    const first = await h.run('contacts');
    expect(first).toMatchObject({ status: 'succeeded', entity: 'contacts', fullBackfillTriggered: true });
    expect(first.counts.recordsUpserted).toBe(60);
    sim.update('contacts', dataset.contacts[3].id, { lifecyclestage: 'customer', email: 'NEW@EXAMPLE.COM' });
    const second = await h.run('contacts');
    expect(second.counts.recordsUpserted).toBe(1);
    await h.drain();
    const [c] = await t.db.query<any>(
      `SELECT email, lifecycle_stage, deleted_at FROM contacts WHERE external_id = $1`,
      [dataset.contacts[3].id],
    );
    expect(c).toEqual({ email: 'new@example.com', lifecycle_stage: 'customer', deleted_at: null });
    const [gone] = await t.db.query<any>(`SELECT deleted_at FROM contacts WHERE external_id = $1`, [
      dataset.contacts[0].id,
    ]);
    expect(gone.deleted_at).not.toBeNull();
    const [{ n }] = await t.db.query<{ n: string }>(`SELECT count(*) AS n FROM contacts WHERE source = 'hubspot'`);
    expect(n).toBe('60');
  });

  it('an unreadable cursor is reported stale and resynced in full within the run', async () => {
    await h.setCursor('contacts', { after: 'NTI1Cg==' });
    const run = await h.run('contacts');
    expect(run).toMatchObject({ status: 'succeeded', staleCursorDetected: true, fullBackfillTriggered: true });
    expect(await h.cursor('contacts')).toMatchObject({ v: 1, lastId: '0' });
  });
});
