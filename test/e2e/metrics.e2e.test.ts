import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import request from 'supertest';
import { Registry } from 'prom-client';
import type { INestApplicationContext } from '@nestjs/common';
import { bootTestApp, TEST_ADMIN_KEY, TEST_API_KEY, type TestApp } from '../support/app.js';
import { createTestDatabase } from '../support/db.js';
import { HttpMetrics } from '../../src/common/http.metrics.js';
import { METRIC_SERIES } from '../../src/common/metrics.catalog.js';
import { loadConfig } from '../../src/config/app.config.js';
import { createAppContext } from '../../src/app.process-entry.js';
import { Database } from '../../src/database/database.sql.js';
import { MetricsServer } from '../../src/health/metrics.server.js';
import { WORKER_ROLES } from '../../src/scheduling/process.roles.js';
import {
  generateStripeDataset,
  sendStripeWebhook,
  startStripeSimulator,
  StripeSimState,
  type StripeSimulator,
} from '../../scripts/sandbox/stripe/index.js';
import { startHubSpotSimulator, type HubSpotSimulator } from '../../scripts/sandbox/hubspot/hubspot-simulator.js';
import { generateHubSpotDataset } from '../../scripts/sandbox/hubspot/hubspot-dataset.js';
import { startGcalSimulator, type GcalSimulator } from '../../scripts/sandbox/gcal/gcal-simulator.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The exposition text as samples and declared types (a small parser: names, labels, values). */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1], type[2]);
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return { types, samples };
}

const find = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
const total = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  find(samples, name, labels).reduce((a, s) => a + s.value, 0);

const STRIPE_KEY = 'sk_test_metrics_e2e_0123456789';
const HUBSPOT_TOKEN = 'pat-na1-metrics-e2e-000000000';
const WEBHOOK_SECRET = 'whsec_metrics_e2e';
const CALENDAR = 'metrics@example.com';
const FINAL = ['succeeded', 'partial', 'failed', 'skipped'];

