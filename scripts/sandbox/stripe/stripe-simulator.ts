import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { listPage, parseQuery, queryValue, StripeApiError, type Listable, type Query } from './stripe-list.js';
import { SIMULATOR_API_VERSION, type StripeCharge, type StripeEvent, type StripeRefund } from './stripe-objects.js';
import { StripeSimState, type ResourceName, type StripeSimData } from './stripe-state.js';
import { StripeWebhookForwarder } from './stripe-webhook-sender.js';
import { SyntheticCharges, type SyntheticChargesOptions } from './stripe-synthetic.js';

export interface StripeSimulatorOptions {
  /** Secret key(s) the simulator accepts as `Authorization: Bearer <key>`. */
  apiKey: string | string[];
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Initial account contents, e.g. generateStripeDataset(). */
  dataset?: StripeSimData;
  /** Unix seconds "now" of the simulated Stripe (default: wall clock). */
  clock?: () => number;
  /** The Events API only serves events this young (Stripe keeps 30 days). */
  eventRetentionS?: number;
  /** Answers 429 once clients exceed this many requests per second (off by default). */
  rateLimitPerS?: number;
  /** Seed for ids of objects created after start. */
  seed?: number;
  /**
   * Serve /v1/charges from charges made on demand (see SyntheticCharges) instead of the state:
   * for backfills of a million charges. The other lists still come from the state.
   */
  syntheticCharges?: SyntheticChargesOptions;
}

export interface SimulatedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  stripeVersion: string | null;
  at: number;
}

interface InjectedFailure {
  status: number;
  retryAfterS?: number;
  path?: RegExp | string;
}

export interface FailOptions {
  /** Only requests whose path matches (a RegExp, or a path prefix such as '/v1/charges'). */
  path?: RegExp | string;
  /** Let this many matching requests through first (e.g. fail the third page). */
  skip?: number;
}

export interface StripeSimulator {
  /** Base URL for STRIPE_API_BASE, e.g. http://127.0.0.1:41234 */
  url: string;
  host: string;
  port: number;
  state: StripeSimState;
  /** Every request answered, oldest first. */
  requests: SimulatedRequest[];
  /** The next `n` matching requests fail with `status` (a 429 carries Retry-After when `retryAfterS` is given). */
  failNext(n: number, status: number, retryAfterS?: number, opts?: FailOptions): void;
  /** Forgets injected failures that have not fired yet. */
  clearFailures(): void;
  /** POSTs every event emitted from now on to a webhook URL, signed with `secret`. */
  forwardEventsTo(target: { url: string; secret: string }): StripeWebhookForwarder;
  stop(): Promise<void>;
}

const RESOURCES: Record<string, { name: ResourceName; object: string; params: string[] }> = {
  charges: { name: 'charges', object: 'charge', params: ['customer', 'payment_intent', 'transfer_group'] },
  refunds: { name: 'refunds', object: 'refund', params: ['charge', 'payment_intent'] },
  disputes: { name: 'disputes', object: 'dispute', params: ['charge', 'payment_intent'] },
  events: { name: 'events', object: 'event', params: ['type', 'types', 'delivery_success'] },
};

/**
 * A local Stripe API (v1 wire format) for tests and the demo: list/retrieve charges, refunds,
 * disputes and events with Stripe's pagination and `created` filters, Bearer key auth, Stripe's
 * error bodies, injectable 429/5xx, a few mutating endpoints, and signed webhook forwarding.
 */
