import Stripe from 'stripe';
import type { StripeEvent } from './stripe-objects.js';
import type { StripeSimState } from './stripe-state.js';

/** `Stripe-Signature` header value (`t=…,v1=…`) for a payload, made by the official SDK's signer. */
export function signStripePayload(payload: string, secret: string, timestampS = Math.floor(Date.now() / 1000)): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: timestampS });
}

export interface SendWebhookOptions {
  url: string;
  secret: string;
  /** An event object (serialised like Stripe does) or the exact raw body to send. */
  event: StripeEvent | string;
  /** Signature timestamp (unix seconds); set it in the past to exercise tolerance checks. */
  timestampS?: number;
  /** Override or drop headers (e.g. { 'Stripe-Signature': undefined } for a missing signature). */
  headers?: Record<string, string | undefined>;
}

export interface WebhookDelivery {
  status: number;
  body: unknown;
}

/** Posts one event the way Stripe delivers it: JSON body, `Stripe-Signature` over the raw bytes. */
export async function sendStripeWebhook(o: SendWebhookOptions): Promise<WebhookDelivery> {
  const payload = typeof o.event === 'string' ? o.event : JSON.stringify(o.event, null, 2);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json; charset=utf-8',
    'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
    'Stripe-Signature': signStripePayload(payload, o.secret, o.timestampS),
  };
  for (const [k, v] of Object.entries(o.headers ?? {})) {
    const existing = Object.keys(headers).find((h) => h.toLowerCase() === k.toLowerCase());
    if (existing) delete headers[existing];
    if (v !== undefined) headers[k] = v;
  }
  const res = await fetch(o.url, { method: 'POST', headers, body: payload });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body };
}

export interface ForwarderStats {
  delivered: number;
  failed: number;
  lastError: string | null;
}

/**
 * Delivers every event the simulated account emits to a webhook URL, in emission order, retrying
 * non-2xx answers a few times like Stripe does (much faster than Stripe's hours-long schedule).
 */
export class StripeWebhookForwarder {
  readonly stats: ForwarderStats = { delivered: 0, failed: 0, lastError: null };
  private chain: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly state: StripeSimState,
    private readonly target: { url: string; secret: string; maxAttempts?: number; retryDelayMs?: number },
  ) {}

  start(): this {
    this.unsubscribe ??= this.state.onEvent((e) => this.enqueue(e));
    return this;
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Queues one event (also usable for re-delivering an old one). */
  enqueue(event: StripeEvent): void {
    this.chain = this.chain.then(() => this.deliver(event));
  }

  /** Resolves when everything queued so far has been delivered or given up on. */
  flush(): Promise<void> {
    return this.chain;
  }

  private async deliver(event: StripeEvent): Promise<void> {
    const attempts = this.target.maxAttempts ?? 4;
    for (let i = 1; i <= attempts; i++) {
      try {
        const res = await sendStripeWebhook({ url: this.target.url, secret: this.target.secret, event });
        if (res.status >= 200 && res.status < 300) {
          this.stats.delivered++;
          return;
        }
        this.stats.lastError = `HTTP ${res.status}`;
      } catch (err) {
        this.stats.lastError = (err as Error).message;
      }
      if (i < attempts) await new Promise((r) => setTimeout(r, (this.target.retryDelayMs ?? 250) * 2 ** (i - 1)));
    }
    this.stats.failed++;
  }
}
