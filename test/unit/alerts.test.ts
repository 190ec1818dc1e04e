import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHmac } from 'node:crypto';
import { evaluateConditions, type PipelineState } from '../../src/alerts/alert.conditions.js';
import { outcomeOfStatus, retryAfterMs } from '../../src/alerts/alert-delivery.handler.js';
import { alertMessage, alertText, signatureHeader } from '../../src/alerts/alert.message.js';
import type { Alert } from '../../src/alerts/alert.types.js';
import { loadConfigOrExit } from '../../src/app.process-entry.js';
import { ConfigError, loadConfig } from '../../src/config/app.config.js';
import { settle } from '../../src/outbox/outbox.retry-policy.js';

const thresholds = { deadLettersMin: 3, outboxLagS: 300, orphansGivenUpMin: 1, missedWebhooksMin: 2 };
const quiet: PipelineState = {
  verdicts: [],
  outbox: { deadCount: 0, oldestQueuedAgeS: null },
  orphans: { givenUp: 0, unreconciled: 0 },
  missedWebhooks: [],
  driftOpen: false,
};
const run = (over: Partial<NonNullable<PipelineState['verdicts']>[number]>) => ({
  id: '1',
  source: 'stripe' as const,
  entity: 'charges',
  mode: 'incremental' as const,
  status: 'succeeded' as const,
  error: null,
  errorClass: null,
  staleCursorDetected: false,
  finishedAt: new Date('2026-06-15T10:00:00Z'),
  ...over,
});

describe('alert conditions', () => {
  it('a quiet pipeline holds nothing, and every condition was evaluated', () => {
    const e = evaluateConditions(quiet, thresholds);
    expect(e.observations).toEqual([]);
    expect(e.evaluated.sort()).toEqual([
      'cursor_expired',
      'dead_letters',
      'metric_drift',
      'missed_webhooks',
      'orphan_given_up',
      'outbox_lag',
      'run_failed',
    ]);
  });

  it('each condition fires at its threshold, one subject each', () => {
    const e = evaluateConditions(
      {
        verdicts: [
          run({ id: '7', status: 'failed', error: 'Stripe answered 500', errorClass: 'transient' }),
          run({ id: '8', entity: 'events', staleCursorDetected: true }),
          run({ id: '9', entity: 'refunds', status: 'partial', error: 'timeout', errorClass: 'transient' }),
        ],
        outbox: { deadCount: 3, oldestQueuedAgeS: 301 },
        orphans: { givenUp: 1, unreconciled: 4 },
        missedWebhooks: [
          { source: 'stripe', count: 2 },
          { source: 'hubspot', count: 1 },
        ],
        driftOpen: true,
      },
      thresholds,
    );
    expect(e.observations.map((o) => `${o.condition} ${o.subject}`)).toEqual([
      'run_failed stripe:charges',
      'cursor_expired stripe:events',
      'dead_letters outbox',
      'outbox_lag outbox',
      'orphan_given_up orphans',
      'missed_webhooks stripe',
      'metric_drift revenue',
    ]);
    expect(e.observations[0]).toMatchObject({
      summary: 'The latest sync of stripe/charges failed: Stripe answered 500',
      details: { runId: '7', errorClass: 'transient', finishedAt: '2026-06-15T10:00:00.000Z' },
    });
    expect(e.observations[2].summary).toBe('3 outbox events are dead (threshold 3); see GET /outbox/dead');
  });

  it('just below every threshold holds nothing', () => {
    const e = evaluateConditions(
      {
        ...quiet,
        outbox: { deadCount: 2, oldestQueuedAgeS: 300 },
        missedWebhooks: [{ source: 'stripe', count: 1 }],
      },
      thresholds,
    );
    expect(e.observations).toEqual([]);
  });

  it('a part that could not be read is not evaluated, so its alerts stay as they are', () => {
    const e = evaluateConditions({ ...quiet, verdicts: null, driftOpen: null }, thresholds);
    expect(e.evaluated).not.toContain('run_failed');
    expect(e.evaluated).not.toContain('cursor_expired');
    expect(e.evaluated).not.toContain('metric_drift');
    expect(e.evaluated).toContain('dead_letters');
  });
});

