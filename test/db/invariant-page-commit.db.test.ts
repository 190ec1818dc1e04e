import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/app.config.js';
import { StripeGateway } from '../../src/connectors/stripe/stripe.gateway.js';
import { StripeSyncDriver } from '../../src/connectors/stripe/stripe-sync.driver.js';
import { SyncDriverRegistry } from '../../src/runs/sync.drivers.js';
import {
  generateStripeDataset,
  startStripeSimulator,
  type StripeCharge,
  type StripeSimulator,
} from '../../scripts/sandbox/stripe/index.js';
import { openTestDb } from '../support/db.js';
import { pageRows, runsServiceFor, ScriptedDriver } from '../support/runs-test-driver.js';

const KEY = 'sk_test_invariant_page_0123456789';
const END = 1_790_000_000;

/**
 * Invariant 1, "nothing accepted is lost": a cursor never moves past a page whose rows are not in
 * Postgres. The failure is injected where it hurts: in the OUTBOX INSERT (a real Postgres error
 * from a trigger), not in the cursor write, so a cursor saved before or apart from its rows shows.
 */
describe('invariant: a cursor advances only together with its page of rows', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  beforeAll(async () => {
    t = await openTestDb();
    await t.db.query(`CREATE TABLE poisoned_ids (id text PRIMARY KEY)`);
    await t.db.query(`CREATE FUNCTION refuse_poisoned() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM poisoned_ids WHERE id = NEW.payload->>'id') THEN RAISE EXCEPTION 'outbox insert failed for %', NEW.payload->>'id'; END IF;
        RETURN NEW;
      END $$`);
    await t.db.query(
      `CREATE TRIGGER refuse_poisoned BEFORE INSERT ON ingest_outbox FOR EACH ROW EXECUTE FUNCTION refuse_poisoned()`,
    );
  });
  afterAll(async () => t?.close());

  const poison = (ids: string[]) => t.db.query(`INSERT INTO poisoned_ids SELECT unnest($1::text[])`, [ids]);
  const cure = () => t.db.query(`DELETE FROM poisoned_ids`);
  const cursorOf = async (entity: string) =>
    (
      await t.db.query<{ cursor: any }>(`SELECT cursor FROM sync_cursors WHERE source = 'stripe' AND entity = $1`, [
        entity,
      ])
    )[0]?.cursor ?? null;

  it('a page whose insert fails leaves the cursor at the previous page, and the next run is handed that cursor', async () => {
    await poison(['p2_0']);
    const driver = new ScriptedDriver('stripe', ['inv-pages'], async (ctx, call) => {
      if (call > 1) return;
      await ctx.commitPage(pageRows('stripe', 'p1', 3), { page: 1 });
      await ctx.commitPage(pageRows('stripe', 'p2', 3), { page: 2 });
    });
    const { service } = runsServiceFor(t.db, t.locks, [driver]);
    try {
      const [run] = await service.runNow('stripe', 'incremental', 'job');
      expect(run).toMatchObject({
        status: 'partial',
        cursorAfter: { page: 1 },
        counts: { pagesFetched: 1, recordsUpserted: 3 },
      });
      // The injected Postgres error is logged under an errorId; the run never carries its text.
      expect(run).toMatchObject({
        errorClass: 'internal',
        error: expect.stringMatching(/^internal error \(errorId [0-9a-f-]{36}\)/),
      });
      expect(await cursorOf('inv-pages')).toEqual({ page: 1 });
      const stored = await t.db.query<{ dedupe_key: string }>(
        `SELECT dedupe_key FROM ingest_outbox WHERE dedupe_key LIKE 'p_:%' ORDER BY dedupe_key`,
      );
      expect(stored.map((r) => r.dedupe_key)).toEqual(['p1:0', 'p1:1', 'p1:2']);
    } finally {
      await cure();
    }
    await service.runNow('stripe', 'incremental', 'job');
    expect(driver.calls[1].cursor).toEqual({ page: 1 });
  });

  describe('with the real Stripe driver, simulator and SDK', () => {
    let sim: StripeSimulator;
    beforeAll(async () => {
      sim = await startStripeSimulator({
        apiKey: KEY,
        dataset: generateStripeDataset({ seed: 9, charges: 250, end: END }),
        clock: () => END + 3600,
      });
    });
    afterAll(async () => sim?.stop());

    it('a charge page that cannot be stored is fetched again by the next run: every charge ends up stored', async () => {
      const env = {
        STRIPE_API_KEY: KEY,
        STRIPE_API_BASE: sim.url,
        STRIPE_PAGE_SIZE: '50',
        STRIPE_RATE_LIMIT_PER_S: '100',
        STRIPE_MAX_RETRIES: '0',
      };
      const config = loadConfig({ NODE_ENV: 'test', ...env });
      const driver = new StripeSyncDriver(config, new StripeGateway(config), new SyncDriverRegistry());
      driver.now = () => END + 3600;
      const { service, repo } = runsServiceFor(t.db, t.locks, [driver], env);
      const run = async () => {
        const { runIds } = await service.trigger('stripe', 'incremental', { entities: ['charges'] });
        await service.waitForIdle();
        return (await repo.get(runIds[0]))!;
      };
      const newestFirst = sim.state.list<StripeCharge>('charges').map((c) => c.id);
      await poison([newestFirst[120]]); // on the third page of 50
      try {
        const broken = await run();
        expect(broken).toMatchObject({ status: 'partial', counts: { pagesFetched: 2, recordsUpserted: 100 } });
        expect(await cursorOf('charges')).toMatchObject({
          watermark: null,
          plan: { passes: [{ list: 'charges', startingAfter: newestFirst[99] }] },
        });
      } finally {
        await cure();
      }
      const resumed = await run();
      expect(resumed).toMatchObject({ status: 'succeeded', counts: { recordsUpserted: 150 } });
      const stored = await t.db.query<{ id: string }>(
        `SELECT payload->>'id' AS id FROM ingest_outbox WHERE kind = 'stripe.charge' AND left(payload->>'id', 3) = 'ch_'`,
      );
      expect(new Set(stored.map((r) => r.id))).toEqual(new Set(newestFirst));
      expect(await cursorOf('charges')).toEqual({ v: 1, watermark: END + 3600, plan: null });
    });
  });
});
