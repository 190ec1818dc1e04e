import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { quietPort } from '../support/ports.js';
import request from 'supertest';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AlertsService } from '../../src/alerts/alerts.service.js';
import { AlertsRepository } from '../../src/alerts/alerts.repository.js';
import { OutboxInsertRepository } from '../../src/outbox/outbox-insert.repository.js';
import type { OutboxInsert } from '../../src/outbox/outbox.types.js';
import { OutboxWorker } from '../../src/outbox/outbox.worker.js';
import { TEST_ADMIN_KEY, TEST_API_KEY, bootTestApp, type TestApp } from '../support/app.js';

const SECRET = 'alert-secret-0123456789';
const TIMEOUT_MS = 500;

interface Received {
  signature: string;
  body: string;
  message: Record<string, any>;
  answered: number | 'hung';
}

/**
 * A local alert receiver on a fixed port that can be down (nothing listening), answer 500, hang
 * (never answer) or accept (200). It records every request that reached it and how it answered.
 */
class Receiver {
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  readonly received: Received[] = [];
  private server: Server | null = null;
  private readonly hanging = new Set<ServerResponse>();

  constructor(readonly port: number) {}

  static async onFreePort(): Promise<Receiver> {
    return new Receiver(await quietPort());
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/buffalo?token=abc`;
  }

  /** Accepted deliveries: what the receiver actually took in. */
  get accepted(): Received[] {
    return this.received.filter((r) => r.answered === 200);
  }

  async up(): Promise<void> {
    this.server = createServer((req, res) => void this.onRequest(req, res));
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
  }

  async down(): Promise<void> {
    if (!this.server) return;
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server!.close(() => r()));
    this.server = null;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const r: Received = {
      signature: String(req.headers['x-buffalo-signature'] ?? ''),
      body,
      message: JSON.parse(body),
      answered: this.mode === 'ok' ? 200 : this.mode === 'fail' ? 500 : 'hung',
    };
    this.received.push(r);
    if (this.mode === 'hang') {
      this.hanging.add(res);
      return;
    }
    res.writeHead(r.answered as number, { 'content-type': 'application/json' }).end('{}');
  }
}

/** The receiver's side of X-Buffalo-Signature: HMAC-SHA256(secret, "<t>.<body>") over the raw body. */
function verifies(header: string, body: string, secret = SECRET): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.${body}`).digest();
  const fresh = Math.abs(Date.now() / 1000 - Number(m[1])) < 300;
  return fresh && timingSafeEqual(expected, Buffer.from(m[2], 'hex'));
}

const deadLetter = (n: number): OutboxInsert => ({
  source: 'stripe',
  kind: 'stripe.event',
  dedupeKey: `evt_dead_${n}`,
  origin: 'webhook',
  eventType: 'charge.succeeded',
  // Not an event at all: the Stripe handler parks it as dead (invalid_payload) at once.
  payload: { object: 'charge', id: `ch_${n}` },
  vendorTime: null,
});

const harmless = (n: number): OutboxInsert => ({
  source: 'stripe',
  kind: 'stripe.event',
  dedupeKey: `evt_ok_${n}`,
  origin: 'webhook',
  eventType: 'customer.created',
  payload: {
    id: `evt_ok_${n}`,
    object: 'event',
    type: 'customer.created',
    created: 1_780_000_000,
    data: { object: { object: 'customer' } },
  },
  vendorTime: null,
});

interface DeliveryRow {
  id: string;
  status: string;
  attempts: number;
  failure_class: string | null;
  last_error: string | null;
  delay_s: number;
  dedupe_key: string;
}

