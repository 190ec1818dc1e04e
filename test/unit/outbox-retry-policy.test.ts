import { describe, expect, it } from 'vitest';
import {
  BACKOFF_SCHEDULE_MS,
  MAX_RETRY_AFTER_MS,
  outcomeFromError,
  retryDelayMs,
  settle,
} from '../../src/outbox/outbox.retry-policy.js';
import { OutboxRowError } from '../../src/outbox/outbox.failure.js';

const low = () => 0;
const high = () => 0.999999;

describe('outbox retry policy', () => {
  it('follows the schedule 5 s, 30 s, 2 m, 10 m, 1 h and then stays at 1 h', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 5, 6, 20].map((a) => retryDelayMs(a, undefined, mid))).toEqual([
      5_000, 30_000, 120_000, 600_000, 3_600_000, 3_600_000, 3_600_000,
    ]);
  });

  it('jitters within ±20 %', () => {
    for (let a = 1; a <= BACKOFF_SCHEDULE_MS.length; a++) {
      const base = BACKOFF_SCHEDULE_MS[a - 1];
      expect(retryDelayMs(a, undefined, low)).toBe(Math.round(base * 0.8));
      expect(retryDelayMs(a, undefined, high)).toBeLessThanOrEqual(Math.round(base * 1.2));
      expect(retryDelayMs(a, undefined, high)).toBeGreaterThan(base);
    }
  });

  it('honours a longer Retry-After, never a shorter one, and caps absurd ones', () => {
    expect(retryDelayMs(1, 90_000, low)).toBe(90_000);
    expect(retryDelayMs(3, 1_000, low)).toBe(96_000);
    expect(retryDelayMs(1, 10 * 86_400_000, low)).toBe(MAX_RETRY_AFTER_MS);
    expect(retryDelayMs(1, Number.NaN, low)).toBe(4_000);
    expect(retryDelayMs(1, -5, low)).toBe(4_000);
  });

  it('settles outcomes into the next state', () => {
    const row = { id: '7', attempts: 1 };
    expect(settle(row, { status: 'done' }, 8)).toEqual({
      id: '7',
      status: 'done',
      failureClass: null,
      error: null,
      delayMs: null,
    });
    expect(settle(row, { status: 'ignored', reason: 'not revenue' }, 8)).toMatchObject({
      status: 'ignored',
      error: 'not revenue',
    });
    expect(settle(row, { status: 'failed', failureClass: 'transient', error: 'x' }, 8, low)).toMatchObject({
      status: 'error',
      failureClass: 'transient',
      delayMs: 4_000,
    });
    expect(settle(row, { status: 'failed', failureClass: 'auth', error: '401' }, 8, low)).toMatchObject({
      status: 'error',
      failureClass: 'auth',
    });
  });

  it('parks permanent classes at once and retryable ones after the last attempt', () => {
    expect(
      settle({ id: '1', attempts: 1 }, { status: 'failed', failureClass: 'invalid_payload', error: 'bad amount' }, 8),
    ).toMatchObject({ status: 'dead', failureClass: 'invalid_payload', error: 'bad amount' });
    expect(
      settle({ id: '1', attempts: 1 }, { status: 'failed', failureClass: 'unsupported', error: 'no handler' }, 8),
    ).toMatchObject({ status: 'dead', failureClass: 'unsupported' });
    expect(
      settle({ id: '1', attempts: 7 }, { status: 'failed', failureClass: 'transient', error: 'timeout' }, 8),
    ).toMatchObject({ status: 'error' });
    expect(
      settle({ id: '1', attempts: 8 }, { status: 'failed', failureClass: 'transient', error: 'timeout' }, 8),
    ).toEqual({
      id: '1',
      status: 'dead',
      failureClass: 'retries_exhausted',
      error: 'transient: timeout',
      delayMs: null,
    });
  });

  it('truncates huge error messages', () => {
    const s = settle(
      { id: '1', attempts: 1 },
      { status: 'failed', failureClass: 'invalid_payload', error: 'e'.repeat(10_000) },
      8,
    );
    expect(s.error!.length).toBe(2000);
  });

  it('classifies thrown errors', () => {
    expect(outcomeFromError(new OutboxRowError('invalid_payload', 'no id', 5))).toEqual({
      status: 'failed',
      failureClass: 'invalid_payload',
      error: 'no id',
      retryAfterMs: 5,
    });
    expect(outcomeFromError(new TypeError('cannot read id'))).toEqual({
      status: 'failed',
      failureClass: 'transient',
      error: 'cannot read id',
    });
    expect(outcomeFromError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toMatchObject({
      failureClass: 'transient',
      error: 'database unavailable: connect ECONNREFUSED',
    });
    expect(outcomeFromError('boom')).toMatchObject({ failureClass: 'transient', error: 'boom' });
  });
});
