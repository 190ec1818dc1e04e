import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb } from '../support/db.js';
import { Gate, runsServiceFor, ScriptedDriver, waitForStatus } from '../support/runs-test-driver.js';
import { loadConfig } from '../../src/config/app.config.js';
import { OutboxHandlerRegistry } from '../../src/outbox/outbox.handlers.js';
import { OutboxInsertRepository } from '../../src/outbox/outbox-insert.repository.js';
import type { OutboxRow } from '../../src/outbox/outbox.types.js';
import { GcalConnection } from '../../src/connectors/gcal/gcal.connection.js';
import { GcalNotificationHandler } from '../../src/connectors/gcal/gcal-notification.handler.js';
import { notificationInsert, type GcalNotificationPayload } from '../../src/connectors/gcal/gcal.notification.js';
import { SyncCoverageRepository } from '../../src/runs/sync-coverage.repository.js';
import { generateServiceAccount } from '../../scripts/sandbox/gcal/service-account.js';

const A = 'a@example.com';
const B = 'b@example.com';

/** The notification handler's debounce: one sync per burst, a follow-up only when a running sync may have missed the change. */
describe('gcal notifications → debounced incremental syncs', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  let handler: GcalNotificationHandler;
  let driver: ScriptedDriver;
  let runs: ReturnType<typeof runsServiceFor>;
  let gate = new Gate();
  let seq = 0;
  const env = {
    GCAL_SERVICE_ACCOUNT_JSON: JSON.stringify(generateServiceAccount({ tokenUri: 'http://127.0.0.1:9/token' })),
    GCAL_CALENDAR_IDS: `${A},${B}`,
  };

  beforeAll(async () => {
    t = await openTestDb();
    driver = new ScriptedDriver('gcal', [`calendar:${A}`, `calendar:${B}`], async () => gate.opened);
    runs = runsServiceFor(t.db, t.locks, [driver], env);
    const connection = new GcalConnection(loadConfig({ NODE_ENV: 'test', ...env }));
    handler = new GcalNotificationHandler(
      new OutboxHandlerRegistry(),
      runs.service,
      new SyncCoverageRepository(),
      connection,
      t.locks,
    );
  });
  afterAll(async () => {
    gate.open();
    await runs?.service.waitForIdle();
    await t?.close();
  });

  /** Stores notifications as the webhook would and reads them back as claimed rows (received_at from Postgres). */
  async function notifications(
    ...specs: Array<Partial<GcalNotificationPayload> & { calendarId: string }>
  ): Promise<OutboxRow[]> {
    const inserts = specs.map((s) =>
      notificationInsert({
        channelId: 'ch-1',
        resourceState: 'exists',
        messageNumber: String(++seq),
        resourceId: 'r',
        resourceUri: null,
        channelExpiration: null,
        ...s,
      }),
    );
    await t.db.tx((sql) => new OutboxInsertRepository().insertMany(sql, inserts));
    const rows = await t.db.query<Record<string, any>>(
      `SELECT * FROM ingest_outbox WHERE dedupe_key = ANY($1::text[]) ORDER BY id`,
      [inserts.map((i) => i.dedupeKey)],
    );
    return rows.map((r) => ({
      id: String(r.id),
      source: r.source,
      kind: r.kind,
      dedupeKey: r.dedupe_key,
      origin: r.origin,
      eventType: r.event_type,
      payload: r.payload,
      attempts: 1,
      receivedAt: new Date(r.received_at),
      vendorTime: null,
    }));
  }
  const handle = (rows: OutboxRow[]) => handler.handle(rows, { db: t.db, workerId: 'test' });
  const runIds = async (calendarId: string) =>
    (
      await t.db.query<{ id: string }>(`SELECT id FROM sync_runs WHERE entity = $1 ORDER BY id`, [
        `calendar:${calendarId}`,
      ])
    ).map((r) => r.id);

  it('a batch of notifications queues exactly one webhook-triggered run per calendar', async () => {
    const rows = await notifications(
      { calendarId: A },
      { calendarId: A },
      { calendarId: B },
      { calendarId: A, resourceState: 'sync' },
    );
    const out = await handle(rows);
    expect([...out.values()]).toEqual(rows.map(() => ({ status: 'done' })));
    expect(await runIds(A)).toHaveLength(1);
    expect(await runIds(B)).toHaveLength(1);
    const [run] = await t.db.query<{ trigger: string; mode: string }>(
      `SELECT trigger, mode FROM sync_runs WHERE entity = $1`,
      [`calendar:${A}`],
    );
    expect(run).toEqual({ trigger: 'webhook', mode: 'incremental' });
  });

  it('notifications received before the run started listing are covered by it', async () => {
    const [runA] = await runIds(A);
    await waitForStatus(runs.repo, runA, ['running']);
    // Backdated to before the run started listing: that run will see its change.
    const rows = await notifications({ calendarId: A });
    await t.db.query(`UPDATE ingest_outbox SET received_at = received_at - interval '1 hour' WHERE id = $1::bigint`, [
      rows[0].id,
    ]);
    rows[0].receivedAt = new Date(rows[0].receivedAt.getTime() - 3_600_000);
    expect((await handle(rows)).get(rows[0].id)).toEqual({ status: 'done' });
    expect(await runIds(A)).toHaveLength(1);
  });

  it('a notification that arrives while a sync is listing waits for it, then gets its own follow-up sync', async () => {
    const rows = await notifications({ calendarId: A });
    const waiting = (await handle(rows)).get(rows[0].id)!;
    expect(waiting).toMatchObject({ status: 'failed', failureClass: 'transient', retryAfterMs: expect.any(Number) });
    expect(await runIds(A)).toHaveLength(1);

    gate.open();
    await runs.service.waitForIdle();
    gate = new Gate();
    // The worker retries the row after the run ended: now it triggers the follow-up.
    expect((await handle(rows)).get(rows[0].id)).toEqual({ status: 'done' });
    const ids = await runIds(A);
    expect(ids).toHaveLength(2);
    await waitForStatus(runs.repo, ids[1], ['running']);
    // Everything received before that follow-up started is covered by it.
    const earlier = await notifications({ calendarId: A });
    await t.db.query(`UPDATE ingest_outbox SET received_at = now() - interval '1 minute' WHERE id = $1::bigint`, [
      earlier[0].id,
    ]);
    earlier[0].receivedAt = new Date(Date.now() - 60_000);
    expect((await handle(earlier)).get(earlier[0].id)).toEqual({ status: 'done' });
    expect(await runIds(A)).toHaveLength(2);
    gate.open();
    await runs.service.waitForIdle();
    gate = new Gate();
  });

  it('not_exists and calendars no longer configured are ignored; a malformed payload is dead', async () => {
    const rows = await notifications(
      { calendarId: A, resourceState: 'not_exists' },
      { calendarId: 'gone@example.com' },
    );
    const bad = { ...rows[0], id: '999999', payload: { channelId: 'x' } } as OutboxRow;
    const out = await handle([...rows, bad]);
    expect(out.get(rows[0].id)).toMatchObject({ status: 'ignored' });
    expect(out.get(rows[1].id)).toMatchObject({
      status: 'ignored',
      reason: expect.stringContaining('GCAL_CALENDAR_IDS'),
    });
    expect(out.get('999999')).toMatchObject({ status: 'failed', failureClass: 'invalid_payload' });
    expect(await runIds(A)).toHaveLength(2);
  });
});