describe('GET /metrics after exercising the app (prom-client)', () => {
  let t: TestApp;
  let stripe: StripeSimulator;
  let hubspot: HubSpotSimulator;
  let gcal: GcalSimulator;
  let scrape: { types: Map<string, string>; samples: Sample[] };
  let contentType: string;
  const runIds: string[] = [];

  beforeAll(async () => {
    stripe = await startStripeSimulator({
      apiKey: STRIPE_KEY,
      dataset: generateStripeDataset({ seed: 9, charges: 40 }),
    });
    hubspot = await startHubSpotSimulator({
      accessToken: HUBSPOT_TOKEN,
      dataset: generateHubSpotDataset({ seed: 4, deals: 20, contacts: 10 }),
    });
    gcal = await startGcalSimulator({ calendars: [CALENDAR], dataset: { seed: 2, eventsPerCalendar: 5 } });
    t = await bootTestApp({
      WORKER: 'on',
      WORKER_POLL_MS: '50',
      STRIPE_API_KEY: STRIPE_KEY,
      STRIPE_API_BASE: stripe.url,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      HUBSPOT_ACCESS_TOKEN: HUBSPOT_TOKEN,
      HUBSPOT_API_BASE: hubspot.url,
      HUBSPOT_SEARCH_RATE_LIMIT_PER_S: '50',
      HUBSPOT_RATE_LIMIT_PER_S: '100',
      GCAL_SERVICE_ACCOUNT_JSON: gcal.serviceAccountJson,
      GCAL_CALENDAR_IDS: CALENDAR,
      GCAL_API_BASE: gcal.url,
    });

    // A few routes: matched, matched-but-404, unmatched.
    expect((await request(t.url).get('/healthz')).status).toBe(200);
    expect((await request(t.url).get('/runs/987654').set('x-api-key', TEST_API_KEY)).status).toBe(404);
    expect((await request(t.url).get('/no/such/route/123')).status).toBe(404);

    // A signed webhook.
    const state = new StripeSimState({ seed: 12 });
    state.createCharge({ amount: 2_500, currency: 'usd' });
    const hook = await sendStripeWebhook({
      url: `${t.url}/webhooks/stripe`,
      secret: WEBHOOK_SECRET,
      event: state.snapshot().events[0],
    });
    expect(hook.status).toBe(200);

    // One 429 per vendor, then a full sync of each against its simulator.
    stripe.failNext(1, 429, 0, { path: '/v1/charges' });
    hubspot.failNext(1, 429, 0);
    gcal.failNext(1, 429, { retryAfterS: 0 });
    for (const source of ['stripe', 'hubspot', 'gcal']) {
      const res = await request(t.url)
        .post(`/trigger/${source}/full`)
        .set('x-admin-api-key', TEST_ADMIN_KEY)
        .set('idempotency-key', `metrics-e2e-${source}`);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      runIds.push(...res.body.runIds);
    }
    await vi.waitFor(
      async () => {
        for (const id of runIds) {
          const run = await request(t.url).get(`/runs/${id}`).set('x-api-key', TEST_API_KEY);
          expect(FINAL, `run ${id}`).toContain(run.body.status);
        }
        const [{ open }] = await t.db.query<{ open: string }>(
          `SELECT count(*) AS open FROM ingest_outbox WHERE status IN ('queued','running')`,
        );
        expect(open).toBe('0');
      },
      { timeout: 30_000, interval: 100 },
    );

    // Revenue figures, then an alert the alerts module would report.
    const rev = await request(t.url)
      .get('/metrics/revenue/summary?startDate=2025-01-01&endDate=2027-12-31')
      .set('x-api-key', TEST_API_KEY);
    expect(rev.status).toBe(200);
    t.app.get(HttpMetrics).setGauge('buffalo_alerts_firing', { condition: 'dead_letters' }, 2);

    const res = await request(t.url).get('/metrics');
    expect(res.status).toBe(200);
    contentType = res.headers['content-type'];
    scrape = parseExposition(res.text);
  }, 90_000);

  afterAll(async () => {
    await t?.close();
    await Promise.all([stripe?.stop(), hubspot?.stop(), gcal?.stop()]);
  });

  it('is prom-client’s exposition, with every series of the catalog declared at its type', () => {
    expect(contentType).toBe(Registry.PROMETHEUS_CONTENT_TYPE);
    for (const spec of METRIC_SERIES) expect(scrape.types.get(spec.name), spec.name).toBe(spec.type);
  });

  it('default process metrics', () => {
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
    ])
      expect(find(scrape.samples, name).length, name).toBeGreaterThan(0);
  });

  it('HTTP latency by route pattern and status, never by raw URL', () => {
    const h = 'buffalo_http_request_duration_seconds_count';
    expect(total(scrape.samples, h, { method: 'GET', route: '/healthz', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(total(scrape.samples, h, { route: '/runs/:runId', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(total(scrape.samples, h, { route: '/runs/:runId', status: '200' })).toBeGreaterThanOrEqual(runIds.length);
    expect(total(scrape.samples, h, { route: '/trigger/:source/:mode', status: '202' })).toBe(3);
    expect(total(scrape.samples, h, { route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(1);
    const routes = new Set(find(scrape.samples, h).map((s) => s.labels.route));
    for (const r of routes) expect(r, 'a raw id in a route label').not.toMatch(/\d{3,}/);
    expect(find(scrape.samples, 'buffalo_http_request_duration_seconds_bucket', { le: '+Inf' }).length).toBeGreaterThan(
      0,
    );
  });

  it('webhook receipt latency and receipts', () => {
    expect(
      total(scrape.samples, 'buffalo_webhook_receipt_duration_seconds_count', { source: 'stripe', status: '200' }),
    ).toBe(1);
    expect(total(scrape.samples, 'buffalo_webhooks_received_total', { source: 'stripe', duplicate: 'false' })).toBe(1);
  });

  it('queue depth by source and status, and the age of the oldest queued row, read at scrape', async () => {
    const [{ n }] = await t.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ingest_outbox WHERE source = 'stripe' AND status = 'done'`,
    );
    expect(total(scrape.samples, 'buffalo_outbox_rows', { source: 'stripe', status: 'done' })).toBe(Number(n));
    for (const source of ['stripe', 'hubspot', 'gcal'])
      expect(find(scrape.samples, 'buffalo_outbox_rows', { source, status: 'queued' })).toHaveLength(1);
    expect(find(scrape.samples, 'buffalo_outbox_oldest_queued_age_seconds')).toEqual([
      expect.objectContaining({ value: expect.any(Number) }),
    ]);
  });

  it('processing: batches, per-kind durations and processed rows', () => {
    expect(total(scrape.samples, 'buffalo_outbox_batch_duration_seconds_count')).toBeGreaterThan(0);
    const kinds = new Set(find(scrape.samples, 'buffalo_outbox_kind_duration_seconds_count').map((s) => s.labels.kind));
    expect([...kinds].some((k) => k.startsWith('stripe.'))).toBe(true);
    expect(total(scrape.samples, 'buffalo_outbox_processed_total')).toBeGreaterThan(0);
  });

  it('run duration and outcome per source', () => {
    for (const source of ['stripe', 'hubspot', 'gcal']) {
      const outcomes = find(scrape.samples, 'buffalo_sync_runs_total', { source });
      expect(
        outcomes.reduce((a, s) => a + s.value, 0),
        source,
      ).toBeGreaterThan(0);
      expect(total(scrape.samples, 'buffalo_sync_run_duration_seconds_count', { source }), source).toBeGreaterThan(0);
    }
    expect(METRIC_SERIES.find((s) => s.name === 'buffalo_sync_runs_total')!.labelNames, 'outcome is a label').toContain(
      'status',
    );
  });

  it('vendor requests by operation and the injected 429 of each of the three vendors', () => {
    for (const vendor of ['stripe', 'hubspot', 'gcal']) {
      expect(total(scrape.samples, 'buffalo_vendor_requests_total', { vendor }), vendor).toBeGreaterThan(1);
      expect(total(scrape.samples, 'buffalo_vendor_rate_limited_total', { vendor }), vendor).toBe(1);
      expect(total(scrape.samples, 'buffalo_vendor_requests_total', { vendor, status: '429' }), vendor).toBe(1);
      expect(
        total(scrape.samples, 'buffalo_vendor_request_duration_seconds_count', { vendor }),
        vendor,
      ).toBeGreaterThan(1);
    }
    expect(
      total(scrape.samples, 'buffalo_vendor_requests_total', { vendor: 'stripe', operation: 'charges.list' }),
    ).toBeGreaterThan(1);
    expect(
      total(scrape.samples, 'buffalo_vendor_requests_total', { vendor: 'gcal', operation: 'events.list' }),
    ).toBeGreaterThan(1);
  });

  it('revenue query latency and alerts firing', () => {
    expect(total(scrape.samples, 'buffalo_revenue_query_duration_seconds_count', { query: 'report' })).toBe(1);
    expect(find(scrape.samples, 'buffalo_alerts_firing', { condition: 'dead_letters' })).toEqual([
      expect.objectContaining({ value: 2 }),
    ]);
    expect(total(scrape.samples, 'buffalo_uptime_seconds')).toBeGreaterThanOrEqual(0);
  });
});

describe('a worker-only process serves /metrics on METRICS_PORT', () => {
  let app: INestApplicationContext;
  let port: number;

  beforeAll(async () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      BUFFALO_REQUIRE_KEYS: 'off',
      METRICS_PORT: '0',
      HOST: '127.0.0.1',
      WORKER_POLL_MS: '50',
      DATABASE_URL: await createTestDatabase(),
    });
    app = await createAppContext(config, WORKER_ROLES, { quiet: true });
    port = app.get(MetricsServer).port!;
  });
  afterAll(async () => app?.close());

  it('GET /metrics on its own port: queue gauges, processing of its claim loop, process metrics', async () => {
    await app
      .get(Database)
      .query(
        `INSERT INTO ingest_outbox (source, kind, dedupe_key, origin, event_type, payload) VALUES ('stripe', 'test.no_handler', 'metrics-worker-1', 'poll', 'x', '{}'::jsonb)`,
      );
    await vi.waitFor(
      async () => {
        const [{ open }] = await app
          .get(Database)
          .query<{ open: string }>(`SELECT count(*) AS open FROM ingest_outbox WHERE status IN ('queued','running')`);
        expect(open).toBe('0');
      },
      { timeout: 10_000, interval: 50 },
    );
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(Registry.PROMETHEUS_CONTENT_TYPE);
    const { types, samples } = parseExposition(await res.text());
    for (const spec of METRIC_SERIES) expect(types.get(spec.name), spec.name).toBe(spec.type);
    expect(total(samples, 'buffalo_outbox_rows', { source: 'stripe', status: 'dead' })).toBe(1);
    expect(total(samples, 'buffalo_outbox_batch_duration_seconds_count')).toBeGreaterThan(0);
    expect(total(samples, 'buffalo_outbox_dead_total', { kind: 'test.no_handler' })).toBe(1);
    expect(find(samples, 'process_cpu_user_seconds_total').length).toBe(1);
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
  });

  it('without METRICS_PORT nothing listens', async () => {
    const config = loadConfig({ NODE_ENV: 'test', BUFFALO_REQUIRE_KEYS: 'off', METRICS_PORT: undefined });
    expect(config.metricsPort).toBeNull();
    expect(() => loadConfig({ NODE_ENV: 'test', METRICS_PORT: 'nine' })).toThrow(/METRICS_PORT must be an integer/);
    expect(() => loadConfig({ NODE_ENV: 'test', METRICS_PORT: '70000' })).toThrow(/METRICS_PORT must be between/);
  });
});
