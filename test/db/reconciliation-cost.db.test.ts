import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb } from '../support/db.js';
import { testConfig } from '../support/outbox-test-kit.js';
import { OutboxInsertRepository } from '../../src/outbox/outbox-insert.repository.js';
import type { OutboxInsert } from '../../src/outbox/outbox.types.js';
import { SightingsRepository } from '../../src/reconciler/sightings.repository.js';

/*
 * What the report costs on a sightings table of ~200k objects (one year of one vendor, 2% missed
 * webhooks): printed, not asserted, since timings depend on the machine. The plans are checked
 * instead: the day counts read the covering index only, and a missedWebhooks page walks the
 * partial index of poll-first objects.
 */

const OBJECTS = 200_000;
const GRACE_S = 300;

describe('reconciliation report cost at ~200k sightings', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  let sightings: SightingsRepository;
  const now = new Date('2027-01-01T12:00:00Z');
  const range = { source: 'stripe' as const, tz: 'Europe/Berlin', graceS: GRACE_S, now };

  beforeAll(async () => {
    t = await openTestDb();
    sightings = new SightingsRepository(testConfig({ RECONCILE_GRACE_S: String(GRACE_S) }));
    // One object every ~158 s through 2026; a webhook 2 s after creation, a poll 5 min later,
    // except every 50th (no webhook) and every 97th (never polled).
    await t.db.query(
      `INSERT INTO object_sightings (source, object_type, external_id, vendor_created_at, created_exact, first_webhook_at, first_poll_at, first_path)
       SELECT 'stripe', CASE WHEN i % 10 = 0 THEN 'refund' ELSE 'charge' END, 'ch_' || lpad(i::text, 8, '0'), c, true,
              CASE WHEN i % 50 = 0 THEN NULL ELSE c + interval '2 seconds' END,
              CASE WHEN i % 97 = 0 AND i % 50 <> 0 THEN NULL ELSE c + interval '5 minutes' END,
              CASE WHEN i % 50 = 0 THEN 'poll' ELSE 'webhook' END
         FROM generate_series(1, $1::int) AS i,
              LATERAL (SELECT timestamptz '2026-01-01 00:00:00+00' + (i * (365 * 86400 / $1::float)) * interval '1 second' AS c) x`,
      [OBJECTS],
    );
    await t.db.query('VACUUM ANALYZE object_sightings');
  }, 120_000);
  afterAll(async () => t?.close());

  async function timed<T>(label: string, fn: () => Promise<T>, runs = 5): Promise<T> {
    let out!: T;
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      out = await fn();
      ms.push(performance.now() - t0);
    }
    ms.sort((a, b) => a - b);
    console.log(
      `[reconciliation cost] ${label}: median ${ms[Math.floor(runs / 2)].toFixed(1)} ms (min ${ms[0].toFixed(1)})`,
    );
    return out;
  }

  it('prints the cost of the report, the gauge and one poll page', async () => {
    const days30 = await timed('day counts, 30 days (~16k objects)', () =>
      sightings.dayCounts(t.db, { ...range, startDate: '2026-06-01', endDate: '2026-06-30' }),
    );
    expect(days30).toHaveLength(30);
    // Through 2027-01-01: the last hour of 2026 in UTC is already the next day in Berlin.
    const year = await timed('day counts, 366 days (200k objects)', () =>
      sightings.dayCounts(t.db, { ...range, startDate: '2026-01-01', endDate: '2027-01-01' }),
    );
    expect(year.reduce((n, d) => n + d.both + d.pollOnly + d.webhookOnly + d.pending, 0)).toBe(OBJECTS);
    expect(year.reduce((n, d) => n + d.pollOnly, 0)).toBe(OBJECTS / 50);
    for (const limit of [100, 1000]) {
      const page = await timed(`missedWebhooks page, 365 days, limit ${limit}`, () =>
        sightings.missedPage(t.db, { ...range, startDate: '2026-01-01', endDate: '2026-12-31', limit, after: null }),
      );
      expect(page.items).toHaveLength(limit);
      const deep = await timed(`missedWebhooks page 3 (keyset), limit ${limit}`, async () => {
        let after = page.next;
        for (let i = 0; i < 1; i++)
          after = (
            await sightings.missedPage(t.db, { ...range, startDate: '2026-01-01', endDate: '2026-12-31', limit, after })
          ).next;
        return sightings.missedPage(t.db, { ...range, startDate: '2026-01-01', endDate: '2026-12-31', limit, after });
      });
      expect(deep.items).toHaveLength(limit);
    }
    await timed('missed-webhooks gauge (last 24 h, 3 sources)', () =>
      sightings.missedCounts(t.db, { since: new Date(now.getTime() - 86_400_000), graceS: GRACE_S, now }),
    );
    let n = 0;
    const page = (): OutboxInsert[] =>
      Array.from({ length: 100 }, (_, i) => {
        const id = `ch_new_${n}_${i}`;
        return {
          source: 'stripe',
          kind: 'stripe.charge',
          dedupeKey: `charge:${id}`,
          origin: 'poll',
          eventType: 'charge.snapshot',
          payload: { id, object: 'charge', created: 1_790_000_000 + i },
          vendorTime: null,
        };
      });
    for (const [label, outbox] of [
      ['poll page of 100 charges: outbox insert only', new OutboxInsertRepository()],
      ['poll page of 100 charges: outbox insert + sightings upsert', new OutboxInsertRepository(sightings)],
    ] as const)
      await timed(
        label,
        () => {
          const rows = page();
          n++;
          return t.db.tx((sql) => outbox.insertMany(sql, rows));
        },
        9,
      );

    const plan = async (sql: string) =>
      (await t.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`)).map((r) => r['QUERY PLAN']).join('\n');
    expect(
      await plan(
        `SELECT count(*) FROM object_sightings WHERE source = 'stripe' AND vendor_created_at >= '2026-06-01' AND vendor_created_at < '2026-07-01'`,
      ),
    ).toMatch(/Index Only Scan using object_sightings_created/);
    expect(
      await plan(
        `SELECT * FROM object_sightings WHERE source = 'stripe' AND vendor_created_at >= '2026-01-01' AND vendor_created_at < '2027-01-01'
           AND first_poll_at IS NOT NULL AND (first_webhook_at IS NULL OR first_webhook_at > first_poll_at)
         ORDER BY vendor_created_at, object_type, external_id LIMIT 101`,
      ),
    ).toMatch(/object_sightings_poll_first/);
  }, 120_000);
});
