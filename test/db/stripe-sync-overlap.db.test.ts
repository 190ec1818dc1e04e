import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/app.config.js';
import { StripeGateway } from '../../src/connectors/stripe/stripe.gateway.js';
import { StripeSyncDriver } from '../../src/connectors/stripe/stripe-sync.driver.js';
import { SyncDriverRegistry } from '../../src/runs/sync.drivers.js';
import type { SyncRun } from '../../src/runs/run.types.js';
import {
  generateStripeDataset,
  startStripeSimulator,
  type StripeCharge,
  type StripeSimulator,
} from '../../scripts/sandbox/stripe/index.js';
import { openTestDb } from '../support/db.js';
import { runsServiceFor } from '../support/runs-test-driver.js';
import { MAX_PAGES_AHEAD } from '../../src/runs/page-commit.queue.js';

const KEY = 'sk_test_sync_overlap_0123456789';
const END = 1_790_000_000;
const PAGE = 40;

/**
 * Issue 9 item 4: a Stripe backfill fetches the next page while the previous one commits. The
 * overlap must not weaken invariant 1: commits keep page order, a page's cursor advances only with
 * its rows, and a failed commit stops the run before any later page is committed.
 */
describe('stripe backfill: fetch overlaps commit, pages still commit in order', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  let sim: StripeSimulator;
  let run: (mode?: 'full' | 'incremental') => Promise<SyncRun>;
  let charges = 0;

  beforeEach(async () => {
    t = await openTestDb();
    const dataset = generateStripeDataset({ seed: 9, charges: 200, end: END });
    charges = dataset.charges.length;
    sim = await startStripeSimulator({ apiKey: KEY, dataset, clock: () => END + 3600, seed: 9 });
    const env = {
      STRIPE_API_KEY: KEY,
      STRIPE_API_BASE: sim.url,
      STRIPE_PAGE_SIZE: String(PAGE),
      STRIPE_RATE_LIMIT_PER_S: '100',
      STRIPE_MAX_RETRIES: '0',
    };
    const config = loadConfig({ NODE_ENV: 'test', ...env });
    const driver = new StripeSyncDriver(config, new StripeGateway(config), new SyncDriverRegistry());
    driver.now = () => END + 3600;
    const { service, repo } = runsServiceFor(t.db, t.locks, [driver], env);
    run = async (mode = 'incremental') => {
      const { runIds } = await service.trigger('stripe', mode, { entities: ['charges'] });
      await service.waitForIdle();
      return (await repo.get(runIds[0]))!;
    };
  });
  afterEach(async () => {
    await sim.stop();
    await t.close();
  });

  const pageRequests = () => sim.requests.filter((r) => r.path === '/v1/charges' && r.status === 200);

  it('fetching never waits for a slow commit: pages that arrive meanwhile commit together, in order', async () => {
    // Every commit takes at least 250 ms inside Postgres.
    await t.db.query(`CREATE FUNCTION slow_page() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_sleep(0.25); RETURN NULL; END $$`);
    await t.db.query(
      `CREATE TRIGGER slow_page AFTER INSERT ON ingest_outbox FOR EACH STATEMENT EXECUTE FUNCTION slow_page()`,
    );
    const r = await run();
    expect(r.status).toBe('succeeded');
    const pagesNeeded = Math.ceil(charges / PAGE);
    // Pages are counted as pages, however they were grouped into transactions.
    expect(r.counts.pagesFetched).toBe(pagesNeeded);
    expect(r.counts.recordsFetched).toBe(charges);
    const commits = await t.db.query<{ started: string; n: string }>(
      `SELECT (extract(epoch FROM received_at) * 1000)::text AS started, count(*)::text AS n
         FROM ingest_outbox GROUP BY received_at ORDER BY received_at`,
    );
    const requests = pageRequests();
    expect(requests).toHaveLength(pagesNeeded);
    // The first commit holds one page; while it sleeps, every page up to MAX_PAGES_AHEAD more is
    // fetched (none waits 250 ms for it) and they all go in the next transaction.
    expect(Number(commits[0].n)).toBe(PAGE);
    expect(commits.length).toBeLessThan(pagesNeeded);
    const firstCommitDone = Number(commits[0].started) + 250;
    const fetchedMeanwhile = requests.slice(1).filter((q) => q.at < firstCommitDone).length;
    expect(fetchedMeanwhile).toBe(Math.min(pagesNeeded - 1, MAX_PAGES_AHEAD));
    // Rows are stored in list order (Stripe lists newest first): outbox ids follow it across groups.
    const stored = await t.db.query<{ created: string }>(
      `SELECT payload->>'created' AS created FROM ingest_outbox WHERE kind = 'stripe.charge' ORDER BY id`,
    );
    expect(stored).toHaveLength(charges);
    const created = stored.map((x) => Number(x.created));
    expect(created).toEqual([...created].sort((a, b) => b - a));
  });

  it('a page that cannot be stored stops the run: the pages before it are kept, none after it, the cursor stays after the last kept page', async () => {
    // The first commit is slow, so the pages fetched meanwhile go together in the second; one
    // charge of the third page cannot be stored, so that group fails and is retried page by page.
    const newestFirst = sim.state.list<StripeCharge>('charges').map((c) => c.id);
    const poison = newestFirst[2 * PAGE + 5];
    await t.db.query(`CREATE SEQUENCE commit_no`);
    await t.db.query(`CREATE FUNCTION third_page_poisoned() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('commit_no') = 1 THEN PERFORM pg_sleep(0.25); END IF;
        IF EXISTS (SELECT 1 FROM new_rows WHERE payload->>'id' = '${poison}') THEN RAISE EXCEPTION 'disk full (test)'; END IF;
        RETURN NULL;
      END $$`);
    await t.db.query(
      `CREATE TRIGGER third_page_poisoned AFTER INSERT ON ingest_outbox REFERENCING NEW TABLE AS new_rows
         FOR EACH STATEMENT EXECUTE FUNCTION third_page_poisoned()`,
    );
    const r = await run();
    expect(r.status).toBe('partial');
    // Pages 1 and 2 are kept, exactly as if every page had had its own commit.
    expect(r.counts.pagesFetched).toBe(2);
    const stored = await t.db.query<{ charge: string }>(
      `SELECT payload->>'id' AS charge FROM ingest_outbox WHERE kind = 'stripe.charge' ORDER BY id`,
    );
    expect(stored).toHaveLength(2 * PAGE);
    const [{ cursor }] = await t.db.query<{ cursor: { plan: { passes: { startingAfter: string | null }[] } } }>(
      `SELECT cursor FROM sync_cursors WHERE source = 'stripe' AND entity = 'charges'`,
    );
    expect(cursor.plan.passes[0].startingAfter).toBe(stored[stored.length - 1].charge);

    // The next run resumes from that cursor and stores every charge exactly once.
    await t.db.query(`DROP TRIGGER third_page_poisoned ON ingest_outbox`);
    const again = await run();
    expect(again.status).toBe('succeeded');
    const [{ n, distinct }] = await t.db.query<{ n: string; distinct: string }>(
      `SELECT count(*) AS n, count(DISTINCT payload->>'id') AS distinct FROM ingest_outbox WHERE kind = 'stripe.charge'`,
    );
    expect(Number(n)).toBe(charges);
    expect(Number(distinct)).toBe(charges);
  });
});
