import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { bootTestApp, TEST_ADMIN_KEY, type TestApp } from '../support/app.js';
import { bootGcalApp, gcalRuns } from '../support/gcal-kit.js';
import { startGcalSimulator, type GcalSimulator } from '../../scripts/sandbox/gcal/gcal-simulator.js';
import { GcalChannelRenewal } from '../../src/connectors/gcal/gcal-channel.renewal.js';

const SALES = 'sales@example.com';
const OPS = 'ops@example.com';

interface ChannelRow {
  channel_id: string;
  calendar_id: string;
  token: string;
  resource_id: string;
  expiration: Date;
  stopped_at: Date | null;
}

describe('Google Calendar push: POST /admin/gcal/watch and POST /webhooks/gcal', () => {
  let sim: GcalSimulator;
  let t: TestApp;
  let h: ReturnType<typeof gcalRuns>;

  const watch = (key: string | null, body: object = {}) => {
    const r = request(t.url).post('/admin/gcal/watch').set('X-Admin-Api-Key', TEST_ADMIN_KEY);
    return (key ? r.set('Idempotency-Key', key) : r).send(body);
  };
  const channels = () => t.db.query<ChannelRow>(`SELECT * FROM gcal_channels ORDER BY created_at, channel_id`);
  const live = async (calendarId: string) =>
    (await channels()).find((c) => c.calendar_id === calendarId && c.stopped_at === null)!;
  const push = (
    c: Pick<ChannelRow, 'channel_id' | 'token' | 'resource_id'>,
    n: number | string,
    state = 'exists',
    override: Record<string, string | undefined> = {},
  ) => {
    const headers: Record<string, string | undefined> = {
      'X-Goog-Channel-ID': c.channel_id,
      'X-Goog-Channel-Token': c.token,
      'X-Goog-Resource-ID': c.resource_id,
      'X-Goog-Resource-State': state,
      'X-Goog-Message-Number': String(n),
      'X-Goog-Channel-Expiration': new Date(Date.now() + 3_600_000).toUTCString(),
      ...override,
    };
    let r = request(t.url).post('/webhooks/gcal');
    for (const [k, v] of Object.entries(headers)) if (v !== undefined) r = r.set(k, v);
    return r.send();
  };
  const webhookRuns = (calendarId: string) =>
    t.db.query<{ id: string; status: string }>(
      `SELECT id, status FROM sync_runs WHERE source = 'gcal' AND entity = $1 AND trigger = 'webhook' ORDER BY id`,
      [`calendar:${calendarId}`],
    );

  beforeAll(async () => {
    sim = await startGcalSimulator({ calendars: [SALES, OPS], dataset: { seed: 5, eventsPerCalendar: 6 } });
    t = await bootGcalApp(sim, [SALES, OPS]);
    h = gcalRuns(t);
  });
  afterAll(async () => {
    await t?.close();
    await sim?.stop();
  });

  it('refuses to open channels while GCAL_WEBHOOK_URL is unset', async () => {
    const res = await watch('no-url-1');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'gcal_webhook_url_missing', requestId: expect.any(String) });
    expect(sim.push.channels.size).toBe(0);
    // The public address is only known once the app listens on its random port.
    t.config.gcal.webhookUrl = `${t.url}/webhooks/gcal`;
  });

  it('validates the watch request: admin key, Idempotency-Key, known calendar, known fields', async () => {
    expect((await request(t.url).post('/admin/gcal/watch').set('Idempotency-Key', 'x1').send({})).status).toBe(401);
    expect((await watch(null)).body).toMatchObject({ error: 'idempotency_key_required' });
    const unknown = await watch('bad-cal-1', { calendarId: 'someone-else@example.com' });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ error: 'validation_failed', issues: [{ in: 'body', field: 'calendarId' }] });
    expect((await watch('bad-field-1', { calendar: SALES })).body).toMatchObject({
      error: 'validation_failed',
      issues: [{ field: 'calendar' }],
    });
    expect((await watch('bad-type-1', { calendarId: 42 })).status).toBe(400);
    expect(sim.push.channels.size).toBe(0);
  });

  it('opens one channel per configured calendar through the SDK and stores it; a replay returns the same answer', async () => {
    const res = await watch('watch-all-1');
    expect(res.status).toBe(200);
    expect(res.body.channels).toHaveLength(2);
    const rows = await channels();
    for (const c of res.body.channels) {
      const row = rows.find((r) => r.channel_id === c.channelId)!;
      const remote = sim.channel(c.channelId)!;
      expect(row).toMatchObject({ calendar_id: c.calendarId, resource_id: c.resourceId, stopped_at: null });
      expect(remote).toMatchObject({
        calendarId: c.calendarId,
        address: `${t.url}/webhooks/gcal`,
        token: row.token,
        stopped: false,
      });
      expect(new Date(row.expiration).toISOString()).toBe(c.expiration);
      expect(row.token.length).toBeGreaterThanOrEqual(40);
    }
    expect(res.body.channels.map((c: { calendarId: string }) => c.calendarId).sort()).toEqual([OPS, SALES]);

    const replay = await watch('watch-all-1');
    expect(replay.status).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(res.body);
    expect(sim.push.channels.size).toBe(2);
    expect((await watch('watch-all-1', { calendarId: SALES })).status).toBe(409);
  });

  it("stores Google's `sync` confirmation of each new channel and turns it into a sync of that calendar", async () => {
    await sim.flushNotifications();
    await new Promise((r) => setTimeout(r, 50));
    await sim.flushNotifications();
    const syncs = sim.push.deliveries.filter((d) => d.state === 'sync');
    expect(syncs.map((d) => [d.messageNumber, d.status])).toEqual([
      [1, 200],
      [1, 200],
    ]);
    await h.drain();
    await h.waitForIdle();
    for (const cal of [SALES, OPS])
      expect(await webhookRuns(cal)).toEqual([{ id: expect.any(String), status: 'succeeded' }]);
  });

  it('answers contract errors for missing headers, unknown channels and wrong tokens, storing nothing', async () => {
    const c = await live(SALES);
    const [{ n: before }] = await t.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ingest_outbox WHERE kind = 'gcal.notification'`,
    );
    const cases: Array<[Record<string, string | undefined>, number, string]> = [
      [{ 'X-Goog-Channel-Token': undefined }, 400, 'missing_signature'],
      [{ 'X-Goog-Channel-ID': undefined }, 400, 'missing_signature'],
      [
        { 'X-Goog-Channel-Token': c.token.slice(0, -1) + (c.token.endsWith('A') ? 'B' : 'A') },
        400,
        'invalid_signature',
      ],
      [{ 'X-Goog-Channel-Token': 'short' }, 400, 'invalid_signature'],
      [{ 'X-Goog-Channel-ID': 'not-a-channel-we-opened' }, 400, 'invalid_signature'],
      [{ 'X-Goog-Channel-ID': 'x'.repeat(5000) }, 400, 'invalid_signature'],
      [{ 'X-Goog-Resource-ID': 'another-resource' }, 400, 'invalid_signature'],
      [{ 'X-Goog-Resource-State': 'deleted' }, 400, 'validation_failed'],
      [{ 'X-Goog-Message-Number': undefined }, 400, 'validation_failed'],
      [{ 'X-Goog-Message-Number': '12abc' }, 400, 'validation_failed'],
    ];
    for (const [override, status, error] of cases) {
      const res = await push(c, 99, 'exists', override);
      expect([res.status, res.body.error], JSON.stringify(override).slice(0, 80)).toEqual([status, error]);
      expect(res.body.requestId).toEqual(expect.any(String));
    }
    const [{ n: after }] = await t.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ingest_outbox WHERE kind = 'gcal.notification'`,
    );
    expect(after).toBe(before);
  });

  it('a valid notification is stored once; a redelivered message number is a duplicate', async () => {
    const c = await live(SALES);
    const first = await push(c, 500);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ received: true, type: 'exists', duplicate: false });
    const again = await push(c, 500);
    expect(again.body).toEqual({ received: true, type: 'exists', duplicate: true });
    const rows = await t.db.query<{ dedupe_key: string; status: string; payload: any }>(
      `SELECT dedupe_key, status, payload FROM ingest_outbox WHERE dedupe_key = $1`,
      [`${c.channel_id}:500`],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      status: 'queued',
      payload: { calendarId: SALES, resourceState: 'exists', messageNumber: '500', channelId: c.channel_id },
    });
    await h.drain();
    await h.waitForIdle();
  });

  it('a burst of notifications yields one incremental sync of that calendar only', async () => {
    const salesBefore = (await webhookRuns(SALES)).length;
    const opsBefore = (await webhookRuns(OPS)).length;
    const c = await live(SALES);
    const deliveries = await Promise.all([1, 2, 3, 4, 5, 6].map(() => sim.notify(c.channel_id, 'exists')));
    expect(deliveries.map((d) => d.status)).toEqual([200, 200, 200, 200, 200, 200]);
    await h.drain();
    await h.waitForIdle();
    const runs = await webhookRuns(SALES);
    expect(runs.length - salesBefore).toBe(1);
    expect(runs.at(-1)!.status).toBe('succeeded');
    expect((await webhookRuns(OPS)).length).toBe(opsBefore);
    const states = await t.db.query<{ status: string }>(
      `SELECT DISTINCT status FROM ingest_outbox WHERE kind = 'gcal.notification'`,
    );
    expect(states.map((s) => s.status)).toEqual(['done']);

    // Once that sync has run, a new notification needs (and gets) a new one.
    await sim.notify(c.channel_id, 'exists');
    await h.drain();
    await h.waitForIdle();
    expect((await webhookRuns(SALES)).length - salesBefore).toBe(2);
  });

  it('a change in Google reaches the events table through push → outbox → sync → outbox → events', async () => {
    const [{ event }] = [...sim.state.calendar(OPS)!.events.values()].filter(
      (s) => s.event.status === 'confirmed' && !s.event.recurrence,
    );
    const t0 = performance.now();
    sim.mutate.update(OPS, event.id, { summary: 'Pushed change' });
    await sim.flushNotifications();
    for (let i = 0; i < 3; i++) {
      await h.drain();
      await h.waitForIdle();
    }
    const ms = Math.round(performance.now() - t0);
    const [row] = await t.db.query<{ summary: string }>(
      `SELECT summary FROM events WHERE calendar_id = $1 AND event_id = $2`,
      [OPS, event.id],
    );
    expect(row.summary).toBe('Pushed change');
    console.info(`gcal push-to-events latency (worker driven by drain): ${ms} ms`);
  });

  it('renewing opens a new channel and stops the old one; the old channel is then refused', async () => {
    const old = await live(SALES);
    const res = await watch('renew-sales-1', { calendarId: SALES });
    expect(res.status).toBe(200);
    expect(res.body.channels).toHaveLength(1);
    const fresh = res.body.channels[0];
    expect(fresh.channelId).not.toBe(old.channel_id);
    const rows = await channels();
    expect(rows.find((r) => r.channel_id === old.channel_id)!.stopped_at).not.toBeNull();
    expect(sim.channel(old.channel_id)!.stopped).toBe(true);
    expect((await live(SALES)).channel_id).toBe(fresh.channelId);
    const stale = await push(old, 777);
    expect([stale.status, stale.body.error]).toEqual([400, 'invalid_signature']);
    expect((await push(await live(SALES), 777)).status).toBe(200);
  });

  it('two concurrent renewals of one calendar run one after the other and leave exactly one live channel', async () => {
    const [a, b] = await Promise.all([
      watch('race-ops-a', { calendarId: OPS }),
      watch('race-ops-b', { calendarId: OPS }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const open = (await channels()).filter((c) => c.calendar_id === OPS && c.stopped_at === null);
    expect(open).toHaveLength(1);
    expect([a.body.channels[0].channelId, b.body.channels[0].channelId]).toContain(open[0].channel_id);
    expect(sim.push.active(OPS).map((c) => c.id)).toEqual([open[0].channel_id]);
  });

  it('the scheduled renewal replaces channels close to expiry and leaves the others', async () => {
    const ops = await live(OPS);
    const sales = await live(SALES);
    await t.db.query(`UPDATE gcal_channels SET expiration = now() + interval '1 hour' WHERE channel_id = $1`, [
      ops.channel_id,
    ]);
    const renewed = await t.app.get(GcalChannelRenewal).tick();
    expect(renewed!.map((c) => c.calendarId)).toEqual([OPS]);
    expect((await live(OPS)).channel_id).toBe(renewed![0].channelId);
    expect(sim.channel(ops.channel_id)!.stopped).toBe(true);
    expect((await live(SALES)).channel_id).toBe(sales.channel_id);
  });

  it('both routes are in the OpenAPI document with their error shapes', async () => {
    const doc = (await request(t.url).get('/docs/openapi.json')).body;
    expect(Object.keys(doc.paths['/webhooks/gcal'].post.responses).sort()).toEqual(['200', '400', '404', '503']);
    expect(Object.keys(doc.paths['/admin/gcal/watch'].post.responses)).toEqual(
      expect.arrayContaining(['200', '400', '401', '409', '502']),
    );
  });

  it('not_exists is stored and ignored (no sync)', async () => {
    // Settle the `sync` message of the channel the renewal just opened first.
    await new Promise((r) => setTimeout(r, 50));
    await sim.flushNotifications();
    await h.drain();
    await h.waitForIdle();
    const before = (await webhookRuns(OPS)).length;
    const res = await push(await live(OPS), 900, 'not_exists');
    expect(res.body).toEqual({ received: true, type: 'not_exists', duplicate: false });
    await h.drain();
    const [row] = await t.db.query<{ status: string }>(`SELECT status FROM ingest_outbox WHERE dedupe_key = $1`, [
      `${(await live(OPS)).channel_id}:900`,
    ]);
    expect(row.status).toBe('ignored');
    expect((await webhookRuns(OPS)).length).toBe(before);
  });
});

describe('Google Calendar push when gcal is not configured', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp();
  });
  afterAll(async () => t?.close());

  it('POST /webhooks/gcal is 404 gcal_disabled and /admin/gcal/watch is 400 source_not_enabled', async () => {
    const res = await request(t.url)
      .post('/webhooks/gcal')
      .set('X-Goog-Channel-ID', 'c')
      .set('X-Goog-Channel-Token', 't')
      .send();
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: 'gcal_disabled', requestId: expect.any(String) });
    const w = await request(t.url)
      .post('/admin/gcal/watch')
      .set('X-Admin-Api-Key', TEST_ADMIN_KEY)
      .set('Idempotency-Key', 'off-1')
      .send({});
    expect(w.status).toBe(400);
    expect(w.body).toMatchObject({ error: 'source_not_enabled' });
  });
});