describe('alert messages', () => {
  const alert: Alert = {
    id: '42',
    condition: 'run_failed',
    subject: 'stripe:charges',
    severity: 'critical',
    state: 'firing',
    summary: 'The latest sync of stripe/charges failed: <b>&</b>',
    details: { runId: '7' },
    firedAt: new Date('2026-06-15T10:00:00Z'),
    resolvedAt: null,
  };

  it('carries the contract fields, the subject in details, and Slack-safe text', () => {
    expect(alertMessage(alert)).toEqual({
      alertId: '42',
      condition: 'run_failed',
      state: 'firing',
      severity: 'critical',
      summary: alert.summary,
      details: { subject: 'stripe:charges', runId: '7' },
      firedAt: '2026-06-15T10:00:00.000Z',
      resolvedAt: null,
      text: ':rotating_light: *Firing:* run_failed (critical) on stripe:charges: The latest sync of stripe/charges failed: &lt;b&gt;&amp;&lt;/b&gt;',
    });
    expect(alertText({ ...alert, severity: 'warning' })).toMatch(/^:warning: \*Firing:\*/);
    expect(alertText({ ...alert, state: 'resolved' })).toMatch(/^:white_check_mark: \*Resolved:\* run_failed/);
  });

  it('signs "<t>.<body>" with HMAC-SHA256 of the secret', () => {
    const body = '{"alertId":"42"}';
    const expected = createHmac('sha256', 'alert-secret-0123456789').update(`1781517600.${body}`).digest('hex');
    expect(signatureHeader('alert-secret-0123456789', body, 1_781_517_600)).toBe(`t=1781517600,v1=${expected}`);
  });
});

