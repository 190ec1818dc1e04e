import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { bootTestApp, type TestApp } from '../support/app.js';

describe('health and docs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp();
  });
  afterAll(async () => t?.close());

  it('GET /healthz is 200 with uptime and a request id', async () => {
    const res = await request(t.url).get('/healthz').set('x-request-id', 'abc-123');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', uptimeS: expect.any(Number) });
    expect(res.headers['x-request-id']).toBe('abc-123');
  });

  it('replaces an insane incoming request id', async () => {
    const res = await request(t.url).get('/healthz').set('x-request-id', 'bad id with spaces <script>');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('GET /readyz reports the database', async () => {
    const res = await request(t.url).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.checks.db).toEqual({ ok: true, latencyMs: expect.any(Number) });
  });

  it('unknown routes are 404 not_found with the path', async () => {
    const res = await request(t.url).get('/nope/here');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: 'not_found', path: '/nope/here', requestId: expect.any(String) });
  });

  it('serves the OpenAPI document', async () => {
    const res = await request(t.url).get('/docs/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(res.body.paths['/readyz']).toBeDefined();
  });

  it('serves Swagger UI with every file its page loads', async () => {
    const page = await fetch(`${t.url}/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((u) => !/^https?:/.test(u));
    expect(refs.length).toBeGreaterThan(2);
    for (const ref of refs) {
      // Resolved against the page's own URL, as a browser does.
      const url = new URL(ref, `${t.url}/docs`);
      const res = await fetch(url);
      expect(res.status, url.pathname).toBe(200);
      expect((await res.arrayBuffer()).byteLength, url.pathname).toBeGreaterThan(0);
    }
  });

  it('GET /metrics is Prometheus text', async () => {
    const res = await request(t.url).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.text).toContain('buffalo_uptime_seconds');
  });
});

describe('GET /readyz: one indicator per enabled vendor, from its runs', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Webhook secrets enable a vendor without polling credentials; gcal stays off.
    t = await bootTestApp({ STRIPE_WEBHOOK_SECRET: 'whsec_readyz', HUBSPOT_CLIENT_SECRET: 'hs-readyz-secret' });
  });
  afterAll(async () => t?.close());

  const finishedRun = (source: string, status: string, finishedAt: string, error: string | null = null) =>
    t.db.query(
      `INSERT INTO sync_runs (source, entity, mode, status, trigger, started_at, finished_at, error) VALUES ($1, 'e', 'incremental', $2, 'manual', $3::timestamptz, $3::timestamptz, $4)`,
      [source, status, finishedAt, error],
    );

  it('no runs yet: every vendor ok, healthy', async () => {
    const res = await request(t.url).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok',
      syncStatus: 'healthy',
      checks: {
        db: { ok: true, latencyMs: expect.any(Number) },
        stripe: { ok: true, lastSync: null, lastStatus: null },
        hubspot: { ok: true, lastSync: null, lastStatus: null, pipelinesRefreshedAt: null },
      },
      uptimeS: expect.any(Number),
    });
  });

  it('a failed last run degrades syncStatus but readiness stays 200; skipped runs do not count, partial is ok', async () => {
    await finishedRun('stripe', 'succeeded', '2026-06-15T10:00:00Z');
    await finishedRun('stripe', 'failed', '2026-06-15T11:00:00Z', 'auth: Invalid API Key provided');
    await finishedRun('stripe', 'skipped', '2026-06-15T12:00:00Z');
    await finishedRun('hubspot', 'partial', '2026-06-15T09:00:00Z');
    const res = await request(t.url).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'degraded',
      syncStatus: 'degraded',
      checks: {
        db: { ok: true, latencyMs: expect.any(Number) },
        stripe: {
          ok: false,
          lastSync: '2026-06-15T10:00:00.000Z',
          lastStatus: 'failed',
          error: 'auth: Invalid API Key provided',
        },
        hubspot: { ok: true, lastSync: '2026-06-15T09:00:00.000Z', lastStatus: 'partial', pipelinesRefreshedAt: null },
      },
      uptimeS: expect.any(Number),
    });
    expect(Object.keys(res.body)).toEqual(['status', 'syncStatus', 'checks', 'uptimeS']);
  });
});
