import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  dealPipelines,
  MODIFIED_PROPERTY,
  type HubSpotDataset,
  type SimObject,
  type SimObjectType,
  type SimPipeline,
  type SimStage,
} from './hubspot-dataset.js';
import { runSearch, SearchError, type SearchBody } from './hubspot-search.js';
import { sendHubSpotWebhook, type WebhookDelivery, type WebhookEventInput } from './hubspot-webhook-sender.js';

export interface HubSpotSimulatorOptions {
  accessToken: string;
  dataset?: HubSpotDataset;
  port?: number;
  portalId?: number;
  /** Portal (company) currency served by /account-info/v3/details. */
  currency?: string;
  /** Results one search query can page through; HubSpot's is 10,000. */
  searchCap?: number;
  /** When set, search requests beyond this many per second get HubSpot's "secondly limit" 429. */
  searchRateLimitPerS?: number;
  /** Deal pipelines served by GET /crm/v3/pipelines/deals; default: the dataset's, else dealPipelines(). */
  pipelines?: SimPipeline[];
}

interface InjectedFailure {
  remaining: number;
  /** Matching requests still to let through before failing. */
  skip: number;
  status: number;
  retryAfterS: number | null;
  path: RegExp | null;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  status: number;
  body?: unknown;
}

export interface SimulatorState {
  objects: Record<SimObjectType, Map<string, SimObject>>;
  /** Served as is (tests may push malformed entries); archived stages are listed with `archived: true`. */
  pipelines: SimPipeline[];
  requests: RequestLogEntry[];
  accessToken: string;
  nextId: number;
}

export interface MutateOptions {
  /** Modification time (ms or Date); defaults to now. Equal values make same-millisecond ties. */
  at?: number | Date;
}

export interface HubSpotSimulator {
  url: string;
  state: SimulatorState;
  stop(): Promise<void>;
  /**
   * The next n requests (only those whose path matches `path`, after letting `skip` of them through)
   * fail with `status`; 429s carry Retry-After (seconds; true = 1) when asked.
   */
  failNext(n: number, status: number, withRetryAfter?: boolean | number, opts?: { path?: RegExp; skip?: number }): void;
  /** Drops every injected failure not yet served. */
  clearFailures(): void;
  /** Revokes or rotates the token: requests with the old one get 401. */
  setAccessToken(token: string): void;
  create(type: SimObjectType, properties: Record<string, string | null>, opts?: MutateOptions): SimObject;
  update(type: SimObjectType, id: string, properties: Record<string, string | null>, opts?: MutateOptions): SimObject;
  archive(type: SimObjectType, id: string, opts?: MutateOptions): SimObject;
  restore(type: SimObjectType, id: string, opts?: MutateOptions): SimObject;
  /** Removes an object entirely (GDPR/purge): neither live nor archived reads return it. */
  purge(type: SimObjectType, id: string): void;
  get(type: SimObjectType, id: string): SimObject | undefined;
  /** Changes a deal stage's metadata (e.g. its probability, as strings the way HubSpot stores them). */
  setStageMetadata(stageId: string, metadata: Record<string, string>): SimStage;
  /** Archives a stage: still listed, with `archived: true` and `archivedAt`. */
  archiveStage(stageId: string): SimStage;
  /** Takes a stage out of every answer (its pipeline deleted); deals may still carry its id. */
  removeStage(stageId: string): void;
  addStage(
    pipelineId: string,
    stage: Pick<SimStage, 'id' | 'label'> & { isClosed: boolean; probability: string },
  ): SimStage;
  /** Counts of requests by path prefix, e.g. count('/search'). */
  count(pathPart: string, status?: number): number;
  sendWebhook(
    targetUrl: string,
    events: WebhookEventInput[],
    clientSecret: string,
    opts?: { timestamp?: number },
  ): Promise<WebhookDelivery>;
}

