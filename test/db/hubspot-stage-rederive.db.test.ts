import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/app.config.js';
import { HubspotConnection } from '../../src/connectors/hubspot/hubspot.connection.js';
import { mapDeal, snapshotInsert, toHubspotObject } from '../../src/connectors/hubspot/hubspot.mappers.js';
import { HubspotPipelinesRepository } from '../../src/connectors/hubspot/hubspot-pipelines.repository.js';
import {
  HubspotPipelinesService,
  type RefreshOutcome,
} from '../../src/connectors/hubspot/hubspot-pipelines.service.js';
import { HubspotRecordsHandler } from '../../src/connectors/hubspot/hubspot-records.handler.js';
import { OutboxHandlerRegistry } from '../../src/outbox/outbox.handlers.js';
import type { OutboxRow } from '../../src/outbox/outbox.types.js';
import { ContactsRepository } from '../../src/records/contacts.repository.js';
import { PaymentsRepository } from '../../src/records/payments.repository.js';
import { LedgerFiguresRepository } from '../../src/records/ledger-figures.repository.js';
import { RevenueService } from '../../src/revenue/revenue.service.js';
import {
  CUSTOM_STAGE,
  CUSTOM_STAGES,
  generateHubSpotDataset,
  PARTNER_PIPELINE,
  wonStageIds,
  type SimObject,
} from '../../scripts/sandbox/hubspot/hubspot-dataset.js';
import { startHubSpotSimulator, type HubSpotSimulator } from '../../scripts/sandbox/hubspot/hubspot-simulator.js';
import { openTestDb } from '../support/db.js';
import { expectedWonCents, HUBSPOT_TOKEN } from '../support/hubspot-kit.js';

/**
 * Stage classification changes against a real Postgres and the HubSpot simulator (through the
 * SDK): deals are processed by the real records handler, pipelines read by the real service, and
 * the figures read by the real RevenueService. Moving a stage's probability must move revenue by
 * exactly the deals in that stage, change nothing else, and moving it back must restore it all.
 */
const CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY'];
const S = CUSTOM_STAGES.renewed;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Fig = { gross: bigint; count: number };
type LedgerRow = Record<string, unknown> & { external_id: string; raw_status: string };

