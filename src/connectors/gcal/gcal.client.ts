import { auth as googleAuth, calendar, type calendar_v3, type MethodOptions } from '@googleapis/calendar';
import type Bottleneck from 'bottleneck';
import { budgetId, vendorLimiter } from '../../common/vendor.limiter.js';
import { GOOGLE_TOKEN_URL, type GcalServiceAccount } from './gcal.credentials.js';
import { classifyGcalError, retryAfterMs } from './gcal.errors.js';
import type { VendorCallRecorder } from '../../common/http.metrics.js';

/**
 * Read access to events is all a sync needs; events.watch accepts this scope too. Share each
 * calendar with the service account's email ("See all event details").
 */
export const GCAL_SCOPES = ['https://www.googleapis.com/auth/calendar.events.readonly'];

export interface GcalClientOptions {
  /** GCAL_API_BASE: a simulator's root; null = https://www.googleapis.com/. */
  rootUrl: string | null;
  ratePerS: number;
  maxRetries: number;
  timeoutMs?: number;
  /** First retry delay; gaxios doubles it each attempt. */
  retryDelayMs?: number;
  /** REDIS_URL: the request budget shared with every other process using this service account. */
  redisUrl?: string | null;
  /** Counts and times every HTTP attempt, gaxios' own retries included (the metrics facade in the app). */
  recorder?: VendorCallRecorder;
}

export interface EventsPage {
  items: calendar_v3.Schema$Event[];
  nextPageToken: string | null;
  nextSyncToken: string | null;
}

export interface OpenedChannel {
  channelId: string;
  resourceId: string;
  expiration: Date;
}

const MAX_RETRY_AFTER_MS = 60_000;

/**
 * The one place that talks to Google Calendar: the official client with per-instance rootUrl,
 * service-account JWT auth, a Bottleneck limiter, gaxios retries for 429/5xx that honour
 * Retry-After, and every failure converted to a classified SyncError.
 */
export class GcalClient {
  private readonly api: calendar_v3.Calendar;
  private readonly limiter: Bottleneck;
  private readonly jwt: InstanceType<typeof googleAuth.JWT>;

  constructor(
    account: GcalServiceAccount,
    private readonly opts: GcalClientOptions,
  ) {
    const jwt = new googleAuth.JWT({
      email: account.clientEmail,
      key: account.privateKey,
      keyId: account.privateKeyId ?? undefined,
      scopes: GCAL_SCOPES,
    });
    this.jwt = jwt;
    // google-auth-library always posts the grant to Google's URL and ignores the key file's
    // token_uri; honour it so a key minted by a simulator (or another universe) works.
    if (account.tokenUri !== GOOGLE_TOKEN_URL) {
      const target = new URL(account.tokenUri);
      jwt.transporter.interceptors.request.add({
        // gaxios chains this with .then(), so a throw here still becomes a rejection.
        resolved: (o) => {
          if (o.url && new URL(String(o.url)).href === GOOGLE_TOKEN_URL) o.url = target;
          return Promise.resolve(o);
        },
      });
    }
    this.api = calendar({ version: 'v3', auth: jwt, ...(opts.rootUrl ? { rootUrl: `${opts.rootUrl}/` } : {}) });
    this.limiter = vendorLimiter(
      budgetId('gcal', account.clientEmail),
      { minTime: Math.ceil(1000 / opts.ratePerS), maxConcurrent: Math.max(1, opts.ratePerS) },
      opts.redisUrl ?? null,
    );
  }

  /** Closes the Redis connections of a shared budget (a no-op for an in-process one). */
  async stop(): Promise<void> {
    await this.limiter.disconnect(false).catch(() => undefined);
  }

