import { Client } from '@hubspot/api-client';
import type Bottleneck from 'bottleneck';
import { logger } from '../../common/app.logger.js';
import { budgetId, vendorLimiter } from '../../common/vendor.limiter.js';
import type { VendorCallRecorder } from '../../common/http.metrics.js';
import { classifyHubspotError } from './hubspot.errors.js';
import { toHubspotObject } from './hubspot.mappers.js';
import type { HubspotEntity, HubspotObject } from './hubspot.types.js';

export interface HubspotApiOptions {
  accessToken: string;
  /** Simulator or proxy; null = https://api.hubapi.com. */
  basePath: string | null;
  searchRatePerS: number;
  ratePerS: number;
  maxRetries: number;
  /** First backoff for a 429 without Retry-After or a 5xx; doubles per attempt, with jitter. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** A Retry-After longer than this is not waited out inside a call: the caller fails transient. */
  maxRetryAfterMs?: number;
  timeoutMs?: number;
  /** REDIS_URL: both gates' budgets shared with every other process on this portal. */
  redisUrl?: string | null;
  /** Counts and times every attempt (the metrics facade in the app; absent in unit tests). */
  recorder?: VendorCallRecorder;
}

export interface SearchFilter {
  propertyName: string;
  operator: 'EQ' | 'GT' | 'GTE' | 'LT' | 'LTE';
  value: string;
}

export interface SearchRequest {
  filterGroups: { filters: SearchFilter[] }[];
  sorts: { propertyName: string; direction: 'ASCENDING' | 'DESCENDING' }[];
  properties: readonly string[];
  limit: number;
  after?: number;
}

export interface Page {
  results: HubspotObject[];
  /** List endpoints: opaque token for the next page of THIS listing; never an incremental cursor. */
  nextAfter: string | null;
  total?: number;
}

