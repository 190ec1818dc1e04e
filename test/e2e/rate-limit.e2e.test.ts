import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { bootTestApp, TEST_API_KEY, TEST_ADMIN_KEY, type TestApp } from '../support/app.js';

describe('rate limiting (429 rate_limited)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp({ RATE_LIMIT_PER_S: '1', RATE_LIMIT_BURST: '3' });
  });
  afterAll(async () => t?.close());

  it('refuses a client past its burst with Retry-After and the contract body, per key', async () => {
    const statuses: number[] = [];
    let limited: request.Response | undefined;
    for (let i = 0; i < 5; i++) {
      const res = await request(t.url).get('/runs').set('x-api-key', TEST_API_KEY);
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses.slice(3)).toEqual([429, 429]);
    expect(limited!.headers['retry-after']).toMatch(/^\d+$/);
    expect(limited!.body).toMatchObject({ error: 'rate_limited', requestId: limited!.headers['x-request-id'] });
    // another client (the admin key) has its own bucket
    expect((await request(t.url).get('/runs').set('x-admin-api-key', TEST_ADMIN_KEY)).status).toBe(200);
  });

  it('never limits health probes', async () => {
    for (let i = 0; i < 6; i++) expect((await request(t.url).get('/healthz')).status).toBe(200);
  });
});