  /** One events.list page (series masters and exceptions, deleted events included). */
  async listEvents(
    p: { calendarId: string; syncToken?: string | null; pageToken?: string | null; maxResults: number },
    signal?: AbortSignal,
  ): Promise<EventsPage> {
    const res = await this.call(() =>
      this.api.events.list(
        {
          calendarId: p.calendarId,
          maxResults: p.maxResults,
          // Same parameters on the full listing and on every syncToken request, as Google requires.
          singleEvents: false,
          showDeleted: true,
          ...(p.syncToken ? { syncToken: p.syncToken } : {}),
          ...(p.pageToken ? { pageToken: p.pageToken } : {}),
        },
        this.requestOptions('events.list', ['GET'], signal),
      ),
    );
    return {
      items: res.data.items ?? [],
      nextPageToken: res.data.nextPageToken ?? null,
      nextSyncToken: res.data.nextSyncToken ?? null,
    };
  }

  async watch(p: {
    calendarId: string;
    channelId: string;
    token: string;
    address: string;
    ttlS: number;
  }): Promise<OpenedChannel> {
    // Not retried automatically: a retry after a lost response would hit channelIdNotUnique.
    const res = await this.call(() =>
      this.api.events.watch(
        {
          calendarId: p.calendarId,
          requestBody: {
            id: p.channelId,
            type: 'web_hook',
            address: p.address,
            token: p.token,
            params: { ttl: String(p.ttlS) },
          },
        },
        this.requestOptions('events.watch', []),
      ),
    );
    const exp = Number(res.data.expiration);
    return {
      channelId: res.data.id ?? p.channelId,
      resourceId: res.data.resourceId ?? '',
      expiration: new Date(Number.isFinite(exp) && exp > 0 ? exp : Date.now() + p.ttlS * 1000),
    };
  }

  async stopChannel(channelId: string, resourceId: string | null): Promise<void> {
    await this.call(() =>
      this.api.channels.stop(
        { requestBody: { id: channelId, ...(resourceId ? { resourceId } : {}) } },
        this.requestOptions('channels.stop', ['POST']),
      ),
    );
  }

  /**
   * A 401 answer means Google no longer accepts the cached access token (the library would keep
   * using it until its own expiry): drop it and retry once with a freshly minted one. A revoked
   * key then fails the grant itself and surfaces as an auth error.
   */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.limiter.schedule(fn);
      } catch (err) {
        const status = (err as { response?: { status?: number } })?.response?.status;
        if (status === 401 && attempt === 0) {
          this.forgetAccessToken();
          continue;
        }
        const classified = classifyGcalError(err);
        if (classified.errorClass === 'auth') this.forgetAccessToken();
        throw classified;
      }
    }
  }

  private forgetAccessToken(): void {
    this.jwt.gtoken = undefined;
    this.jwt.credentials = { refresh_token: 'jwt-placeholder', expiry_date: 1 };
  }

  private requestOptions(operation: string, methods: string[], signal?: AbortSignal) {
    const recorder = this.opts.recorder;
    return {
      timeout: this.opts.timeoutMs ?? 30_000,
      ...(signal ? { signal } : {}),
      // gaxios calls the adapter once per attempt (its retries of 429/5xx included), so each is counted.
      ...(recorder
        ? {
            adapter: (async (o, send) => {
              const t0 = performance.now();
              let status: number | 'error' = 'error';
              try {
                const res = await send(o);
                status = res.status;
                return res;
              } finally {
                recorder.vendorRequest('gcal', operation, status, (performance.now() - t0) / 1000);
              }
            }) satisfies NonNullable<MethodOptions['adapter']>,
          }
        : {}),
      retryConfig: {
        retry: methods.length ? this.opts.maxRetries : 0,
        httpMethodsToRetry: methods,
        noResponseRetries: methods.length ? this.opts.maxRetries : 0,
        retryDelay: this.opts.retryDelayMs ?? 500,
        statusCodesToRetry: [
          [408, 408],
          [429, 429],
          [500, 599],
        ],
        // Honour Retry-After (capped) over gaxios' own exponential delay.
        retryBackoff: async (err: { response?: { headers?: unknown } } | undefined, delayMs: number) => {
          const hinted = retryAfterMs(err?.response?.headers);
          await new Promise((r) => setTimeout(r, Math.min(hinted ?? delayMs, MAX_RETRY_AFTER_MS)));
        },
      },
    };
  }
}