describe('alert delivery outcomes', () => {
  it('down, overloaded or broken receivers are retried until they answer 2xx; refusals within the budget', () => {
    expect(outcomeOfStatus(204)).toEqual({ status: 'done' });
    for (const status of [500, 502, 503, 408, 429])
      expect(outcomeOfStatus(status)).toMatchObject({
        status: 'failed',
        failureClass: 'transient',
        retryUntilDone: true,
      });
    expect(outcomeOfStatus(503, 120_000)).toMatchObject({ retryAfterMs: 120_000 });
    expect(outcomeOfStatus(401)).toMatchObject({ failureClass: 'auth' });
    expect(outcomeOfStatus(401)).not.toHaveProperty('retryUntilDone');
    expect(outcomeOfStatus(404)).toMatchObject({
      failureClass: 'transient',
      error: 'alert receiver answered HTTP 404',
    });
    expect(outcomeOfStatus(404)).not.toHaveProperty('retryUntilDone');
  });

  it('reads Retry-After as seconds or as a date', () => {
    const now = Date.parse('2026-06-15T10:00:00Z');
    expect(retryAfterMs('30', now)).toBe(30_000);
    expect(retryAfterMs('Mon, 15 Jun 2026 10:01:00 GMT', now)).toBe(60_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  it('the retry policy keeps a retryUntilDone row past WORKER_MAX_ATTEMPTS, at the last backoff step', () => {
    const failed = { status: 'failed' as const, failureClass: 'transient' as const, error: 'HTTP 503' };
    const row = { id: '1', attempts: 12 };
    expect(settle(row, failed, 8).status).toBe('dead');
    const kept = settle(row, { ...failed, retryUntilDone: true }, 8, () => 0.5);
    expect(kept).toMatchObject({ status: 'error', failureClass: 'transient', delayMs: 3_600_000 });
  });
});

describe('alert configuration', () => {
  const base = { API_KEY: 'read-key-0123456789ab', ADMIN_API_KEY: 'admin-key-0123456789ab' };
  const refusal = (env: Record<string, string>): string => {
    try {
      loadConfig({ ...base, ...env });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error('accepted');
  };

  it('has defaults: no receiver, evaluated every minute, 5 s per delivery attempt', () => {
    expect(loadConfig(base).alerts).toEqual({
      webhookUrl: null,
      webhookSecret: null,
      timeoutMs: 5000,
      evaluateEveryS: 60,
      deadLettersMin: 1,
      outboxLagS: 300,
      orphansGivenUpMin: 1,
      missedWebhooksMin: 1,
    });
  });

  it('keeps a receiver URL exactly as given (its path and query may be the token)', () => {
    const url = 'https://hooks.slack.com/services/T000/B000/XXXX/';
    expect(
      loadConfig({ ...base, ALERT_WEBHOOK_URL: url, ALERT_WEBHOOK_SECRET: 'alert-secret-0123456789' }).alerts,
    ).toMatchObject({ webhookUrl: url, webhookSecret: 'alert-secret-0123456789' });
  });

  it.each([
    'not a url',
    'ftp://hooks.example.com/x',
    'receiver.internal/alerts',
    'http://',
    'https://hooks.example.com/a b',
  ])('a malformed ALERT_WEBHOOK_URL (%s) is refused with one sentence that does not echo it', (value) => {
    const message = refusal({ ALERT_WEBHOOK_URL: value, ALERT_WEBHOOK_SECRET: 'alert-secret-0123456789' });
    expect(message).toMatch(/^ALERT_WEBHOOK_URL must be an http\(s\) URL/);
    expect(message).not.toContain(value);
    expect(message.split('. ')).toHaveLength(1);
    expect(message.endsWith('.')).toBe(true);
  });

  it('a receiver needs a secret of 16+ characters; the thresholds and the timeout are bounded', () => {
    expect(refusal({ ALERT_WEBHOOK_URL: 'https://hooks.example.com/b' })).toMatch(
      /^ALERT_WEBHOOK_SECRET must be set when ALERT_WEBHOOK_URL is/,
    );
    expect(refusal({ ALERT_WEBHOOK_SECRET: 'short' })).toMatch(/^ALERT_WEBHOOK_SECRET must be at least 16/);
    expect(refusal({ ALERT_WEBHOOK_TIMEOUT_MS: '10000' })).toMatch(
      /^ALERT_WEBHOOK_TIMEOUT_MS must be between 100 and 5000/,
    );
    expect(refusal({ ALERT_DEAD_LETTERS_MIN: '0' })).toMatch(/^ALERT_DEAD_LETTERS_MIN/);
    expect(refusal({ ALERT_OUTBOX_LAG_S: 'soon' })).toMatch(/^ALERT_OUTBOX_LAG_S must be an integer/);
  });

  describe('at boot', () => {
    afterEach(() => {
      vi.restoreAllMocks();
      vi.unstubAllEnvs();
    });

    it('a malformed ALERT_WEBHOOK_URL stops the process with one line, exit code 2', () => {
      vi.stubEnv('ALERT_WEBHOOK_URL', 'htp//hooks.example.com/T0/secret-token');
      vi.stubEnv('ALERT_WEBHOOK_SECRET', 'alert-secret-0123456789');
      const lines: string[] = [];
      vi.spyOn(process.stderr, 'write').mockImplementation((s) => (lines.push(String(s)), true));
      vi.spyOn(process, 'exit').mockImplementation((code) => {
        throw new Error(`exit ${code}`);
      });
      expect(() => loadConfigOrExit({ requireKeys: false })).toThrow('exit 2');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^Configuration error: ALERT_WEBHOOK_URL must be an http\(s\) URL[^\n]*\.\n$/);
      expect(lines[0]).not.toContain('secret-token');
    });
  });
});