const DEFAULT_PROPERTIES: Record<SimObjectType, string[]> = {
  deals: [
    'dealname',
    'amount',
    'dealstage',
    'pipeline',
    'closedate',
    'createdate',
    'hs_lastmodifieddate',
    'hs_object_id',
  ],
  contacts: ['email', 'firstname', 'lastname', 'createdate', 'lastmodifieddate', 'hs_object_id'],
};
const ALWAYS: Record<SimObjectType, string[]> = {
  deals: ['createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  contacts: ['createdate', 'lastmodifieddate', 'hs_object_id'],
};
const LIST_MAX_LIMIT = 100;
const BATCH_MAX_INPUTS = 100;

const clone = (o: SimObject): SimObject => ({ ...o, properties: { ...o.properties } });
const toMs = (at: number | Date | undefined) =>
  at === undefined ? Date.now() : at instanceof Date ? at.getTime() : at;

function hubspotError(status: number, category: string, message: string, extra: Record<string, unknown> = {}) {
  return { status: 'error', message, correlationId: randomUUID(), category, ...extra };
}

/** Our own HubSpot CRM v3 stand-in, speaking the wire format the official SDK expects. */
export async function startHubSpotSimulator(opts: HubSpotSimulatorOptions): Promise<HubSpotSimulator> {
  const cap = opts.searchCap ?? 10_000;
  const state: SimulatorState = {
    objects: { deals: new Map(), contacts: new Map() },
    pipelines: structuredClone(opts.pipelines ?? opts.dataset?.pipelines ?? dealPipelines()),
    requests: [],
    accessToken: opts.accessToken,
    nextId: 1,
  };
  let maxId = 0;
  for (const type of ['deals', 'contacts'] as SimObjectType[]) {
    for (const o of opts.dataset?.[type] ?? []) {
      state.objects[type].set(o.id, clone(o));
      maxId = Math.max(maxId, Number(o.id));
    }
  }
  state.nextId = Math.max(maxId + 1, 9_100_000_001);
  const failures: InjectedFailure[] = [];
  let searchWindow = { second: 0, count: 0 };
  let base = '';

  const project = (type: SimObjectType, o: SimObject, props: string[] | null) => {
    const wanted = new Set([...(props && props.length ? props : DEFAULT_PROPERTIES[type]), ...ALWAYS[type]]);
    const properties: Record<string, string | null> = {};
    for (const p of wanted) properties[p] = p === 'hs_object_id' ? o.id : (o.properties[p] ?? null);
    return {
      id: o.id,
      properties,
      createdAt: o.createdAt,
      updatedAt: o.updatedAt,
      archived: o.archived,
      ...(o.archived ? { archivedAt: o.archivedAt } : {}),
    };
  };

  const takeFailure = (path: string): InjectedFailure | null => {
    const f = failures.find((x) => x.remaining > 0 && (!x.path || x.path.test(path)));
    if (!f) return null;
    if (f.skip > 0) {
      f.skip -= 1;
      return null;
    }
    f.remaining -= 1;
    return f;
  };

  async function readJson(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if (!text) return {};
    return JSON.parse(text);
  }

  async function route(
    req: IncomingMessage,
    url: URL,
  ): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
    const path = url.pathname;
    const injected = takeFailure(path);
    if (injected) {
      const headers: Record<string, string> =
        injected.retryAfterS !== null ? { 'retry-after': String(injected.retryAfterS) } : {};
      if (injected.status === 429) {
        const search = path.endsWith('/search');
        return {
          status: 429,
          headers,
          body: search
            ? hubspotError(429, 'RATE_LIMITS', 'You have reached your secondly limit.', { errorType: 'RATE_LIMIT' })
            : hubspotError(429, 'RATE_LIMITS', 'You have reached your ten_secondly_rolling limit.', {
                errorType: 'RATE_LIMIT',
                policyName: 'TEN_SECONDLY_ROLLING',
              }),
        };
      }
      return {
        status: injected.status,
        headers,
        body: hubspotError(
          injected.status,
          injected.status >= 500 ? 'INTERNAL_ERROR' : 'VALIDATION_ERROR',
          `Injected failure ${injected.status}`,
        ),
      };
    }

    const auth = req.headers.authorization ?? '';
    if (auth !== `Bearer ${state.accessToken}`) {
      return {
        status: 401,
        body: hubspotError(
          401,
          auth ? 'EXPIRED_AUTHENTICATION' : 'INVALID_AUTHENTICATION',
          auth
            ? 'The OAuth token used to make this call expired or was revoked.'
            : 'Authentication credentials not found.',
        ),
      };
    }

    if (req.method === 'GET' && path === '/account-info/v3/details') {
      return {
        status: 200,
        body: {
          portalId: opts.portalId ?? 62515,
          accountType: 'STANDARD',
          timeZone: 'UTC',
          companyCurrency: opts.currency ?? 'USD',
          additionalCurrencies: ['EUR', 'GBP', 'JPY'],
          utcOffset: '+00:00',
          utcOffsetMilliseconds: 0,
          uiDomain: 'app.hubspot.com',
          dataHostingLocation: 'na1',
        },
      };
    }

    const pm = /^\/crm\/v3\/pipelines\/([^/]+)(?:\/([^/]+))?$/.exec(path);
    if (pm && req.method === 'GET') {
      // Only deal pipelines exist here; HubSpot answers other object types with their own pipelines.
      if (pm[1] !== 'deals') return { status: 200, body: { results: [] } };
      const live = state.pipelines.filter((p) => !p.archived);
      if (!pm[2]) return { status: 200, body: { results: live } };
      const one = live.find((p) => p.id === pm[2]);
      return one
        ? { status: 200, body: one }
        : { status: 404, body: hubspotError(404, 'OBJECT_NOT_FOUND', `Unable to find pipeline ${pm[2]}`) };
    }

    const m = /^\/crm\/v3\/objects\/(deals|contacts)(?:\/([^/]+)(?:\/([^/]+))?)?$/.exec(path);
    if (!m) return { status: 404, body: hubspotError(404, 'OBJECT_NOT_FOUND', `No route for ${req.method} ${path}`) };
    const type = m[1] as SimObjectType;
    const store = state.objects[type];
    const archived = url.searchParams.get('archived') === 'true';
    const propsParam = url.searchParams
      .getAll('properties')
      .flatMap((p) => p.split(','))
      .filter(Boolean);

    if (req.method === 'GET' && !m[2]) {
      const limit = Number(url.searchParams.get('limit') ?? 10);
      if (!Number.isInteger(limit) || limit < 1 || limit > LIST_MAX_LIMIT)
        return {
          status: 400,
          body: hubspotError(400, 'VALIDATION_ERROR', `limit must be between 1 and ${LIST_MAX_LIMIT}`),
        };
      const afterToken = url.searchParams.get('after');
      let afterId = 0n;
      if (afterToken) {
        const decoded = Buffer.from(afterToken, 'base64url').toString('utf8');
        if (!/^id:\d+$/.test(decoded))
          return { status: 400, body: hubspotError(400, 'VALIDATION_ERROR', 'Invalid after token') };
        afterId = BigInt(decoded.slice(3));
      }
      const sorted = [...store.values()]
        .filter((o) => o.archived === archived && BigInt(o.id) > afterId)
        .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
      const page = sorted.slice(0, limit);
      const next = sorted.length > limit ? Buffer.from(`id:${page[page.length - 1].id}`).toString('base64url') : null;
      return {
        status: 200,
        body: {
          results: page.map((o) => project(type, o, propsParam)),
          ...(next ? { paging: { next: { after: next, link: `${base}${path}?after=${next}` } } } : {}),
        },
      };
    }

    if (req.method === 'POST' && m[2] === 'search' && !m[3]) {
      if (opts.searchRateLimitPerS) {
        const sec = Math.floor(Date.now() / 1000);
        if (searchWindow.second !== sec) searchWindow = { second: sec, count: 0 };
        if (++searchWindow.count > opts.searchRateLimitPerS) {
          return {
            status: 429,
            body: hubspotError(429, 'RATE_LIMITS', 'You have reached your secondly limit.', {
              errorType: 'RATE_LIMIT',
            }),
          };
        }
      }
      const body = (await readJson(req)) as SearchBody;
      try {
        const r = runSearch(store.values(), body, cap);
        return {
          status: 200,
          body: {
            total: r.total,
            results: r.results.map((o) => project(type, o, body.properties ?? null)),
            ...(r.nextAfter
              ? { paging: { next: { after: r.nextAfter, link: `${base}${path}?after=${r.nextAfter}` } } }
              : {}),
          },
        };
      } catch (err) {
        if (err instanceof SearchError)
          return { status: err.status, body: hubspotError(err.status, err.category, err.message) };
        throw err;
      }
    }

    if (req.method === 'POST' && m[2] === 'batch' && m[3] === 'read') {
      const body = (await readJson(req)) as { inputs?: { id?: unknown }[]; properties?: string[] };
      const inputs = Array.isArray(body.inputs) ? body.inputs : [];
      if (inputs.length === 0 || inputs.length > BATCH_MAX_INPUTS)
        return {
          status: 400,
          body: hubspotError(400, 'VALIDATION_ERROR', `inputs must hold 1 to ${BATCH_MAX_INPUTS} ids`),
        };
      const startedAt = new Date().toISOString();
      const results = [];
      const missing: string[] = [];
      for (const input of inputs) {
        const o = store.get(String(input.id));
        if (o && o.archived === archived) results.push(project(type, o, body.properties ?? null));
        else missing.push(String(input.id));
      }
      const payload = { status: 'COMPLETE', results, startedAt, completedAt: new Date().toISOString() };
      if (missing.length === 0) return { status: 200, body: payload };
      return {
        status: 207,
        body: {
          ...payload,
          numErrors: 1,
          errors: [
            {
              status: 'error',
              category: 'OBJECT_NOT_FOUND',
              message: `Could not get some ${type} objects, they may be deleted or not exist. Check that ids are valid.`,
              context: { ids: missing },
            },
          ],
        },
      };
    }

    if (req.method === 'GET' && m[2] && !m[3]) {
      const o = store.get(m[2]);
      if (!o || o.archived !== archived)
        return { status: 404, body: hubspotError(404, 'OBJECT_NOT_FOUND', 'resource not found') };
      return { status: 200, body: project(type, o, propsParam) };
    }
    return { status: 405, body: hubspotError(405, 'VALIDATION_ERROR', `${req.method} is not supported on ${path}`) };
  }

  const server = createServer((req, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    route(req, url)
      .catch((err: unknown) => {
        const bad = err instanceof SyntaxError;
        return {
          status: bad ? 400 : 500,
          body: hubspotError(
            bad ? 400 : 500,
            bad ? 'VALIDATION_ERROR' : 'INTERNAL_ERROR',
            bad ? 'Invalid JSON body' : (err as Error).message,
          ),
          headers: {},
        };
      })
      .then(({ status, body, headers }) => {
        state.requests.push({ method: req.method ?? 'GET', path: url.pathname, status });
        const text = JSON.stringify(body);
        res.writeHead(status, {
          'content-type': 'application/json;charset=utf-8',
          'content-length': Buffer.byteLength(text),
          ...(headers ?? {}),
        });
        res.end(text);
      });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const must = (type: SimObjectType, id: string) => {
    const o = state.objects[type].get(id);
    if (!o) throw new Error(`no ${type} object ${id}`);
    return o;
  };
  const findStage = (stageId: string): SimStage => {
    for (const p of state.pipelines) for (const st of p.stages ?? []) if (st.id === stageId) return st;
    throw new Error(`no deal stage ${stageId}`);
  };
  const touch = (type: SimObjectType, o: SimObject, at: number) => {
    const iso = new Date(at).toISOString();
    o.properties[MODIFIED_PROPERTY[type]] = iso;
    o.updatedAt = iso;
  };

  return {
    url: base,
    state,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    failNext(n, status, withRetryAfter = false, o = {}) {
      const retryAfterS = withRetryAfter === false ? null : withRetryAfter === true ? 1 : withRetryAfter;
      failures.push({ remaining: n, skip: o.skip ?? 0, status, retryAfterS, path: o.path ?? null });
    },
    clearFailures() {
      failures.length = 0;
    },
    setAccessToken(token) {
      state.accessToken = token;
    },
    create(type, properties, o = {}) {
      const at = toMs(o.at);
      const id = String(state.nextId++);
      const iso = new Date(at).toISOString();
      const obj: SimObject = {
        id,
        properties: { ...properties, createdate: iso, hs_object_id: id },
        createdAt: iso,
        updatedAt: iso,
        archived: false,
        archivedAt: null,
      };
      touch(type, obj, at);
      state.objects[type].set(id, obj);
      return clone(obj);
    },
    update(type, id, properties, o = {}) {
      const obj = must(type, id);
      Object.assign(obj.properties, properties);
      touch(type, obj, toMs(o.at));
      return clone(obj);
    },
    archive(type, id, o = {}) {
      const obj = must(type, id);
      obj.archived = true;
      obj.archivedAt = new Date(toMs(o.at)).toISOString();
      return clone(obj);
    },
    restore(type, id, o = {}) {
      const obj = must(type, id);
      obj.archived = false;
      obj.archivedAt = null;
      touch(type, obj, toMs(o.at));
      return clone(obj);
    },
    purge(type, id) {
      state.objects[type].delete(id);
    },
    get(type, id) {
      const o = state.objects[type].get(id);
      return o ? clone(o) : undefined;
    },
    setStageMetadata(stageId, metadata) {
      const st = findStage(stageId);
      st.metadata = { ...st.metadata, ...metadata };
      st.updatedAt = new Date().toISOString();
      return structuredClone(st);
    },
    archiveStage(stageId) {
      const st = findStage(stageId);
      st.archived = true;
      st.archivedAt = st.updatedAt = new Date().toISOString();
      return structuredClone(st);
    },
    removeStage(stageId) {
      for (const p of state.pipelines) p.stages = (p.stages ?? []).filter((st) => st.id !== stageId);
    },
    addStage(pipelineId, input) {
      const p = state.pipelines.find((x) => x.id === pipelineId);
      if (!p) throw new Error(`no deal pipeline ${pipelineId}`);
      const now = new Date().toISOString();
      const st: SimStage = {
        id: input.id,
        label: input.label,
        displayOrder: p.stages.length,
        metadata: { isClosed: String(input.isClosed), probability: input.probability },
        createdAt: now,
        updatedAt: now,
        archived: false,
        writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT',
      };
      p.stages.push(st);
      return structuredClone(st);
    },
    count(pathPart, status) {
      return state.requests.filter((r) => r.path.includes(pathPart) && (status === undefined || r.status === status))
        .length;
    },
    sendWebhook: (targetUrl, events, clientSecret, o = {}) =>
      sendHubSpotWebhook(targetUrl, events, clientSecret, { portalId: opts.portalId ?? 62515, ...o }),
  };
}
