import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KeyObject } from 'node:crypto';
import { seedGcalDataset, type GcalDatasetOptions, type GcalDatasetSummary } from './gcal-dataset.js';
import { GcalStore, type EventInput, type EventTime, type SimEvent } from './gcal-store.js';
import { canonicalError, googleError, rateLimited403, type GoogleErrorBody } from './google-errors.js';
import { EventLister } from './event-listing.js';
import { PushSender, type Delivery, type ResourceState, type SimChannel } from './push-sender.js';
import {
  generateServiceAccount,
  newOpaqueToken,
  peekJwt,
  publicKeyOf,
  verifyJwtRs256,
  type ServiceAccountJson,
} from './service-account.js';

export interface GcalSimulatorOptions {
  calendars: Array<string | { id: string; summary?: string; timeZone?: string }>;
  /** The account the token endpoint trusts; generated (with token_uri = this simulator) when omitted. */
  serviceAccount?: ServiceAccountJson;
  /** Seeds the deterministic dataset; omit or false for empty calendars. */
  dataset?: GcalDatasetOptions | false;
  /** Send `exists` notifications to live channels after every change (default true). */
  autoNotify?: boolean;
  port?: number;
  host?: string;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
}

export interface FailOptions {
  /** Let this many API requests succeed before failing. */
  after?: number;
  /** Retry-After header (seconds) on 429/503. */
  retryAfterS?: number;
  /** 403 only: throttling (`rateLimitExceeded`) instead of a permission error. */
  rateLimit?: boolean;
}

export interface GcalSimulator {
  url: string;
  serviceAccount: ServiceAccountJson;
  /** What to put in GCAL_SERVICE_ACCOUNT_JSON. */
  serviceAccountJson: string;
  state: GcalStore;
  dataset: GcalDatasetSummary | null;
  tokens: EventLister['issued'];
  push: PushSender;
  requests: RequestLogEntry[];
  tokenGrants(): number;
  expireSyncTokens(calendarId: string): void;
  failNext(n: number, status: number, opts?: FailOptions): void;
  /** Key deleted in the console: grants fail and issued access tokens stop working. */
  revokeServiceAccount(): void;
  restoreServiceAccount(): void;
  mutate: {
    insert(calendarId: string, input: EventInput): SimEvent;
    update(calendarId: string, eventId: string, patch: Partial<SimEvent>): SimEvent;
    cancel(calendarId: string, eventId: string): SimEvent;
    modifyInstance(calendarId: string, seriesId: string, originalStart: EventTime, patch: Partial<SimEvent>): SimEvent;
    cancelInstance(calendarId: string, seriesId: string, originalStart: EventTime): SimEvent;
  };
  notify(
    channelId: string,
    state: ResourceState,
    opts?: { messageNumber?: number; token?: string | null },
  ): Promise<Delivery>;
  flushNotifications(): Promise<void>;
  channel(channelId: string): SimChannel | undefined;
  stop(): Promise<void>;
}

const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const CALENDAR_SCOPES = new Set([
  'https://www.googleapis.com/auth/calendar',
  'https://www.googleapis.com/auth/calendar.readonly',
  'https://www.googleapis.com/auth/calendar.events',
  'https://www.googleapis.com/auth/calendar.events.readonly',
]);
const MAX_TTL_MS = 30 * 86_400_000;
const DEFAULT_TTL_MS = 7 * 86_400_000;
const SYNC_TOKEN_FORBIDDEN = ['q', 'orderBy', 'iCalUID', 'privateExtendedProperty', 'sharedExtendedProperty'];

/**
 * Google Calendar v3 on a random local port: the OAuth JWT-bearer token endpoint, events.list,
 * events.watch, channels.stop, and push notifications, all in Google's wire format, so the
 * official @googleapis/calendar client runs against it unchanged (only rootUrl and token_uri).
 */
