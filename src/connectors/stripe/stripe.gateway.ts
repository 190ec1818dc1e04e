import { Inject, Injectable, type OnApplicationShutdown, Optional } from '@nestjs/common';
import type Bottleneck from 'bottleneck';
import type Stripe from 'stripe';
import { APP_CONFIG, type AppConfig } from '../../config/app.config.js';
import { HttpMetrics } from '../../common/http.metrics.js';
import { logger } from '../../common/app.logger.js';
import { budgetId, vendorLimiter } from '../../common/vendor.limiter.js';
import { createStripeClient } from './stripe.client.js';
import type { Pass } from './stripe.cursor.js';
import { SyncError } from '../../runs/sync.drivers.js';
import { classifyStripeError, isRateLimited, retryAfterMs } from './stripe.errors.js';
import { LEDGER_EVENT_TYPES } from './stripe.mappers.js';
import type { Json } from './stripe.payload.js';

/** Longest single wait we accept from Retry-After; beyond it the run fails transient and retries later. */
const MAX_RETRY_AFTER_MS = 60_000;
/** Backoff for a 429 without Retry-After: 1 s, 2 s, 4 s … (with jitter), capped. */
const BASE_BACKOFF_MS = 1_000;

export interface ListPage {
  data: Json[];
  hasMore: boolean;
}

/**
 * Every Stripe call goes through here: one Bottleneck limiter (STRIPE_RATE_LIMIT_PER_S, shared by
 * all runs of the process, and by all processes when REDIS_URL is set) and 429 handling. A 429 sets a cool-down that every queued call waits out, so
 * a storm slows the whole process down instead of each call hammering on; each call retries a 429
 * at most STRIPE_MAX_RETRIES times, so a storm ends the run (transient) in bounded time.
 */
@Injectable()
export class StripeGateway implements OnApplicationShutdown {
  private client: Stripe | null = null;
  private readonly limiter: Bottleneck;
  private cooldownUntil = 0;
  private readonly maxRetries: number;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly metrics?: HttpMetrics,
  ) {
    const perS = config.stripe.rateLimitPerS;
    // With REDIS_URL the budget is shared by every process syncing this account.
    this.limiter = vendorLimiter(
      budgetId('stripe', config.stripe.apiKey ?? ''),
      {
        reservoir: perS,
        reservoirRefreshAmount: perS,
        reservoirRefreshInterval: 1000,
        maxConcurrent: Math.max(1, Math.min(perS, 8)),
        minTime: Math.floor(1000 / perS / 2),
      },
      config.redisUrl,
    );
    this.maxRetries = config.stripe.maxRetries;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.limiter.disconnect(false);
  }

  get enabled(): boolean {
    return this.config.stripe.apiKey !== null;
  }

  /** One page of a created-windowed list, newest first. Throws SyncError. */
  async listPage(pass: Pass, limit: number, signal?: AbortSignal): Promise<ListPage> {
    const created: Stripe.RangeQueryParam = { lte: pass.lte };
    if (pass.gte !== null) created.gte = pass.gte;
    const params = { limit, created, ...(pass.startingAfter ? { starting_after: pass.startingAfter } : {}) };
    const res = await this.call(
      `list ${pass.list}`,
      (s): Promise<Stripe.ApiList<unknown>> => {
        switch (pass.list) {
          case 'charges':
            return s.charges.list(params);
          case 'refunds':
            return s.refunds.list(params);
          case 'disputes':
            return s.disputes.list(params);
          case 'events':
            return s.events.list({ ...params, types: [...LEDGER_EVENT_TYPES] });
        }
      },
      signal,
    );
    return { data: res.data as Json[], hasMore: res.has_more && res.data.length > 0 };
  }

  /** Runs one SDK call under the limiter, retrying 429s with Retry-After / backoff. Throws SyncError. */
  async call<T>(label: string, fn: (s: Stripe) => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.limiter.schedule(async () => {
          await sleep(this.cooldownUntil - Date.now(), signal);
          return this.measured(label, () => fn(this.sdk()));
        });
      } catch (err) {
        if (!isRateLimited(err)) throw classifyStripeError(err);
        const hinted = retryAfterMs(err);
        if (attempt >= this.maxRetries || (hinted !== null && hinted > MAX_RETRY_AFTER_MS))
          throw classifyStripeError(err);
        const wait = hinted ?? Math.round(BASE_BACKOFF_MS * 2 ** attempt * (0.5 + Math.random() / 2));
        this.cooldownUntil = Math.max(this.cooldownUntil, Date.now() + wait);
        logger.warn('stripe rate limited; backing off', {
          call: label,
          attempt: attempt + 1,
          waitMs: wait,
          retryAfter: hinted !== null,
        });
      }
    }
  }

  /** One SDK call timed and counted by its answer; the SDK's own retries of 5xx and network errors stay inside it. */
  private async measured<T>(label: string, call: () => Promise<T>): Promise<T> {
    const operation = label.replace(/^(\w+) (\w+)$/, '$2.$1');
    const t0 = performance.now();
    let status: number | 'error' = 200;
    try {
      return await call();
    } catch (err) {
      status = (err as { statusCode?: number })?.statusCode ?? 'error';
      throw err;
    } finally {
      this.metrics?.vendorRequest('stripe', operation, status, (performance.now() - t0) / 1000);
    }
  }

  private sdk(): Stripe {
    this.client ??= createStripeClient(this.config);
    return this.client;
  }
}

/** A cool-down must not hold up shutdown: an abort ends the wait (and the call) at once. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new SyncError('transient', 'stopped by shutdown'));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new SyncError('transient', 'stopped by shutdown'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
