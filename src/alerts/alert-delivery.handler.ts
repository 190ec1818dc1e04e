import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app.config.js';
import { OutboxHandlerRegistry, type OutboxHandler } from '../outbox/outbox.handlers.js';
import type { OutboxKind, OutboxRow, RowOutcome } from '../outbox/outbox.types.js';
import { SIGNATURE_HEADER, signatureHeader } from './alert.message.js';
import type { AlertMessage } from './alert.types.js';

/** POSTs of one batch in flight at once: a batch of many alerts does not take many timeouts in a row. */
const PARALLEL_POSTS = 8;
const MAX_ERROR_TEXT = 200;

/** Retry-After as seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * What one answer means for the delivery. A receiver that is down, overloaded or broken (no
 * answer, timeout, 408, 429, 5xx) is retried with the queue's backoff until it answers 2xx, past
 * WORKER_MAX_ATTEMPTS: giving up would lose the alert. A receiver that refuses the request (other
 * 4xx, e.g. a revoked incoming-webhook URL or a secret it does not share) is retried within the
 * attempt budget and then parked as a dead letter, visible and redrivable once fixed.
 */
export function outcomeOfStatus(status: number, retryAfter?: number): RowOutcome {
  if (status >= 200 && status < 300) return { status: 'done' };
  const error = `alert receiver answered HTTP ${status}`;
  if (status === 408 || status === 429 || status >= 500)
    return { status: 'failed', failureClass: 'transient', error, retryAfterMs: retryAfter, retryUntilDone: true };
  if (status === 401 || status === 403)
    return { status: 'failed', failureClass: 'auth', error: `${error}: check ALERT_WEBHOOK_SECRET on both sides` };
  return { status: 'failed', failureClass: 'transient', error, retryAfterMs: retryAfter };
}

/** The network error's code (ECONNREFUSED…), never the URL: it may carry the receiver's token. */
function unreachable(err: unknown, timeoutMs: number): RowOutcome {
  const e = err as { name?: string; cause?: { code?: string; name?: string } } | null;
  const timedOut = e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError';
  const error = timedOut
    ? `alert receiver did not answer within ${timeoutMs} ms`
    : `alert receiver unreachable: ${String(e?.cause?.code ?? e?.name ?? 'network error').slice(0, MAX_ERROR_TEXT)}`;
  return { status: 'failed', failureClass: 'transient', error, retryUntilDone: true };
}

function isAlertMessage(p: unknown): p is AlertMessage {
  return typeof p === 'object' && p !== null && typeof (p as { alertId?: unknown }).alertId === 'string';
}

/** In the contract's field order: the stored payload went through jsonb, which orders keys its own way. */
function bodyOf(m: AlertMessage): string {
  const { subject, ...facts } = m.details ?? {};
  const message: AlertMessage = {
    alertId: m.alertId,
    condition: m.condition,
    state: m.state,
    severity: m.severity,
    summary: m.summary,
    details: { subject, ...facts },
    firedAt: m.firedAt,
    resolvedAt: m.resolvedAt,
    text: m.text,
  };
  return JSON.stringify(message);
}

/**
 * Worker side of alerts: POSTs each `alert.delivery` row's message to ALERT_WEBHOOK_URL, signed
 * with X-Buffalo-Signature. It runs between the claim and the settle of its batch, outside any
 * transaction, and each POST gives up after ALERT_WEBHOOK_TIMEOUT_MS (≤ 5 s), so a hanging
 * receiver delays its batch by at most that and holds no lock or connection meanwhile.
 */
@Injectable()
export class AlertDeliveryHandler implements OutboxHandler, OnModuleInit {
  readonly kinds: readonly OutboxKind[] = ['alert.delivery'];

  constructor(
    private readonly registry: OutboxHandlerRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  async handle(rows: OutboxRow[]): Promise<Map<string, RowOutcome>> {
    const out = new Map<string, RowOutcome>();
    let next = 0;
    const lane = async () => {
      while (next < rows.length) {
        const row = rows[next++];
        out.set(row.id, await this.deliver(row));
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_POSTS, rows.length) }, lane));
    return out;
  }

  private async deliver(row: OutboxRow): Promise<RowOutcome> {
    const { webhookUrl, webhookSecret, timeoutMs } = this.config.alerts;
    // Queued while a receiver was configured; this deployment has none any more.
    if (!webhookUrl || !webhookSecret) return { status: 'ignored', reason: 'ALERT_WEBHOOK_URL is not set' };
    if (!isAlertMessage(row.payload))
      return { status: 'failed', failureClass: 'invalid_payload', error: 'not an alert message' };
    const body = bodyOf(row.payload);
    const signature = signatureHeader(webhookSecret, body, Math.floor(Date.now() / 1000));
    try {
      const res = await fetch(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'buffalo-alerts', [SIGNATURE_HEADER]: signature },
        body,
        // A signed body is for this URL only: a redirect is an answer, not a place to send it again.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      // The answer's body is not read: nothing in it changes the outcome.
      await res.body?.cancel().catch(() => undefined);
      return outcomeOfStatus(res.status, retryAfterMs(res.headers.get('retry-after')));
    } catch (err) {
      return unreachable(err, timeoutMs);
    }
  }
}