export async function startStripeSimulator(opts: StripeSimulatorOptions): Promise<StripeSimulator> {
  const keys = Array.isArray(opts.apiKey) ? opts.apiKey : [opts.apiKey];
  const state = new StripeSimState({ seed: opts.seed, clock: opts.clock });
  if (opts.dataset) state.load(opts.dataset);
  const retentionS = opts.eventRetentionS ?? 30 * 86_400;
  const synthetic = opts.syntheticCharges ? new SyntheticCharges(opts.syntheticCharges) : null;
  const failures: InjectedFailure[] = [];
  const requests: SimulatedRequest[] = [];
  const forwarders: StripeWebhookForwarder[] = [];
  let bucket = { tokens: opts.rateLimitPerS ?? 0, at: Date.now() };

  const takeToken = (): boolean => {
    if (!opts.rateLimitPerS) return true;
    const now = Date.now();
    bucket = {
      tokens: Math.min(opts.rateLimitPerS, bucket.tokens + ((now - bucket.at) / 1000) * opts.rateLimitPerS),
      at: now,
    };
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  };

  const visibleEvents = () => {
    const horizon = state.clock() - retentionS;
    return state.list<StripeEvent>('events').filter((e) => e.created >= horizon);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const path = url.pathname.replace(/\/+$/, '');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, {
        'Content-Type': 'application/json',
        'Request-Id': `req_${randomBytes(7).toString('hex')}`,
        'Stripe-Version': String(req.headers['stripe-version'] ?? SIMULATOR_API_VERSION),
        ...headers,
      });
      res.end(JSON.stringify(body, null, 2));
      return status;
    };
    try {
      const injected = failures.findIndex((f) => matches(f.path, path));
      if (injected >= 0) {
        const f = failures.splice(injected, 1)[0];
        if (f.status > 0) throw injectedError(f);
      }
      if (!takeToken()) throw rateLimited(1);
      authenticate(req, keys);
      const body = req.method === 'POST' ? await readForm(req) : new Map<string, string[]>();
      return send(200, route(req.method ?? 'GET', path, parseQuery(url.searchParams), body));
    } catch (err) {
      if (err instanceof StripeApiError) return send(err.status, err.body(), err.headers);
      return send(500, { error: { type: 'api_error', message: 'An unknown error occurred' } });
    }
  };

  const route = (method: string, path: string, q: Query, form: Query): unknown => {
    const m = /^\/v1\/(charges|refunds|disputes|events)(?:\/([A-Za-z0-9_]+))?(?:\/(capture))?$/.exec(path);
    if (!m) throw notFound(method, path);
    const [, resource, id, action] = m;
    const spec = RESOURCES[resource];
    if (method === 'GET' && !id) return list(spec, q);
    if (method === 'GET' && id && !action) return retrieve(spec, id);
    if (method === 'POST' && resource === 'charges' && !id) return createCharge(form);
    if (method === 'POST' && resource === 'charges' && id && action === 'capture') return capture(id, form);
    if (method === 'POST' && resource === 'refunds' && !id) return createRefund(form);
    throw notFound(method, path);
  };

  const list = (spec: (typeof RESOURCES)[string], q: Query) => {
    if (synthetic && spec.name === 'charges') return synthetic.list(q);
    const items = (spec.name === 'events' ? visibleEvents() : state.list(spec.name)) as unknown as Array<
      Listable & Record<string, any>
    >;
    const positions = new Map(items.map((o, i) => [o.id, i]));
    return listPage<Listable & Record<string, any>>({
      items,
      positionOf: (id) => positions.get(id),
      url: `/v1/${spec.name}`,
      query: q,
      extraParams: spec.params,
      objectName: spec.object,
      filter: (o, query) => {
        for (const p of ['customer', 'payment_intent', 'transfer_group', 'charge']) {
          const want = queryValue(query, p);
          if (want !== undefined && spec.params.includes(p) && o[p] !== want) return false;
        }
        if (spec.name === 'events') return eventTypeMatches(o as StripeEvent, query);
        return true;
      },
    });
  };

  const retrieve = (spec: (typeof RESOURCES)[string], id: string) => {
    const index = synthetic && spec.name === 'charges' ? synthetic.indexOf(id) : undefined;
    if (index !== undefined) return synthetic!.charge(index);
    const obj = spec.name === 'events' ? visibleEvents().find((e) => e.id === id) : state.get(spec.name, id);
    if (!obj)
      throw new StripeApiError(
        404,
        'invalid_request_error',
        `No such ${spec.object}: '${id}'`,
        'resource_missing',
        'id',
      );
    return obj;
  };

  const createCharge = (form: Query): StripeCharge => {
    const amount = formInt(form, 'amount', true)!;
    const currency = queryValue(form, 'currency');
    if (!currency || !/^[a-z]{3}$/i.test(currency))
      throw new StripeApiError(
        400,
        'invalid_request_error',
        'Missing required param: currency.',
        'parameter_missing',
        'currency',
      );
    return mutate(() =>
      state.createCharge({
        amount,
        currency,
        capture: queryValue(form, 'capture') !== 'false',
        customer: queryValue(form, 'customer') ?? null,
        description: queryValue(form, 'description') ?? null,
      }),
    );
  };

  const capture = (id: string, form: Query): StripeCharge => {
    if (!state.get('charges', id))
      throw new StripeApiError(404, 'invalid_request_error', `No such charge: '${id}'`, 'resource_missing', 'id');
    return mutate(() => state.captureCharge(id, formInt(form, 'amount', false)));
  };

  const createRefund = (form: Query): StripeRefund => {
    const charge = queryValue(form, 'charge');
    if (!charge)
      throw new StripeApiError(
        400,
        'invalid_request_error',
        'Missing required param: charge.',
        'parameter_missing',
        'charge',
      );
    if (!state.get('charges', charge))
      throw new StripeApiError(
        400,
        'invalid_request_error',
        `No such charge: '${charge}'`,
        'resource_missing',
        'charge',
      );
    return mutate(() => state.refundCharge(charge, { amount: formInt(form, 'amount', false) }));
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res).then((status) => {
      const url = new URL(req.url ?? '/', 'http://simulator');
      requests.push({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        status,
        stripeVersion: (req.headers['stripe-version'] as string | undefined) ?? null,
        at: Date.now(),
      });
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = opts.host ?? '127.0.0.1';

  return {
    url: `http://${host}:${addr.port}`,
    host,
    port: addr.port,
    state,
    requests,
    failNext(n, status, retryAfterS, o = {}) {
      // Skipped requests are queued as pass-through entries (status 0) ahead of the failures.
      for (let i = 0; i < (o.skip ?? 0); i++) failures.push({ status: 0, path: o.path });
      for (let i = 0; i < n; i++) failures.push({ status, retryAfterS, path: o.path });
    },
    clearFailures() {
      failures.length = 0;
    },
    forwardEventsTo(target) {
      const f = new StripeWebhookForwarder(state, target).start();
      forwarders.push(f);
      return f;
    },
    async stop() {
      for (const f of forwarders) f.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function matches(p: RegExp | string | undefined, path: string): boolean {
  if (p === undefined) return true;
  return typeof p === 'string' ? path.startsWith(p) : p.test(path);
}

function authenticate(req: IncomingMessage, keys: string[]): void {
  const header = req.headers.authorization ?? '';
  let presented: string | null = null;
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer) presented = bearer[1];
  const basic = /^Basic\s+(\S+)$/i.exec(header);
  if (basic) presented = Buffer.from(basic[1], 'base64').toString('utf8').split(':')[0];
  const www = { 'WWW-Authenticate': 'Bearer realm="Stripe"' };
  if (!presented) {
    throw new StripeApiError(
      401,
      'invalid_request_error',
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
      undefined,
      undefined,
      www,
    );
  }
  if (!keys.includes(presented)) {
    throw new StripeApiError(
      401,
      'invalid_request_error',
      `Invalid API Key provided: ${presented.slice(0, 8)}****${presented.slice(-4)}`,
      'api_key_invalid',
      undefined,
      www,
    );
  }
}

function eventTypeMatches(e: StripeEvent, q: Query): boolean {
  const type = queryValue(q, 'type');
  if (type !== undefined) {
    if (type.endsWith('.*') ? !e.type.startsWith(type.slice(0, -1)) : e.type !== type) return false;
  }
  const types = q.get('types');
  return !types || types.includes(e.type);
}

function injectedError(f: InjectedFailure): StripeApiError {
  if (f.status === 429) return rateLimited(f.retryAfterS);
  if (f.status === 401)
    return new StripeApiError(401, 'invalid_request_error', 'Expired API Key provided.', 'api_key_expired');
  if (f.status === 403)
    return new StripeApiError(
      403,
      'invalid_request_error',
      'The provided key does not have the required permissions for this endpoint.',
      'secret_key_required',
    );
  if (f.status >= 500) return new StripeApiError(f.status, 'api_error', 'An unknown error occurred');
  return new StripeApiError(f.status, 'invalid_request_error', 'Injected failure.');
}

function rateLimited(retryAfterS?: number): StripeApiError {
  return new StripeApiError(
    429,
    'invalid_request_error',
    'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
    'rate_limit',
    undefined,
    retryAfterS !== undefined ? { 'Retry-After': String(retryAfterS) } : {},
  );
}

function notFound(method: string, path: string): StripeApiError {
  return new StripeApiError(
    404,
    'invalid_request_error',
    `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
  );
}

function formInt(form: Query, key: string, required: boolean): number | undefined {
  const v = queryValue(form, key);
  if (v === undefined) {
    if (required)
      throw new StripeApiError(
        400,
        'invalid_request_error',
        `Missing required param: ${key}.`,
        'parameter_missing',
        key,
      );
    return undefined;
  }
  if (!/^\d+$/.test(v))
    throw new StripeApiError(400, 'invalid_request_error', `Invalid integer: ${v}`, 'parameter_invalid_integer', key);
  return Number(v);
}

/** State methods throw plain errors for impossible transitions; Stripe answers those with a 400. */
function mutate<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new StripeApiError(400, 'invalid_request_error', (err as Error).message);
  }
}

async function readForm(req: IncomingMessage): Promise<Query> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 1_000_000) throw new StripeApiError(413, 'invalid_request_error', 'Request body too large.');
    chunks.push(c as Buffer);
  }
  return parseQuery(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}
