import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import request from 'supertest';
import { bootTestApp, TEST_ADMIN_KEY, TEST_API_KEY, type TestApp } from '../support/app.js';
import { logger, NestJsonLogger } from '../../src/common/app.logger.js';
import { AllExceptionsFilter, errorIdOf } from '../../src/common/exception.filter.js';
import {
  generateStripeDataset,
  signStripePayload,
  startStripeSimulator,
  StripeSimState,
  type StripeSimulator,
} from '../../scripts/sandbox/stripe/index.js';

/*
 * What an operator reads: every line is one JSON object from pino; secrets never reach it; every
 * line of a request carries its requestId, every line of a sync run its runId; one access line per
 * request with route, status and latency. stdout and stderr are captured for the whole file.
 */

const WEBHOOK_SECRET = 'whsec_logs_e2e_secret_value';
const STRIPE_KEY = 'sk_test_logs_e2e_0123456789';

type Line = Record<string, any>;
const captured: string[] = [];
const lines = (): Line[] =>
  captured
    .join('')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as Line;
      } catch {
        return { unparsable: l };
      }
    });

describe('structured logs (pino)', () => {
  let t: TestApp;
  let stripe: StripeSimulator;

  beforeAll(async () => {
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk: any) => {
        captured.push(String(chunk));
        return true;
      });
    }
    logger.setSilent(false);
    stripe = await startStripeSimulator({
      apiKey: STRIPE_KEY,
      dataset: generateStripeDataset({ seed: 3, charges: 30 }),
    });
    t = await bootTestApp({
      STRIPE_API_KEY: STRIPE_KEY,
      STRIPE_API_BASE: stripe.url,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_PAGE_SIZE: '10',
      // Triggered runs are queued work: this process claims and runs them.
      WORKER: 'on',
    });
  });
  afterAll(async () => {
    await t?.close();
    await stripe?.stop();
    logger.setSilent(true);
    vi.restoreAllMocks();
  });

  it('every line is JSON; Nest’s own boot lines go through pino too', () => {
    const all = lines();
    expect(all.filter((l) => l.unparsable)).toEqual([]);
    const nest = all.filter((l) => l.context === 'RoutesResolver' || l.context === 'NestApplication');
    expect(nest.length).toBeGreaterThan(0);
    expect(nest[0]).toMatchObject({ level: 'info', ts: expect.any(String), msg: expect.any(String) });
  });

  it('one access line per request: method, route pattern, status, latency; requestId on every line of it', async () => {
    const id = 'logs-e2e-req-1';
    const res = await request(t.url).get('/runs/12345').set('x-api-key', TEST_API_KEY).set('x-request-id', id);
    expect(res.status).toBe(404);
    await vi.waitFor(() => expect(lines().some((l) => l.requestId === id && l.msg === 'request completed')).toBe(true));
    const access = lines().filter((l) => l.msg === 'request completed' && l.requestId === id);
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({
      level: 'info',
      requestId: id,
      method: 'GET',
      route: '/runs/:runId',
      path: '/runs/12345',
      status: 404,
      ms: expect.any(Number),
    });
    expect(access[0].ms).toBeGreaterThanOrEqual(0);
  });

  it('a signed webhook with an API key and a Stripe-Signature: neither value is ever printed', async () => {
    const state = new StripeSimState({ seed: 77 });
    state.createCharge({ amount: 1234, currency: 'usd' });
    const body = JSON.stringify(state.snapshot().events[0]);
    const signature = signStripePayload(body, WEBHOOK_SECRET);
    const id = 'logs-e2e-webhook';
    const ok = await request(t.url)
      .post('/webhooks/stripe')
      .set('content-type', 'application/json')
      .set('x-request-id', id)
      .set('x-api-key', TEST_API_KEY)
      .set('x-admin-api-key', TEST_ADMIN_KEY)
      .set('authorization', 'Bearer logs-e2e-bearer-secret')
      .set('cookie', 'session=logs-e2e-cookie-secret')
      .set('stripe-signature', signature)
      .send(body);
    expect(ok.status).toBe(200);
    // A forged signature takes the refusal path, which logs more.
    const forged = signStripePayload(body, 'whsec_not_the_one');
    const bad = await request(t.url)
      .post('/webhooks/stripe')
      .set('content-type', 'application/json')
      .set('x-api-key', TEST_API_KEY)
      .set('stripe-signature', forged)
      .send(body);
    expect(bad.status).toBe(400);
    // Secrets passed as log fields by code are redacted at any depth, on the facade and on Nest's logger.
    logger.warn('probe', {
      headers: { 'x-api-key': TEST_API_KEY, 'stripe-signature': signature, 'x-goog-channel-token': 'chan-tok-secret' },
      nested: { apiKey: 'probe-api-key-secret', password: 'probe-password', clientSecret: WEBHOOK_SECRET },
      token: 'probe-token-secret',
    });
    new NestJsonLogger().log({ msg: 'nest probe', authorization: 'Bearer nest-probe-secret' }, 'Probe');

    await vi.waitFor(() => expect(lines().some((l) => l.requestId === id && l.msg === 'request completed')).toBe(true));
    const text = captured.join('');
    for (const secret of [
      TEST_API_KEY,
      TEST_ADMIN_KEY,
      signature,
      forged,
      signature.split(',v1=')[1],
      WEBHOOK_SECRET,
      'logs-e2e-bearer-secret',
      'logs-e2e-cookie-secret',
      'chan-tok-secret',
      'probe-api-key-secret',
      'probe-password',
      'probe-token-secret',
      'nest-probe-secret',
      STRIPE_KEY,
    ])
      expect(text, `"${secret}" was printed`).not.toContain(secret);
    const probe = lines().find((l) => l.msg === 'probe')!;
    expect(probe.headers).toEqual({
      'x-api-key': '[redacted]',
      'stripe-signature': '[redacted]',
      'x-goog-channel-token': '[redacted]',
    });
    expect(probe.nested).toEqual({ apiKey: '[redacted]', password: '[redacted]', clientSecret: '[redacted]' });
    expect(lines().find((l) => l.msg === 'nest probe')).toMatchObject({
      context: 'Probe',
      authorization: '[redacted]',
    });
    expect(lines().find((l) => l.requestId === id && l.msg === 'request completed')).toMatchObject({
      route: '/webhooks/stripe',
      status: 200,
    });
  });

  it('every line inside a sync run carries its runId (vendor warnings and page progress included)', async () => {
    // A 429 on the first list call: the gateway's back-off warning is logged from inside the run.
    stripe.failNext(1, 429, 0, { path: '/v1/charges' });
    const res = await request(t.url)
      .post('/trigger/stripe/full')
      .set('x-admin-api-key', TEST_ADMIN_KEY)
      .set('idempotency-key', 'logs-e2e-run')
      .set('x-request-id', 'logs-e2e-trigger');
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const runIds: string[] = res.body.runIds;
    await vi.waitFor(
      async () => {
        for (const runId of runIds) {
          const run = await request(t.url).get(`/runs/${runId}`).set('x-api-key', TEST_API_KEY);
          expect(['succeeded', 'partial', 'failed']).toContain(run.body.status);
        }
      },
      { timeout: 20_000, interval: 50 },
    );
    const charges = runIds.find((id) => lines().some((l) => l.runId === id && l.entity === 'charges'))!;
    expect(charges).toBeDefined();
    const runLines = lines().filter((l) => l.runId === charges);
    const msgs = runLines.map((l) => l.msg);
    expect(msgs).toContain('sync run started');
    expect(msgs).toContain('sync run finished');
    expect(msgs).toContain('stripe rate limited; backing off');
    // Lines about this run written anywhere all carry the id; none of them leaked out without it.
    const started = lines().filter((l) => l.msg === 'sync run started');
    expect(started.every((l) => typeof l.runId === 'string')).toBe(true);
    const backoff = lines().filter((l) => l.msg === 'stripe rate limited; backing off');
    expect(backoff.length).toBeGreaterThan(0);
    expect(backoff.every((l) => runIds.includes(l.runId))).toBe(true);
    // Started from the trigger request: the run's lines keep that request's id beside their own.
    expect(runLines[0].requestId).toBe('logs-e2e-trigger');
  });

  it('a 500 logs the errorId its response carries, on the error line and on the access line', () => {
    const res = {
      sent: false,
      raw: { headersSent: false },
      body: undefined as any,
      statusCode: 0,
      header() {
        return this;
      },
      type() {
        return this;
      },
      code(code: number) {
        this.statusCode = code;
        return this;
      },
      send(b: unknown) {
        this.body = b;
        return this;
      },
    };
    const req = { method: 'GET', url: '/boom', id: 'logs-e2e-500' };
    const host = { switchToHttp: () => ({ getResponse: () => res, getRequest: () => req }) };
    new AllExceptionsFilter().catch(new Error('kaboom'), host as any);
    expect(res.statusCode).toBe(500);
    const errorId = res.body.errorId;
    expect(errorId).toMatch(/^[0-9a-f-]{36}$/);
    expect(errorIdOf(req as any)).toBe(errorId);
    expect(lines().find((l) => l.msg === 'unhandled error' && l.errorId === errorId)).toMatchObject({
      level: 'error',
      path: '/boom',
    });
  });
});
