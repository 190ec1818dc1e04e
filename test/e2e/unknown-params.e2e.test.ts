import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { bootTestApp, TEST_ADMIN_KEY, type TestApp } from '../support/app.js';

describe('unknown query parameters are refused, never ignored', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp();
  });
  afterAll(async () => t?.close());

  it.each([
    ['/runs?sorce=stripe', 'sorce'],
    ['/runs?source[]=stripe', 'source[]'],
    ['/outbox/dead?limt=5', 'limt'],
    ['/metrics/revenue/summary?start_date=2026-01-01', 'start_date'],
  ])('%s → 400 validation_failed naming %s', async (path, field) => {
    const res = await request(t.url).get(path).set('x-admin-api-key', TEST_ADMIN_KEY);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('validation_failed');
    expect(res.body.issues).toContainEqual(expect.objectContaining({ in: 'query', field }));
  });
});