class Gate {
  private pausedUntil = 0;
  readonly limiter: Bottleneck;
  constructor(perSecond: number, id: string, redisUrl: string | null) {
    this.limiter = vendorLimiter(
      id,
      { minTime: Math.ceil(1000 / perSecond), maxConcurrent: Math.max(1, Math.min(perSecond, 4)) },
      redisUrl,
    );
  }
  /** A 429 pauses every caller of this gate, not only the one that saw it. */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
  }
  schedule<T>(fn: () => Promise<T>): Promise<T> {
    return this.limiter.schedule(async () => {
      const wait = this.pausedUntil - Date.now();
      if (wait > 0) await sleep(wait);
      return fn();
    });
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

class HubspotTimeout extends Error {
  override readonly name = 'HubspotTimeout';
}

/**
 * The HubSpot CRM through the official SDK, rate limited and retried by us.
 *
 * Why not the SDK's own `limiterOptions` / `numberOfApiCallRetries`: (1) its RetryDecorator only
 * retries a 429 whose body names the TEN_SECONDLY_ROLLING policy or the "secondly limit" message,
 * sleeps fixed 10 s / 1 s steps and ignores Retry-After; (2) its decorators live in a process-wide
 * singleton (ApiDecoratorService) that every `new Client()` overwrites, so two clients would clobber
 * each other's limiter. So the SDK is built with retries off and no limiter, and every call goes
 * through two Bottleneck gates (search ~5 req/s per HubSpot's docs, everything else the general
 * limit), honouring Retry-After (bounded) or backing off exponentially with jitter without it.
 */
export class HubspotApi {
  readonly client: Client;
  private readonly searchGate: Gate;
  private readonly generalGate: Gate;
  readonly stats = { requests: 0, retries: 0, rateLimited: 0 };

  constructor(private readonly opts: HubspotApiOptions) {
    this.client = new Client({
      accessToken: opts.accessToken,
      ...(opts.basePath ? { basePath: opts.basePath } : {}),
      numberOfApiCallRetries: 0,
    });
    const redisUrl = opts.redisUrl ?? null;
    this.searchGate = new Gate(opts.searchRatePerS, budgetId('hubspot', opts.accessToken, 'search'), redisUrl);
    this.generalGate = new Gate(opts.ratePerS, budgetId('hubspot', opts.accessToken, 'general'), redisUrl);
  }

  private crm(entity: HubspotEntity) {
    return entity === 'deals' ? this.client.crm.deals : this.client.crm.contacts;
  }

  async search(entity: HubspotEntity, req: SearchRequest): Promise<Page> {
    const body = {
      filterGroups: req.filterGroups,
      // The SDK types sorts as strings; the API takes {propertyName, direction} objects and the
      // serializer passes them through untouched.
      sorts: req.sorts as unknown as string[],
      properties: [...req.properties],
      limit: req.limit,
      ...(req.after !== undefined ? { after: String(req.after) } : {}),
    };
    const res = await this.call(
      this.searchGate,
      `${entity}.search`,
      () => this.crm(entity).searchApi.doSearch(body as never),
      { searchAfter: req.after },
    );
    return { results: res.results.map(toHubspotObject), nextAfter: res.paging?.next?.after ?? null, total: res.total };
  }

  async list(
    entity: HubspotEntity,
    opts: { limit: number; after: string | null; properties: readonly string[]; archived: boolean },
  ): Promise<Page> {
    const res = await this.call(this.generalGate, `${entity}.list`, () =>
      this.crm(entity).basicApi.getPage(
        opts.limit,
        opts.after ?? undefined,
        [...opts.properties],
        undefined,
        undefined,
        opts.archived,
      ),
    );
    return { results: res.results.map(toHubspotObject), nextAfter: res.paging?.next?.after ?? null };
  }

  /** Current state of up to 100 objects; ids HubSpot does not know (or that are archived when archived=false) are simply absent. */
  async batchRead(
    entity: HubspotEntity,
    ids: readonly string[],
    opts: { archived: boolean; properties: readonly string[]; maxWaitMs?: number },
  ): Promise<HubspotObject[]> {
    if (ids.length === 0) return [];
    if (ids.length > 100) throw new Error('batchRead takes at most 100 ids');
    const res = await this.call(
      this.generalGate,
      `${entity}.batch_read`,
      () =>
        this.crm(entity).batchApi.read(
          { inputs: ids.map((id) => ({ id })), properties: [...opts.properties], propertiesWithHistory: [] },
          opts.archived,
        ),
      { maxWaitMs: opts.maxWaitMs },
    );
    return res.results.map(toHubspotObject);
  }

  /**
   * Every deal pipeline with its stages, archived ones included when HubSpot lists them: the SDK's
   * deserialized answer, which hubspot-pipelines.mapper.ts reads (metadata values stay strings).
   */
  async dealPipelines(): Promise<unknown> {
    return this.call(this.generalGate, 'pipelines.list', () => this.client.crm.pipelines.pipelinesApi.getAll('deals'));
  }

  /**
   * `maxWaitMs` bounds how long this one call may sleep before a retry: a queue worker would rather
   * hand the row back with the vendor's Retry-After than hold its lease while sleeping.
   */
  private async call<T>(
    gate: Gate,
    op: string,
    fn: () => Promise<T>,
    ctx: { searchAfter?: number; maxWaitMs?: number } = {},
  ): Promise<T> {
    const base = this.opts.baseBackoffMs ?? 1000;
    const maxBackoff = Math.min(this.opts.maxBackoffMs ?? 30_000, ctx.maxWaitMs ?? Infinity);
    const maxRetryAfter = Math.min(this.opts.maxRetryAfterMs ?? 60_000, ctx.maxWaitMs ?? Infinity);
    for (let attempt = 0; ; attempt++) {
      try {
        this.stats.requests++;
        return await gate.schedule(() => this.measured(op, () => withTimeout(fn(), this.opts.timeoutMs ?? 30_000, op)));
      } catch (err) {
        const c = classifyHubspotError(err, ctx);
        if (c.status === 429) this.stats.rateLimited++;
        if (c.errorClass !== 'transient' || attempt >= this.opts.maxRetries) throw err;
        if (c.retryAfterMs !== undefined && c.retryAfterMs > maxRetryAfter) throw err;
        const backoff = Math.min(maxBackoff, base * 2 ** attempt);
        const delay = c.retryAfterMs ?? Math.round(backoff / 2 + (Math.random() * backoff) / 2);
        if (c.status === 429) gate.pause(delay);
        this.stats.retries++;
        logger.warn('hubspot call retried', {
          op,
          status: c.status,
          attempt: attempt + 1,
          delayMs: delay,
          retryAfter: c.retryAfterMs !== undefined,
        });
        await sleep(delay);
      }
    }
  }

  private async measured<T>(op: string, attempt: () => Promise<T>): Promise<T> {
    if (!this.opts.recorder) return attempt();
    const t0 = performance.now();
    let status: number | 'error' = 200;
    try {
      return await attempt();
    } catch (err) {
      const code = (err as { code?: unknown })?.code;
      status = typeof code === 'number' ? code : 'error';
      throw err;
    } finally {
      this.opts.recorder.vendorRequest('hubspot', op, status, (performance.now() - t0) / 1000);
    }
  }

  /** Waits for queued calls to finish (tests, shutdown). */
  async stop(): Promise<void> {
    await Promise.all([
      this.searchGate.limiter.stop({ dropWaitingJobs: false }),
      this.generalGate.limiter.stop({ dropWaitingJobs: false }),
    ]).catch(() => undefined);
    // Closes the Redis connections of a shared budget (a no-op for an in-process one).
    await Promise.all([this.searchGate.limiter.disconnect(false), this.generalGate.limiter.disconnect(false)]).catch(
      () => undefined,
    );
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, op: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HubspotTimeout(`HubSpot ${op} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