describe('alerts: opened and resolved in Postgres, delivered through the outbox', () => {
  let t: TestApp;
  let receiver: Receiver;
  let alerts: AlertsService;
  let worker: OutboxWorker;

  beforeAll(async () => {
    receiver = await Receiver.onFreePort();
    t = await bootTestApp({
      ALERT_WEBHOOK_URL: receiver.url,
      ALERT_WEBHOOK_SECRET: SECRET,
      ALERT_WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
      // Low, so the test shows deliveries outliving the attempt budget of vendor rows.
      WORKER_MAX_ATTEMPTS: '2',
    });
    alerts = t.app.get(AlertsService);
    worker = t.app.get(OutboxWorker);
  });
  afterAll(async () => {
    await receiver?.down();
    await t?.close();
  });
  beforeEach(async () => {
    await t.db.query('TRUNCATE ingest_outbox, alerts, sync_runs');
    receiver.received.length = 0;
    receiver.mode = 'ok';
  });
  afterEach(async () => receiver.down());

  const insert = (rows: OutboxInsert[]) => t.app.get(OutboxInsertRepository).insertMany(t.db, rows);
  const deliveries = () =>
    t.db.query<DeliveryRow>(
      `SELECT id, status, attempts, failure_class, last_error, dedupe_key,
              extract(epoch FROM available_at - now())::float8 AS delay_s
         FROM ingest_outbox WHERE kind = 'alert.delivery' ORDER BY id`,
    );
  /** The backoff has elapsed (the test does not wait 5 s, 30 s, 2 min…). */
  const backoffElapses = () =>
    t.db.query(`UPDATE ingest_outbox SET available_at = now() WHERE kind = 'alert.delivery' AND status = 'error'`);
  const failRun = (entity: string) =>
    t.db.query(
      `INSERT INTO sync_runs (source, entity, mode, status, trigger, started_at, finished_at, error, error_class)
       VALUES ('stripe', $1, 'incremental', 'failed', 'schedule', now(), now(), 'Stripe answered 500 three times', 'transient')`,
      [entity],
    );
  const succeedRun = (entity: string) =>
    t.db.query(
      `INSERT INTO sync_runs (source, entity, mode, status, trigger, started_at, finished_at)
       VALUES ('stripe', $1, 'incremental', 'succeeded', 'schedule', now(), now() + interval '1 second')`,
      [entity],
    );

  it('a receiver that is down, then up, gets each state change exactly once, signed, and the resolved one follows', async () => {
    await insert([deadLetter(1)]);
    await worker.drain();

    // Down: the firing delivery is queued with the alert and fails without reaching anyone.
    const first = await alerts.evaluate();
    expect(first?.opened.map((a) => [a.condition, a.subject])).toEqual([['dead_letters', 'outbox']]);
    expect(first?.queued).toBe(1);
    await worker.drain();
    let [row] = await deliveries();
    expect(row).toMatchObject({ status: 'error', attempts: 1, failure_class: 'transient' });
    expect(row.last_error).toMatch(/unreachable: ECONNREFUSED/);
    expect(row.last_error).not.toContain('token=abc');
    expect(row.delay_s).toBeGreaterThan(3);

    // Still holding while down: no second alert, no second delivery.
    const again = await alerts.evaluate();
    expect(again).toMatchObject({ opened: [], resolved: [], queued: 0 });
    expect(await deliveries()).toHaveLength(1);

    // Up: the retry delivers it, once.
    await receiver.up();
    await backoffElapses();
    await worker.drain();
    await worker.drain();
    [row] = await deliveries();
    expect(row.status).toBe('done');
    expect(receiver.received).toHaveLength(1);
    const [firing] = receiver.accepted;
    expect(verifies(firing.signature, firing.body)).toBe(true);
    expect(verifies(firing.signature, firing.body, 'another-secret-0123456')).toBe(false);
    expect(Object.keys(firing.message)).toEqual([
      'alertId',
      'condition',
      'state',
      'severity',
      'summary',
      'details',
      'firedAt',
      'resolvedAt',
      'text',
    ]);
    expect(firing.message).toMatchObject({
      alertId: first!.opened[0].id,
      condition: 'dead_letters',
      state: 'firing',
      severity: 'critical',
      details: { subject: 'outbox', deadCount: 1, threshold: 1 },
      resolvedAt: null,
    });
    expect(firing.message.text).toMatch(/^:rotating_light: \*Firing:\* dead_letters/);

    // The condition clears: one resolved message for the same alert.
    await t.db.query(`DELETE FROM ingest_outbox WHERE status = 'dead'`);
    const cleared = await alerts.evaluate();
    expect(cleared?.resolved.map((a) => a.id)).toEqual([firing.message.alertId]);
    await worker.drain();
    expect(receiver.accepted).toHaveLength(2);
    const resolved = receiver.accepted[1];
    expect(verifies(resolved.signature, resolved.body)).toBe(true);
    expect(resolved.message).toMatchObject({
      alertId: firing.message.alertId,
      state: 'resolved',
      firedAt: firing.message.firedAt,
      resolvedAt: expect.any(String),
    });
    expect(resolved.message.text).toMatch(/^:white_check_mark: \*Resolved:\*/);

    // Nothing more to say: no further deliveries.
    expect(await alerts.evaluate()).toMatchObject({ opened: [], resolved: [], queued: 0 });
    await worker.drain();
    expect(receiver.received).toHaveLength(2);
    expect((await deliveries()).map((d) => d.dedupe_key)).toEqual([
      `alert:${firing.message.alertId}:firing`,
      `alert:${firing.message.alertId}:resolved`,
    ]);

    // A new firing of the same condition is a new alert.
    await insert([deadLetter(2)]);
    await worker.drain();
    const refired = await alerts.evaluate();
    expect(refired?.opened).toHaveLength(1);
    expect(refired!.opened[0].id).not.toBe(firing.message.alertId);
  });

  it('a receiver answering 500 or hanging is retried with backoff past the attempt budget and never holds up other work', async () => {
    await receiver.up();
    receiver.mode = 'fail';
    await failRun('charges');
    expect((await alerts.evaluate())?.opened.map((a) => a.subject)).toEqual(['stripe:charges']);
    await worker.drain();
    let [row] = await deliveries();
    expect(row).toMatchObject({ status: 'error', attempts: 1, last_error: 'alert receiver answered HTTP 500' });
    // The queue's backoff: 5 s ± 20 % after the first failure.
    expect(row.delay_s).toBeGreaterThan(3.5);
    expect(row.delay_s).toBeLessThan(6.5);

    // Hanging: the POST gives up after ALERT_WEBHOOK_TIMEOUT_MS; vendor rows claimed with it are
    // settled meanwhile, and no transaction stays open while the receiver holds the request.
    receiver.mode = 'hang';
    await backoffElapses();
    await insert([harmless(1), harmless(2)]);
    let idleInTx = -1;
    const probe = setInterval(() => {
      if (receiver.received.length < 2) return;
      void t.db
        .query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
        )
        .then(([r]) => (idleInTx = Math.max(idleInTx, Number(r.n))));
    }, 50);
    const t0 = Date.now();
    const batch = await worker.processBatch();
    const ms = Date.now() - t0;
    clearInterval(probe);
    expect(batch).toMatchObject({ claimed: 3, processed: 2, failed: 1, dead: 0 });
    expect(ms).toBeLessThan(TIMEOUT_MS + 1500);
    expect(idleInTx).toBe(0);
    [row] = await deliveries();
    // Attempt 2 of WORKER_MAX_ATTEMPTS=2 failed, and the delivery is still waiting to be retried.
    expect(row).toMatchObject({
      status: 'error',
      attempts: 2,
      last_error: `alert receiver did not answer within ${TIMEOUT_MS} ms`,
    });
    expect(row.delay_s).toBeGreaterThan(20);

    receiver.mode = 'ok';
    await backoffElapses();
    await worker.drain();
    [row] = await deliveries();
    expect(row).toMatchObject({ status: 'done', attempts: 3 });
    expect(receiver.received.map((r) => r.answered)).toEqual([500, 'hung', 200]);
    expect(receiver.accepted.map((r) => [r.message.condition, r.message.state])).toEqual([['run_failed', 'firing']]);
    expect(receiver.accepted.every((r) => verifies(r.signature, r.body))).toBe(true);

    // A later successful run of the same entity resolves it.
    await succeedRun('charges');
    expect((await alerts.evaluate())?.resolved.map((a) => a.subject)).toEqual(['stripe:charges']);
    await worker.drain();
    expect(receiver.accepted.map((r) => r.message.state)).toEqual(['firing', 'resolved']);
  });

  it('a double-fired evaluation opens one alert and queues one delivery', async () => {
    await failRun('refunds');
    await failRun('disputes');
    const results = await Promise.all([alerts.evaluate(), alerts.evaluate(), alerts.evaluate()]);
    const opened = results.flatMap((r) => r?.opened ?? []);
    expect(opened.map((a) => a.subject).sort()).toEqual(['stripe:disputes', 'stripe:refunds']);
    expect(await deliveries()).toHaveLength(2);

    // Even without the evaluation lock, the partial unique index keeps one open alert per subject.
    const repo = t.app.get(AlertsRepository, { strict: false });
    const observation = {
      condition: 'outbox_lag' as const,
      subject: 'outbox',
      summary: 'The oldest queued outbox event has waited 400 s',
      details: { oldestQueuedAgeS: 400 },
    };
    const raced = await Promise.all(
      [1, 2, 3].map(() => t.db.tx((sql) => repo.reconcile(sql, [observation], ['outbox_lag']))),
    );
    expect(raced.flatMap((r) => r.opened)).toHaveLength(1);
    const [open] = await t.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM alerts WHERE condition = 'outbox_lag' AND state = 'firing'`,
    );
    expect(Number(open.n)).toBe(1);
  });

  describe('GET /alerts', () => {
    const admin = { 'X-Admin-Api-Key': TEST_ADMIN_KEY };

    it('lists alerts newest first with the delivery shape, filters by state and pages with before', async () => {
      await failRun('a');
      await failRun('b');
      await failRun('c');
      await alerts.evaluate();
      await succeedRun('a');
      await alerts.evaluate();

      const all = await request(t.url).get('/alerts').set(admin);
      expect(all.status).toBe(200);
      expect(all.body.alerts.map((a: any) => [a.details.subject, a.state])).toEqual([
        ['stripe:c', 'firing'],
        ['stripe:b', 'firing'],
        ['stripe:a', 'resolved'],
      ]);
      expect(all.body.nextBefore).toBeNull();
      const [c] = all.body.alerts;
      expect(c).toEqual({
        alertId: expect.any(String),
        condition: 'run_failed',
        state: 'firing',
        severity: 'critical',
        summary: 'The latest sync of stripe/c failed: Stripe answered 500 three times',
        details: expect.objectContaining({ subject: 'stripe:c', entity: 'c', errorClass: 'transient' }),
        firedAt: expect.any(String),
        resolvedAt: null,
        text: expect.stringContaining('run_failed (critical) on stripe:c'),
      });

      const firing = await request(t.url).get('/alerts?state=firing&limit=1').set(admin);
      expect(firing.body.alerts.map((a: any) => a.details.subject)).toEqual(['stripe:c']);
      const next = await request(t.url).get(`/alerts?state=firing&limit=1&before=${firing.body.nextBefore}`).set(admin);
      expect(next.body).toEqual({ alerts: [expect.objectContaining({ state: 'firing' })], nextBefore: null });
      expect(next.body.alerts[0].details.subject).toBe('stripe:b');

      const resolved = await request(t.url).get('/alerts?state=resolved').set(admin);
      expect(resolved.body.alerts).toEqual([
        expect.objectContaining({ state: 'resolved', resolvedAt: expect.any(String), condition: 'run_failed' }),
      ]);
    });

    it('refuses bad parameters with 400 and a missing or read-only key with 401', async () => {
      const bad = await request(t.url).get('/alerts?state=open&limit=0&before=x&since=1').set(admin);
      expect(bad.status).toBe(400);
      expect(bad.body.error).toBe('validation_failed');
      expect(bad.body.issues.map((i: any) => i.field).sort()).toEqual(['before', 'limit', 'since', 'state']);
      for (const headers of [{}, { 'X-Api-Key': TEST_API_KEY }]) {
        const res = await request(t.url).get('/alerts').set(headers);
        expect(res.status).toBe(401);
        expect(res.body.error).toBe('unauthorized');
      }
    });
  });
});

describe('alerts without ALERT_WEBHOOK_URL', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp();
  });
  afterAll(async () => t?.close());

  it('still open and resolve in Postgres, and nothing is queued for delivery', async () => {
    const alerts = t.app.get(AlertsService);
    await t.db.query(
      `INSERT INTO sync_runs (source, entity, mode, status, trigger, finished_at, stale_cursor_detected)
       VALUES ('hubspot', 'deals', 'incremental', 'succeeded', 'schedule', now(), true)`,
    );
    const r = await alerts.evaluate();
    expect(r?.opened.map((a) => [a.condition, a.subject, a.severity])).toEqual([
      ['cursor_expired', 'hubspot:deals', 'warning'],
    ]);
    expect(r?.queued).toBe(0);
    await t.db.query(
      `INSERT INTO sync_runs (source, entity, mode, status, trigger, finished_at)
       VALUES ('hubspot', 'deals', 'incremental', 'succeeded', 'schedule', now() + interval '1 second')`,
    );
    expect((await alerts.evaluate())?.resolved.map((a) => a.condition)).toEqual(['cursor_expired']);
    const [n] = await t.db.query<{ n: string }>(`SELECT count(*) AS n FROM ingest_outbox`);
    expect(Number(n.n)).toBe(0);
  });

  it('metric_drift follows the revenue verifier’s open finding', async () => {
    const alerts = t.app.get(AlertsService);
    await t.db.query(`INSERT INTO revenue_drift (mismatches, sample) VALUES (3, '[]'::jsonb)`);
    expect((await alerts.evaluate())?.opened.map((a) => [a.condition, a.subject, a.severity])).toEqual([
      ['metric_drift', 'revenue', 'critical'],
    ]);
    await t.db.query(`UPDATE revenue_drift SET resolved_at = now()`);
    expect((await alerts.evaluate())?.resolved.map((a) => a.condition)).toEqual(['metric_drift']);
  });
});