export async function startGcalSimulator(opts: GcalSimulatorOptions): Promise<GcalSimulator> {
  const store = new GcalStore();
  for (const c of opts.calendars) {
    const spec = typeof c === 'string' ? { id: c } : c;
    store.addCalendar(spec.id, spec);
  }
  const lister = new EventLister(store);
  const push = new PushSender();
  const requests: RequestLogEntry[] = [];
  const accessTokens = new Map<string, number>();
  const failures: Array<{ status: number; opts: FailOptions }> = [];
  let passBeforeFail = 0;
  let grants = 0;
  let revoked = false;
  let url = '';
  let account: ServiceAccountJson;
  let publicKey: KeyObject;

  const send = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    if (body === undefined) {
      res.writeHead(status, headers).end();
      return;
    }
    const text = JSON.stringify(body);
    res
      .writeHead(status, {
        'Content-Type': 'application/json; charset=UTF-8',
        'Content-Length': Buffer.byteLength(text),
        ...headers,
      })
      .end(text);
  };

  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const tokenEndpoint = (form: URLSearchParams): { status: number; body: unknown } => {
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return {
        status: 400,
        body: {
          error: 'unsupported_grant_type',
          error_description: 'Invalid grant_type: ' + (form.get('grant_type') ?? ''),
        },
      };
    }
    const assertion = form.get('assertion') ?? '';
    const claims = peekJwt(assertion);
    if (!claims || claims.iss !== account.client_email)
      return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid grant: account not found' } };
    if (revoked) return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } };
    const check = verifyJwtRs256(assertion, publicKey);
    if (!check.ok) return { status: 400, body: { error: 'invalid_grant', error_description: check.reason } };
    if (check.claims.aud !== GOOGLE_TOKEN_URL && check.claims.aud !== account.token_uri) {
      return {
        status: 400,
        body: { error: 'invalid_grant', error_description: 'Invalid JWT: audience is not the token endpoint.' },
      };
    }
    const scopes = String(check.claims.scope ?? '')
      .split(' ')
      .filter(Boolean);
    if (!scopes.some((s) => CALENDAR_SCOPES.has(s)))
      return {
        status: 400,
        body: { error: 'invalid_scope', error_description: 'Invalid OAuth scope or ID token audience provided.' },
      };
    const token = newOpaqueToken('ya29.sim-');
    accessTokens.set(token, Date.now() + 3600_000);
    grants++;
    return { status: 200, body: { access_token: token, expires_in: 3599, token_type: 'Bearer' } };
  };

  const authorized = (req: IncomingMessage): boolean => {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const exp = m ? accessTokens.get(m[1]) : undefined;
    return exp !== undefined && exp > Date.now();
  };

  /** Injected failure for this API request, if one is due. */
  const injected = (): { status: number; body: GoogleErrorBody; headers: Record<string, string> } | null => {
    if (failures.length === 0) return null;
    if (passBeforeFail > 0) {
      passBeforeFail--;
      return null;
    }
    const f = failures.shift()!;
    const headers: Record<string, string> =
      f.opts.retryAfterS !== undefined ? { 'Retry-After': String(f.opts.retryAfterS) } : {};
    return {
      status: f.status,
      body: f.status === 403 && f.opts.rateLimit ? rateLimited403() : canonicalError(f.status),
      headers,
    };
  };

  const handleApi = async (
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: URLSearchParams,
  ): Promise<number> => {
    if (!authorized(req)) {
      send(res, 401, canonicalError(401), {
        'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"',
      });
      return 401;
    }
    const fail = injected();
    if (fail) {
      send(res, fail.status, fail.body, fail.headers);
      return fail.status;
    }
    const list = /^\/calendar\/v3\/calendars\/([^/]+)\/events$/.exec(path);
    const watch = /^\/calendar\/v3\/calendars\/([^/]+)\/events\/watch$/.exec(path);
    if (req.method === 'GET' && list) {
      const cal = store.calendar(decodeURIComponent(list[1]));
      if (!cal) return reply(res, 404, canonicalError(404));
      const bool = (k: string) => (query.has(k) ? query.get(k) === 'true' : undefined);
      const r = lister.list(cal, {
        syncToken: query.get('syncToken') ?? undefined,
        pageToken: query.get('pageToken') ?? undefined,
        maxResults: query.has('maxResults') ? Number(query.get('maxResults')) : undefined,
        showDeleted: bool('showDeleted'),
        singleEvents: bool('singleEvents'),
        updatedMin: query.get('updatedMin') ?? undefined,
        timeMin: query.get('timeMin') ?? undefined,
        timeMax: query.get('timeMax') ?? undefined,
        otherFilters: SYNC_TOKEN_FORBIDDEN.filter((k) => query.has(k)),
      });
      return reply(res, r.status, r.body);
    }
    if (req.method === 'POST' && watch) {
      const cal = store.calendar(decodeURIComponent(watch[1]));
      if (!cal) return reply(res, 404, canonicalError(404));
      const body = parseJson(await readBody(req));
      const id = typeof body?.id === 'string' ? body.id : '';
      if (!/^[A-Za-z0-9\-_+/=]{1,64}$/.test(id))
        return reply(res, 400, googleError(400, 'invalid', 'Invalid channel id.', 'INVALID_ARGUMENT'));
      if (body.type !== 'web_hook' && body.type !== 'webhook')
        return reply(res, 400, googleError(400, 'invalid', 'Invalid channel type.', 'INVALID_ARGUMENT'));
      if (typeof body.address !== 'string' || !/^https?:\/\//.test(body.address))
        return reply(res, 400, googleError(400, 'invalid', 'Invalid channel address.', 'INVALID_ARGUMENT'));
      if (push.channels.has(id))
        return reply(
          res,
          400,
          googleError(400, 'channelIdNotUnique', `Channel id ${id} not unique`, 'INVALID_ARGUMENT'),
        );
      const now = Date.now();
      const ttlS = Number(body.params?.ttl);
      const requested =
        body.expiration !== undefined
          ? Number(body.expiration)
          : Number.isFinite(ttlS) && ttlS > 0
            ? now + ttlS * 1000
            : now + DEFAULT_TTL_MS;
      const channel: SimChannel = {
        id,
        calendarId: cal.id,
        resourceId: cal.resourceId,
        resourceUri: `${url}/calendar/v3/calendars/${encodeURIComponent(cal.id)}/events?alt=json`,
        token: typeof body.token === 'string' ? body.token : undefined,
        address: body.address,
        expiration: Math.min(Number.isFinite(requested) ? requested : now + DEFAULT_TTL_MS, now + MAX_TTL_MS),
        messageNumber: 0,
        stopped: false,
      };
      push.channels.set(id, channel);
      // Google confirms a new channel with a `sync` message, which may overtake the watch response.
      setImmediate(() => void push.send(channel, 'sync'));
      return reply(res, 200, {
        kind: 'api#channel',
        id,
        resourceId: channel.resourceId,
        resourceUri: channel.resourceUri,
        ...(channel.token !== undefined ? { token: channel.token } : {}),
        expiration: String(channel.expiration),
      });
    }
    if (req.method === 'POST' && path === '/calendar/v3/channels/stop') {
      const body = parseJson(await readBody(req));
      const ch = typeof body?.id === 'string' ? push.channels.get(body.id) : undefined;
      if (!ch || ch.stopped || (body.resourceId !== undefined && body.resourceId !== ch.resourceId)) {
        return reply(
          res,
          404,
          googleError(
            404,
            'notFound',
            `Channel '${String(body?.id)}' not found for project '${account.project_id}'`,
            'NOT_FOUND',
          ),
        );
      }
      ch.stopped = true;
      send(res, 204);
      return 204;
    }
    return reply(res, 404, canonicalError(404));
  };

  const reply = (res: ServerResponse, status: number, body: unknown): number => {
    send(res, status, body);
    return status;
  };

  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://sim');
    const query = u.searchParams;
    const log = (status: number) =>
      requests.push({ method: req.method ?? 'GET', path: u.pathname, query: Object.fromEntries(query), status });
    void (async () => {
      try {
        if (req.method === 'POST' && u.pathname === '/token') {
          const r = tokenEndpoint(new URLSearchParams(await readBody(req)));
          send(res, r.status, r.body);
          return log(r.status);
        }
        if (u.pathname.startsWith('/calendar/v3/')) return log(await handleApi(req, res, u.pathname, query));
        send(res, 404, canonicalError(404));
        log(404);
      } catch {
        if (!res.headersSent) send(res, 500, canonicalError(500));
        log(500);
      }
    })();
  });

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  url = `http://${opts.host ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;
  account = opts.serviceAccount ?? generateServiceAccount({ tokenUri: `${url}/token` });
  publicKey = publicKeyOf(account);

  const dataset = opts.dataset === false || opts.dataset === undefined ? null : seedGcalDataset(store, opts.dataset);
  if (opts.autoNotify !== false) store.onChange = (calendarId) => push.changed(calendarId);

  return {
    url,
    serviceAccount: account,
    serviceAccountJson: JSON.stringify(account),
    state: store,
    dataset,
    tokens: lister.issued,
    push,
    requests,
    tokenGrants: () => grants,
    expireSyncTokens(calendarId) {
      const cal = store.calendar(calendarId);
      if (!cal) throw new Error(`unknown simulator calendar ${calendarId}`);
      cal.epoch++;
    },
    failNext(n, status, o = {}) {
      passBeforeFail = o.after ?? 0;
      for (let i = 0; i < n; i++) failures.push({ status, opts: o });
    },
    revokeServiceAccount() {
      revoked = true;
      accessTokens.clear();
    },
    restoreServiceAccount() {
      revoked = false;
    },
    mutate: {
      insert: (c, i) => store.insert(c, i),
      update: (c, id, p) => store.update(c, id, p),
      cancel: (c, id) => store.cancel(c, id),
      modifyInstance: (c, s, o, p) => store.modifyInstance(c, s, o, p),
      cancelInstance: (c, s, o) => store.cancelInstance(c, s, o),
    },
    notify(channelId, state, o) {
      const ch = push.channels.get(channelId);
      if (!ch) throw new Error(`unknown simulator channel ${channelId}`);
      return push.send(ch, state, o);
    },
    flushNotifications: () => push.flush(),
    channel: (id) => push.channels.get(id),
    async stop() {
      await push.flush();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function parseJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
