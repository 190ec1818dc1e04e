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

  it('GET /metrics is Prometheus text', async () => {
    const res = await request(t.url).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.text).toContain('buffalo_uptime_seconds');
  });
});
