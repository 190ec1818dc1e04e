import { bootTestApp, type TestApp } from './app.js';
import { RunsService } from '../../src/runs/runs.service.js';
import { RunsRepository } from '../../src/runs/runs.repository.js';
import { OutboxWorker } from '../../src/outbox/outbox.worker.js';
import type { SyncRun } from '../../src/runs/run.types.js';
import type { SyncMode } from '../../src/runs/sync.drivers.js';
import type { HubSpotSimulator } from '../../scripts/sandbox/hubspot/hubspot-simulator.js';
import { dealPipelines, wonStageIds, type SimObject } from '../../scripts/sandbox/hubspot/hubspot-dataset.js';

export const HUBSPOT_TOKEN = 'pat-na1-test-token-0000000000';

/** The whole app pointed at a HubSpot simulator; fast limits, no lookback unless asked. */
export function bootHubspotApp(sim: HubSpotSimulator, env: Record<string, string> = {}): Promise<TestApp> {
  return bootTestApp({
    HUBSPOT_ACCESS_TOKEN: HUBSPOT_TOKEN,
    HUBSPOT_API_BASE: sim.url,
    HUBSPOT_SEARCH_RATE_LIMIT_PER_S: '50',
    HUBSPOT_RATE_LIMIT_PER_S: '100',
    HUBSPOT_SEARCH_LOOKBACK_S: '0',
    HUBSPOT_MAX_RETRIES: '1',
    ...env,
  });
}

export function hubspotRuns(t: TestApp) {
  const runs = t.app.get(RunsService);
  const repo = t.app.get(RunsRepository);
  return {
    /** One run of one entity, through the real trigger path (lock, SyncContext, counts); waits for it. */
    async run(entity: 'deals' | 'contacts', mode: SyncMode = 'incremental'): Promise<SyncRun> {
      const { runIds } = await runs.trigger('hubspot', mode, { entities: [entity] });
      // The test is the worker: WORKER=off apps only queue runs.
      await runs.drain();
      return (await repo.get(runIds[0]))!;
    },
    cursor: (entity: string) => repo.loadCursor('hubspot', entity),
    async setCursor(entity: string, cursor: unknown): Promise<void> {
      await t.db.query(
        `INSERT INTO sync_cursors (source, entity, cursor) VALUES ('hubspot', $1, $2::jsonb)
         ON CONFLICT (source, entity) DO UPDATE SET cursor = excluded.cursor`,
        [entity, JSON.stringify(cursor)],
      );
    },
    drain: () => t.app.get(OutboxWorker).drain(),
  };
}

export async function outboxKeys(t: TestApp, kind: string): Promise<string[]> {
  return (
    await t.db.query<{ dedupe_key: string }>('SELECT dedupe_key FROM ingest_outbox WHERE kind = $1 ORDER BY id', [kind])
  ).map((r) => r.dedupe_key);
}

/**
 * Independent expectation of HubSpot gross revenue per currency from the simulator's deals:
 * plain string arithmetic on the dataset's amount formats ("123", "123.45", "123.455", JPY whole
 * units), half-up at the cent, without the app's decimal parser. Won = a stage the simulator's
 * pipelines list as closed with probability 1 (default: the dataset's pipelines).
 */
export function expectedWonCents(
  deals: Iterable<SimObject>,
  portalCurrency: string,
  won: ReadonlySet<string> = wonStageIds(dealPipelines()),
): { byCurrency: Map<string, bigint>; count: number; invalid: string[] } {
  const byCurrency = new Map<string, bigint>();
  const invalid: string[] = [];
  let count = 0;
  for (const d of deals) {
    if (d.archived || !won.has(d.properties.dealstage ?? '')) continue;
    const currency = d.properties.deal_currency_code || portalCurrency;
    const amount = d.properties.amount ?? '';
    const m = /^(\d+)(?:\.(\d+))?$/.exec(amount);
    if (!m) {
      invalid.push(d.id);
      continue;
    }
    const frac = m[2] ?? '';
    let cents: bigint;
    if (currency === 'JPY') cents = BigInt(m[1]) + (frac !== '' && Number(frac[0]) >= 5 ? 1n : 0n);
    else
      cents =
        BigInt(m[1]) * 100n + BigInt((frac + '00').slice(0, 2)) + (frac.length > 2 && Number(frac[2]) >= 5 ? 1n : 0n);
    byCurrency.set(currency, (byCurrency.get(currency) ?? 0n) + cents);
    count++;
  }
  return { byCurrency, count, invalid };
}
