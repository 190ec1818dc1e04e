import { describe, expect, it } from 'vitest';
import {
  afterPage,
  EVENT_RETENTION_S,
  eventsCursorIsStale,
  eventsFullPlan,
  fullPlan,
  incrementalPlan,
  parseCursor,
  resyncPlan,
  type StripeCursor,
} from '../../src/connectors/stripe/stripe.cursor.js';
import { classifyStripeError, retryAfterMs } from '../../src/connectors/stripe/stripe.errors.js';
import { SyncError } from '../../src/runs/sync.drivers.js';

const NOW = 1_790_000_000;

describe('stripe cursor', () => {
  it('parses what it writes and refuses anything else', () => {
    const c: StripeCursor = { v: 1, watermark: NOW - 60, plan: incrementalPlan('charges', NOW - 60, 5, NOW) };
    expect(parseCursor(JSON.parse(JSON.stringify(c)))).toEqual(c);
    expect(parseCursor(null)).toBeNull();
    for (const bad of [
      'x',
      42,
      [],
      { v: 2 },
      { v: 1, watermark: 'yesterday' },
      { v: 1, watermark: 1, plan: { target: 1, passes: [] } },
      {
        v: 1,
        watermark: 1,
        plan: { target: 1, passes: [{ list: 'invoices', gte: null, lte: 1, startingAfter: null }] },
      },
      {
        v: 1,
        watermark: 1,
        plan: { target: 1, passes: [{ list: 'charges', gte: null, lte: 1, startingAfter: "ch_1' OR 1=1" }] },
      },
    ]) {
      expect(parseCursor(bad)).toBe('invalid');
    }
  });

  it('the incremental window starts an overlap before the watermark and ends at now', () => {
    expect(incrementalPlan('refunds', NOW - 100, 5, NOW).passes).toEqual([
      { list: 'refunds', gte: NOW - 105, lte: NOW, startingAfter: null },
    ]);
    expect(fullPlan('charges', NOW).passes[0].gte).toBeNull();
  });

  it('keeps the watermark until the last page of the window, then moves it to the window end', () => {
    let c: StripeCursor = { v: 1, watermark: NOW - 3600, plan: incrementalPlan('charges', NOW - 3600, 5, NOW) };
    c = afterPage(c, { lastId: 'ch_a', hasMore: true });
    expect(c.watermark).toBe(NOW - 3600);
    expect(c.plan?.passes[0].startingAfter).toBe('ch_a');
    c = afterPage(c, { lastId: 'ch_b', hasMore: true });
    expect(c.plan?.passes[0]).toMatchObject({ startingAfter: 'ch_b', gte: NOW - 3605, lte: NOW });
    c = afterPage(c, { lastId: 'ch_c', hasMore: false });
    expect(c).toEqual({ v: 1, watermark: NOW, plan: null });
  });

  it('walks a multi-pass plan pass by pass', () => {
    let c: StripeCursor = { v: 1, watermark: null, plan: resyncPlan(NOW) };
    expect(c.plan!.passes.map((p) => p.list)).toEqual(['charges', 'refunds', 'disputes', 'events']);
    c = afterPage(c, { lastId: 'ch_z', hasMore: false });
    expect(c.plan!.passes.map((p) => p.list)).toEqual(['refunds', 'disputes', 'events']);
    c = afterPage(c, { lastId: null, hasMore: false });
    c = afterPage(c, { lastId: null, hasMore: false });
    c = afterPage(c, { lastId: 'evt_1', hasMore: false });
    expect(c).toEqual({ v: 1, watermark: NOW, plan: null });
    expect(eventsFullPlan(NOW).passes.map((p) => p.list)).toEqual(['disputes', 'events']);
  });

  it('an events cursor is stale once what it still needs may have left Stripe’s 30-day retention', () => {
    const fresh: StripeCursor = { v: 1, watermark: NOW - 86_400, plan: null };
    const old: StripeCursor = { v: 1, watermark: NOW - EVENT_RETENTION_S - 10, plan: null };
    expect(eventsCursorIsStale(fresh, 5, NOW)).toBe(false);
    expect(eventsCursorIsStale(old, 5, NOW)).toBe(true);
    const oldWindow: StripeCursor = {
      v: 1,
      watermark: NOW - 40 * 86_400,
      plan: incrementalPlan('events', NOW - 40 * 86_400, 5, NOW - 39 * 86_400),
    };
    expect(eventsCursorIsStale(oldWindow, 5, NOW)).toBe(true);
    const resync: StripeCursor = { v: 1, watermark: null, plan: resyncPlan(NOW - 40 * 86_400) };
    expect(eventsCursorIsStale(resync, 5, NOW)).toBe(false);
  });
});

describe('stripe error classes', () => {
  const stripeErr = (type: string, statusCode: number | undefined, extra: Record<string, unknown> = {}) =>
    Object.assign(new Error(`${type} happened`), { type, statusCode, ...extra });

  it('401 and 403 are auth, never stale cursors', () => {
    expect(classifyStripeError(stripeErr('StripeAuthenticationError', 401)).errorClass).toBe('auth');
    expect(classifyStripeError(stripeErr('StripePermissionError', 403)).errorClass).toBe('auth');
  });

  it('429, 5xx and connection failures are transient; 429 keeps its Retry-After', () => {
    const rl = classifyStripeError(stripeErr('StripeRateLimitError', 429, { headers: { 'retry-after': '7' } }));
    expect(rl).toMatchObject({ errorClass: 'transient', retryAfterMs: 7000 });
    expect(classifyStripeError(stripeErr('StripeAPIError', 500)).errorClass).toBe('transient');
    expect(classifyStripeError(stripeErr('StripeConnectionError', undefined)).errorClass).toBe('transient');
    expect(classifyStripeError(Object.assign(new Error('socket'), { code: 'ECONNRESET' })).errorClass).toBe(
      'transient',
    );
  });

  it('a vanished pagination anchor is a stale cursor; other 4xx are permanent', () => {
    expect(
      classifyStripeError(
        stripeErr('StripeInvalidRequestError', 400, { code: 'resource_missing', param: 'starting_after' }),
      ).errorClass,
    ).toBe('stale_cursor');
    expect(
      classifyStripeError(stripeErr('StripeInvalidRequestError', 400, { code: 'parameter_unknown', param: 'foo' }))
        .errorClass,
    ).toBe('permanent');
    expect(classifyStripeError(new TypeError('bug')).errorClass).toBe('permanent');
    const same = new SyncError('auth', 'x');
    expect(classifyStripeError(same)).toBe(same);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs({ headers: { 'retry-after': '1.5' } })).toBe(1500);
    expect(retryAfterMs({ headers: { 'retry-after': new Date(10_000).toUTCString() } }, 4_000)).toBe(6_000);
    expect(retryAfterMs({ headers: { 'retry-after': 'soon' } })).toBeNull();
    expect(retryAfterMs({})).toBeNull();
  });
});