describe('HubSpot deal stage classification → re-derivation (real Postgres, simulator)', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  let sim: HubSpotSimulator;
  const connections: HubspotConnection[] = [];
  // Last modified well before the pipelines are read (see the "one refresh" test).
  const dataset = generateHubSpotDataset({
    seed: 29,
    deals: 400,
    contacts: 0,
    to: new Date(Date.now() - 10 * 86_400_000),
  });
  let svc: HubspotPipelinesService;
  let handler: HubspotRecordsHandler;
  let revenue: RevenueService;
  let nextOutboxId = 1;
  /** The ledger before the stage moved, and what moved it. */
  let original: LedgerRow[] = [];
  let movedRev = 0;
  /** Deals in S whose amount is unusable: they cannot become won rows. */
  let invalidInS: string[] = [];

  function build(env: Record<string, string> = {}) {
    const config = loadConfig({
      NODE_ENV: 'test',
      HUBSPOT_ACCESS_TOKEN: HUBSPOT_TOKEN,
      HUBSPOT_API_BASE: sim.url,
      HUBSPOT_MAX_RETRIES: '1',
      HUBSPOT_RATE_LIMIT_PER_S: '100',
      HUBSPOT_PORTAL_CURRENCY: 'USD',
      ...env,
    });
    const connection = new HubspotConnection(config);
    connections.push(connection);
    const service = new HubspotPipelinesService(
      config,
      t.db,
      connection,
      new HubspotPipelinesRepository(),
      new PaymentsRepository(),
    );
    return {
      service,
      handler: new HubspotRecordsHandler(
        config,
        new OutboxHandlerRegistry(),
        new PaymentsRepository(),
        new ContactsRepository(),
        service,
      ),
    };
  }

  const asRow = (d: SimObject): OutboxRow => {
    const ins = snapshotInsert('deals', toHubspotObject(structuredClone(d)), 'poll');
    return {
      id: String(nextOutboxId++),
      source: 'hubspot',
      kind: ins.kind,
      dedupeKey: ins.dedupeKey,
      origin: 'poll',
      eventType: ins.eventType,
      payload: ins.payload,
      attempts: 0,
      receivedAt: new Date(),
      vendorTime: ins.vendorTime,
    };
  };
  const deliver = async (h: HubspotRecordsHandler, deals: SimObject[], batch = 150) => {
    const outcomes = new Map<string, unknown>();
    for (let i = 0; i < deals.length; i += batch) {
      for (const [k, v] of await h.handle(deals.slice(i, i + batch).map(asRow), { db: t.db, workerId: 'test' }))
        outcomes.set(k, v);
    }
    return outcomes;
  };

  async function figures(): Promise<Map<string, Fig>> {
    const out = new Map<string, Fig>();
    for (const currency of CURRENCIES) {
      const { totals } = await revenue.report({
        startDate: null,
        endDate: null,
        source: 'hubspot',
        currency,
        tz: 'UTC',
      });
      out.set(currency, { gross: totals.grossCents, count: totals.count });
    }
    return out;
  }
  const expected = (deals: Iterable<SimObject>, won: ReadonlySet<string>): Map<string, Fig> => {
    const e = expectedWonCents(deals, 'USD', won);
    return new Map(CURRENCIES.map((c) => [c, { gross: e.byCurrency.get(c) ?? 0n, count: 0 }]));
  };
  /** Gross and count per currency, independently of the app: won stages, live deals, valid amounts. */
  function expectedFigures(deals: SimObject[], won: ReadonlySet<string>): Map<string, Fig> {
    const out = expected(deals, won);
    for (const c of CURRENCIES)
      out.get(c)!.count = deals.filter(
        (d) =>
          !d.archived &&
          won.has(d.properties.dealstage ?? '') &&
          (d.properties.deal_currency_code || 'USD') === c &&
          /^\d+(\.\d+)?$/.test(d.properties.amount ?? ''),
      ).length;
    return out;
  }
  const minus = (a: Map<string, Fig>, b: Map<string, Fig>) =>
    new Map(
      CURRENCIES.map((c) => [
        c,
        { gross: a.get(c)!.gross - b.get(c)!.gross, count: a.get(c)!.count - b.get(c)!.count },
      ]),
    );

  const ledger = () =>
    t.db.query<LedgerRow>(
      `SELECT external_id, kind, amount_cents, currency, status, raw_status, effect, occurred_at, customer_ref, description, deleted_at,
              version_at, version_rank, version_tiebreak, outbox_id, derivation_rev, vendor_snapshot
         FROM payments WHERE source = 'hubspot' ORDER BY external_id`,
    );
  const pipelineCalls = () => sim.count('/crm/v3/pipelines/deals');
  const inStage = (stage: string) => dataset.deals.filter((d) => d.properties.dealstage === stage);
  const ok = (r: RefreshOutcome) => {
    if (!r.ok) throw new Error(`refresh failed: ${r.error}`);
    return r;
  };

  beforeAll(async () => {
    t = await openTestDb();
    sim = await startHubSpotSimulator({ accessToken: HUBSPOT_TOKEN, dataset });
    // Deals archived in HubSpot are deletions: they must never count, whatever their stage becomes.
    for (const d of inStage(S).slice(0, 2))
      sim.archive('deals', d.id, { at: Date.parse(d.properties.hs_lastmodifieddate!) + 1000 });
    // A deal whose amount HubSpot holds as text: it can never become a won row.
    const bad = inStage(S)[2];
    sim.update('deals', bad.id, { amount: 'n/a' }, { at: Date.parse(bad.properties.hs_lastmodifieddate!) + 1000 });
    ({ service: svc, handler } = build());
    revenue = new RevenueService(t.db, new LedgerFiguresRepository(), svc);
  });
  afterAll(async () => {
    for (const c of connections) await c.onApplicationShutdown();
    await sim?.stop();
    await t?.close();
  });

  it('deals in stages nothing knows yet are UNKNOWN and ask for ONE refresh, which re-derives them into revenue', async () => {
    expect(inStage(S).length).toBeGreaterThan(10);
    const deals = [...sim.state.objects.deals.values()];
    const before = pipelineCalls();
    // HubSpot asks us to wait a second on the first pipelines call: every batch is written meanwhile.
    sim.failNext(1, 429, 1, { path: /\/crm\/v3\/pipelines/ });
    await deliver(handler, deals);
    // Written before the pipelines were read: custom stages count nowhere and are listed as unmapped.
    const unmappedBefore = await revenue.unmappedStatuses(50);
    expect(unmappedBefore.statuses.map((s) => s.rawStatus)).toEqual(
      expect.arrayContaining([S, CUSTOM_STAGES.partnerWon, CUSTOM_STAGE]),
    );
    await svc.idle();
    // One refresh for 400 deals in 3 batches: the 429, then its retry.
    expect([pipelineCalls() - before, sim.count('/crm/v3/pipelines/deals', 200)]).toEqual([2, 1]);

    const won = wonStageIds(sim.state.pipelines);
    expect(await figures()).toEqual(expectedFigures(deals, won));
    // Only the stage of a deleted pipeline is left unexplained.
    const unmapped = await revenue.unmappedStatuses(50);
    expect(unmapped.statuses.map((s) => [s.source, s.rawStatus])).toEqual([['hubspot', CUSTOM_STAGE]]);
    expect(unmapped.statuses[0].count).toBe(inStage(CUSTOM_STAGE).length);
    const customGross = expected(
      deals.filter((d) => d.properties.pipeline !== 'default'),
      won,
    );
    expect([...customGross.values()].reduce((s, f) => s + f.gross, 0n)).toBeGreaterThan(0n);
  });

  it('moving a won stage to probability 0.9 re-derives exactly its deals: revenue drops by exactly their sum, nothing else changes', async () => {
    const L0 = await ledger();
    original = L0;
    invalidInS = expectedWonCents(
      inStage(S).map((d) => sim.get('deals', d.id)!),
      'USD',
      new Set([S]),
    ).invalid;
    expect(invalidInS.length).toBeGreaterThan(0);
    const F0 = await figures();
    const D = expectedFigures(
      inStage(S).map((d) => sim.get('deals', d.id)!),
      new Set([S]),
    );
    expect([...D.values()].some((f) => f.count > 0)).toBe(true);

    sim.setStageMetadata(S, { probability: '0.9' });
    const r = ok(await svc.refresh('test'));
    expect(r.changedStages).toEqual([S]);
    const rowsInS = L0.filter((x) => x.raw_status === S);
    expect(r.rederived).toBe(rowsInS.length);

    movedRev = r.rev;
    expect(await figures()).toEqual(minus(F0, D));
    const L1 = await ledger();
    expect(L1.length).toBe(L0.length);
    for (const [i, row] of L1.entries()) {
      if (row.raw_status !== S) expect(row, row.external_id).toEqual(L0[i]);
      else expect(row, row.external_id).toEqual({ ...L0[i], status: 'OPEN', effect: 'none', derivation_rev: r.rev });
    }
  });

  it('…and back to 1.0: the figures and every row are exactly as before (only the revision moved)', async () => {
    sim.setStageMetadata(S, { probability: '1.0' });
    const r = ok(await svc.refresh('test'));
    expect(r.changedStages).toEqual([S]);
    expect(r.rederiveFailed.sort()).toEqual([...invalidInS].sort());
    expect(await figures()).toEqual(
      expectedFigures([...sim.state.objects.deals.values()], wonStageIds(sim.state.pipelines)),
    );
    // Deals whose amount is unusable were written UNKNOWN before the pipelines were known (a won
    // snapshot with that amount is dead-lettered); open, they became OPEN rows, and stay so.
    expect(await ledger()).toEqual(
      original.map((x) =>
        x.raw_status !== S
          ? x
          : invalidInS.includes(x.external_id)
            ? { ...x, status: 'OPEN', effect: 'none', derivation_rev: movedRev }
            : { ...x, derivation_rev: r.rev },
      ),
    );
    // Archived deals in the stage were re-derived too, and still count nowhere.
    const archived = (await ledger()).filter((x) => x.raw_status === S && x.deleted_at !== null);
    expect(archived).toHaveLength(2);
    expect(archived.every((x) => x.status === 'SUCCEEDED' && x.effect === 'gross')).toBe(true);
  });

  it('a refresh that changes no class re-derives nothing (idempotent)', async () => {
    const L = await ledger();
    const r = ok(await svc.refresh('test'));
    expect(r).toMatchObject({ changedStages: [], rederived: 0 });
    expect(await ledger()).toEqual(L);
  });

  it('last-write-wins compares (vendor version, derivation revision): the same version derived under older rules never wins back', async () => {
    const L = await ledger();
    const target = L.find((x) => x.raw_status === S && x.deleted_at === null && x.status === 'SUCCEEDED')!;
    const payments = new PaymentsRepository();
    const snapshot = toHubspotObject(target.vendor_snapshot);
    // What the old classification made of this very snapshot: an UNKNOWN row at revision 0.
    const stale = {
      source: 'hubspot' as const,
      kind: 'deal' as const,
      externalId: target.external_id,
      parentExternalId: null,
      amountCents: 0n,
      currency: 'USD',
      status: 'UNKNOWN' as const,
      rawStatus: S,
      effect: 'none' as const,
      occurredAt: new Date(),
      customerRef: null,
      description: null,
      deletedAt: null,
      version: {
        at: new Date(target.version_at as string),
        rank: Number(target.version_rank),
        tiebreak: String(target.version_tiebreak),
      },
      derivationRev: 0,
      vendorSnapshot: snapshot,
    };
    expect(await payments.upsertMany(t.db, [stale])).toBe(0);
    // A replay of the stored snapshots through the handler (current revision) changes nothing either.
    const outcomes = await deliver(
      handler,
      inStage(S).map((d) => sim.get('deals', d.id)!),
    );
    expect(
      [...outcomes.values()].every(
        (o) =>
          (o as { status: string }).status === 'done' ||
          (o as { failureClass?: string }).failureClass === 'invalid_payload',
      ),
    ).toBe(true);
    expect(await ledger()).toEqual(L);
  });

  it('HUBSPOT_STAGE_MAP wins over the metadata when applied at boot, moves exactly its stages, and removing it moves them back', async () => {
    const F0 = await figures();
    const L0 = await ledger();
    const due = CUSTOM_STAGES.renewalDue;
    const { service: withMap } = build({ HUBSPOT_STAGE_MAP: JSON.stringify({ [due]: 'won' }) });
    const change = (await withMap.applyStageMap())!;
    expect(change.changedStages).toEqual([due]);
    const dueDeals = inStage(due).map((d) => sim.get('deals', d.id)!);
    const e = expectedWonCents(dueDeals, 'USD', new Set([due]));
    // Open deals with an unusable amount cannot become won rows: they are reported and kept as they were.
    expect(change.rederiveFailed.sort()).toEqual([...e.invalid].sort());
    const D = expectedFigures(dueDeals, new Set([due]));
    expect(await figures()).toEqual(
      new Map(
        CURRENCIES.map((c) => [
          c,
          { gross: F0.get(c)!.gross + D.get(c)!.gross, count: F0.get(c)!.count + D.get(c)!.count },
        ]),
      ),
    );
    // Every process now derives with the stored map, whatever its own config says.
    expect((await svc.current()).classOf(due)).toBe('won');
    // A refresh by a process with the map keeps it; the metadata does not win it back.
    expect(ok(await withMap.refresh('test')).changedStages).toEqual([]);

    const back = (await svc.applyStageMap())!;
    expect(back.changedStages).toEqual([due]);
    expect(await figures()).toEqual(F0);
    const L2 = await ledger();
    expect(L2).toEqual(
      L0.map((x) =>
        x.raw_status === due && !e.invalid.includes(x.external_id) ? { ...x, derivation_rev: back.rev } : x,
      ),
    );
    expect(await svc.applyStageMap()).toBeNull();
  });

  it('a classification change waits for deal writes in flight, then re-derives them too', async () => {
    const F0 = await figures();
    const d = sim.create('deals', {
      dealname: 'in flight',
      amount: '1000.00',
      dealstage: S,
      pipeline: '705209413',
      closedate: '2026-06-01T00:00:00.000Z',
      deal_currency_code: 'USD',
    });
    sim.setStageMetadata(S, { probability: '0.9' });
    let refreshed: Promise<RefreshOutcome> | null = null;
    await t.db.tx(async (sql) => {
      const stages = await svc.classifierForWrite(sql);
      expect(stages.classOf(S)).toBe('won');
      refreshed = svc.refresh('test');
      expect(await Promise.race([refreshed.then(() => 'applied'), sleep(400).then(() => 'waiting')])).toBe('waiting');
      // Written under the classification read above, inside the same transaction.
      const rec = mapDeal(toHubspotObject(d), 'USD', stages);
      await new PaymentsRepository().upsertMany(sql, [
        { ...rec, derivationRev: stages.rev, vendorSnapshot: toHubspotObject(d) },
      ]);
    });
    const r = ok(await refreshed!);
    expect(r.changedStages).toEqual([S]);
    const [row] = await t.db.query<{ status: string; effect: string; derivation_rev: number }>(
      `SELECT status, effect, derivation_rev FROM payments WHERE external_id = $1`,
      [d.id],
    );
    expect(row).toEqual({ status: 'OPEN', effect: 'none', derivation_rev: r.rev });
    sim.setStageMetadata(S, { probability: '1.0' });
    ok(await svc.refresh('test'));
    const F1 = await figures();
    expect(F1.get('USD')).toEqual({ gross: F0.get('USD')!.gross + 100_000n, count: F0.get('USD')!.count + 1 });
  });

  it('a new stage met on many deals in many batches costs one refresh', async () => {
    const stageId = '1038560099';
    sim.addStage(PARTNER_PIPELINE, { id: stageId, label: 'Won via marketplace', isClosed: true, probability: '1.0' });
    const deals = [1, 2, 3, 4, 5, 6].map((i) =>
      sim.create('deals', {
        dealname: `marketplace ${i}`,
        amount: `${i}00.00`,
        dealstage: stageId,
        pipeline: PARTNER_PIPELINE,
        closedate: '2026-06-02T00:00:00.000Z',
        deal_currency_code: 'EUR',
      }),
    );
    const F0 = await figures();
    const before = pipelineCalls();
    for (const d of deals) await deliver(handler, [d]);
    await svc.idle();
    expect(pipelineCalls()).toBe(before + 1);
    expect((await figures()).get('EUR')).toEqual({
      gross: F0.get('EUR')!.gross + 210_000n,
      count: F0.get('EUR')!.count + 6,
    });
    // A stage HubSpot does not list either asks once, and only for deals modified since the last read.
    const orphan = sim.create('deals', {
      dealname: 'ghost stage',
      amount: '1.00',
      dealstage: '1099999999',
      pipeline: PARTNER_PIPELINE,
    });
    await deliver(handler, [orphan]);
    await deliver(handler, [orphan, orphan]);
    await svc.idle();
    expect(pipelineCalls()).toBe(before + 2);
    await deliver(
      handler,
      dataset.deals.filter((d) => d.properties.dealstage === CUSTOM_STAGE),
    );
    await svc.idle();
    expect(pipelineCalls()).toBe(before + 2);
  });

  it('a failing pipelines call keeps the last known pipelines (5xx, 429, 401) and is retried like every vendor call', async () => {
    const repo = new HubspotPipelinesRepository();
    const rev = (await svc.current()).rev;
    const refreshedAt = (await svc.readiness()).pipelinesRefreshedAt;
    expect(refreshedAt).not.toBeNull();

    sim.failNext(1, 503, false, { path: /\/crm\/v3\/pipelines/ });
    expect(ok(await svc.refresh('test')).changedStages).toEqual([]);
    const afterRetry = (await svc.readiness()).pipelinesRefreshedAt!;
    expect(afterRetry > refreshedAt!).toBe(true);
    const stages = await repo.loadStages(t.db);

    sim.setStageMetadata(S, { probability: '0.9' });
    for (const [status, errorClass] of [
      [503, 'transient'],
      [429, 'transient'],
      [401, 'auth'],
    ] as const) {
      // With HUBSPOT_MAX_RETRIES=1, two failures exhaust a retried call; a 401 is never retried.
      sim.failNext(status === 401 ? 1 : 2, status, status === 429 ? 1 : false, { path: /\/crm\/v3\/pipelines/ });
      const r = await svc.refresh('test');
      expect(r).toMatchObject({ ok: false, errorClass });
      expect(await repo.loadStages(t.db)).toEqual(stages);
      expect((await svc.current()).rev).toBe(rev);
      expect((await svc.current()).classOf(S)).toBe('won');
      expect(await svc.readiness()).toEqual({
        pipelinesRefreshedAt: afterRetry,
        pipelinesError: expect.stringContaining(String(status)),
      });
    }
    sim.setStageMetadata(S, { probability: '1.0' });
    expect(ok(await svc.refresh('test')).changedStages).toEqual([]);
    expect((await svc.readiness()).pipelinesError).toBeUndefined();
  });

  it('a malformed stage is skipped and logged; the rest of the answer is applied', async () => {
    const renewals = sim.state.pipelines.find((p) => p.id === '705209413')!;
    (renewals.stages as unknown[]).push({
      id: '1038553799',
      label: 'broken',
      displayOrder: 9,
      metadata: { isClosed: 'true' },
      archived: false,
    });
    renewals.stages[0].label = 'Renewal coming up';
    const r = ok(await svc.refresh('test'));
    expect(r).toMatchObject({ skipped: 1, changedStages: [] });
    const stored = await new HubspotPipelinesRepository().loadStages(t.db);
    expect(stored.find((s) => s.stageId === CUSTOM_STAGES.renewalDue)?.label).toBe('Renewal coming up');
    expect(stored.find((s) => s.stageId === '1038553799')).toBeUndefined();
    renewals.stages.pop();
  });

  it('archived stages, and stages that vanish from the answer, keep their classification', async () => {
    const F0 = await figures();
    sim.archiveStage(S);
    sim.removeStage(CUSTOM_STAGES.partnerWon);
    const r = ok(await svc.refresh('test'));
    expect(r.changedStages).toEqual([]);
    const stored = await new HubspotPipelinesRepository().loadStages(t.db);
    expect(stored.find((s) => s.stageId === S)).toMatchObject({ archived: true, metadataClass: 'won' });
    const gone = stored.find((s) => s.stageId === CUSTOM_STAGES.partnerWon)!;
    expect(gone.metadataClass).toBe('won');
    expect(gone.lastSeenAt.getTime()).toBeLessThan(Date.now() - 50);
    expect(await figures()).toEqual(F0);
  });
});
