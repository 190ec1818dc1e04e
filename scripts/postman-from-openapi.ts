/**
 * Pure OpenAPI 3 → Postman v2.1 conversion, tuned for Buffalo's auth and idempotency headers. The
 * requests and their pm.test scripts come from scripts/postman/postman.cases.ts (keyed by
 * operationId), the shared helpers from scripts/postman/postman.library.ts.
 */
import { libraryLines } from './postman/postman.library.js';
import { defaultTest, FOLDER_ORDER, POSTMAN_CASES, type PostmanCase } from './postman/postman.cases.js';

// OpenAPI and Postman documents are plain JSON walked by key: typing them buys nothing here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/**
 * The variables the scripts read (pm.variables.get, so the environment, --env-var or the
 * collection's own value, in that order). Placeholders only: never a usable key.
 */
export const POSTMAN_VARIABLES: ReadonlyArray<{ key: string; value: string; secret: boolean; description: string }> = [
  { key: 'baseUrl', value: 'http://127.0.0.1:3000', secret: false, description: 'Where Buffalo listens' },
  {
    key: 'apiKey',
    value: 'demo-read-key-set-me',
    secret: true,
    description: 'One of API_KEY (npm run demo prints it)',
  },
  {
    key: 'adminApiKey',
    value: 'demo-admin-key-set-me',
    secret: true,
    description: 'One of ADMIN_API_KEY (npm run demo prints it)',
  },
  {
    key: 'stripeWebhookSecret',
    value: 'whsec_demo_set_me',
    secret: true,
    description: 'STRIPE_WEBHOOK_SECRET (the first one when it lists two)',
  },
  {
    key: 'hubspotClientSecret',
    value: 'demo-hubspot-secret-set-me',
    secret: true,
    description: 'HUBSPOT_CLIENT_SECRET',
  },
  {
    key: 'hubspotWebhookUrl',
    value: '',
    secret: false,
    description:
      'HUBSPOT_WEBHOOK_URL when the server sets one other than {{baseUrl}}/webhooks/hubspot (it is the URL signed)',
  },
  {
    key: 'gcalChannelId',
    value: '',
    secret: false,
    description: 'An open push channel (POST /admin/gcal/watch); empty skips the live-channel notifications',
  },
  {
    key: 'gcalChannelToken',
    value: '',
    secret: true,
    description: "That channel's token (Google echoes it; npm run postman reads it from the simulator)",
  },
];

/** Fixed, so that the export is deterministic; Postman uses it to recognise a re-import. */
const ENVIRONMENT_ID = '6d1f3f2e-3b8e-4c55-9a51-b0ffa1000001';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function exampleOf(schemaOrContent: Json): unknown {
  const c = schemaOrContent?.content?.['application/json'];
  return c?.example ?? c?.schema?.example ?? undefined;
}

const lines = (script: string) => script.split('\n');
/** A request's script: the helpers bound to its own pm, then the case's code. */
const requestScript = (script: string) => ['const buffalo = buffaloFor(pm);', ...lines(script)];

/** The documented success status and its example. */
function success(op: Json): { status: number; example: unknown } {
  const code = Object.keys(op.responses ?? {}).find((c) => /^2\d\d$/.test(c)) ?? '200';
  return { status: Number(code), example: exampleOf(op.responses?.[code]) };
}

interface Operation {
  path: string;
  method: string;
  op: Json;
}

function buildItem(o: Operation, c: PostmanCase | null, first: boolean): Json {
  const { path, method, op } = o;
  const security: string[] = (op.security ?? []).flatMap((s: Json) => Object.keys(s));
  let header: Json[] = [];
  if (security.includes('adminApiKey')) header.push({ key: 'X-Admin-Api-Key', value: '{{adminApiKey}}' });
  else if (security.includes('apiKey')) header.push({ key: 'X-Api-Key', value: '{{apiKey}}' });
  const params: Json[] = op.parameters ?? [];
  if (method === 'post' && params.some((p) => p.in === 'header' && /idempotency-key/i.test(p.name))) {
    header.push({ key: 'Idempotency-Key', value: '{{$guid}}' });
  }
  if (method !== 'get') header.push({ key: 'Content-Type', value: 'application/json' });
  for (const [key, value] of Object.entries(c?.headers ?? {})) {
    header = header.filter((h) => h.key.toLowerCase() !== key.toLowerCase());
    if (value !== null) header.push({ key, value });
  }

  const documented = params
    .filter((p) => p.in === 'query')
    .map((p) => ({
      key: p.name as string,
      value: String(p.example ?? p.schema?.example ?? p.schema?.default ?? ''),
      disabled: !p.required && (p.example ?? p.schema?.example) === undefined,
      description: p.description as string | undefined,
    }));
  const query = c?.query
    ? [
        ...Object.entries(c.query).map(([key, value]) => ({
          key,
          value,
          disabled: false,
          description: documented.find((d) => d.key === key)?.description,
        })),
        ...documented.filter((d) => !(d.key in c.query!)).map((d) => ({ ...d, disabled: true })),
      ]
    : documented;
  const variable = c?.urlPath
    ? []
    : params
        .filter((p) => p.in === 'path')
        .map((p) => ({ key: p.name, value: c?.path?.[p.name] ?? String(p.example ?? p.schema?.example ?? '') }));
  const pmPath = (c?.urlPath ?? path)
    .replace(/^\//, '')
    .split('/')
    .map((seg) => seg.replace(/^\{(.+)\}$/, ':$1'));
  const search = query
    .filter((q) => !q.disabled)
    .map((q) => `${q.key}=${q.value}`)
    .join('&');
  const request: Json = {
    method: method.toUpperCase(),
    header,
    url: {
      raw: `{{baseUrl}}/${pmPath.join('/')}${search ? `?${search}` : ''}`,
      host: ['{{baseUrl}}'],
      path: pmPath,
      query,
      variable,
    },
    description: first ? [op.summary, op.description].filter(Boolean).join('\n\n') : (op.summary ?? ''),
  };
  if (method !== 'get') {
    request.body = {
      mode: 'raw',
      raw: c?.body ?? JSON.stringify(exampleOf(op.requestBody) ?? {}, null, 2),
      options: { raw: { language: 'json' } },
    };
  }
  const { status, example } = success(op);
  const event: Json[] = [];
  if (c?.prerequest)
    event.push({ listen: 'prerequest', script: { type: 'text/javascript', exec: requestScript(c.prerequest) } });
  event.push({
    listen: 'test',
    script: { type: 'text/javascript', exec: requestScript(c?.test ?? defaultTest(status, example)) },
  });
  return { name: c?.name ?? op.summary ?? `${method.toUpperCase()} ${path}`, event, request };
}

export function toPostman(openapi: Json, cases: Record<string, PostmanCase[]> = POSTMAN_CASES): Json {
  const operations = new Map<string, Operation>();
  const unnamed: Operation[] = [];
  for (const [path, ops] of Object.entries<Json>(openapi.paths ?? {})) {
    for (const [method, op] of Object.entries<Json>(ops)) {
      if (!METHODS.includes(method)) continue;
      if (op.operationId) operations.set(op.operationId, { path, method, op });
      else unnamed.push({ path, method, op });
    }
  }
  const unknown = Object.keys(cases).filter((id) => !operations.has(id));
  if (unknown.length)
    throw new Error(`scripts/postman/postman.cases.ts names operations the API does not have: ${unknown.join(', ')}`);

  // Operations with cases first, in the order they are written (the run order matters: a trigger
  // saves the runId its run reads), then the others in path order.
  const ordered = [
    ...Object.keys(cases).map((id) => operations.get(id)!),
    ...[...operations.entries()].filter(([id]) => !(id in cases)).map(([, o]) => o),
    ...unnamed,
  ];
  const folders = new Map<string, Json[]>();
  for (const o of ordered) {
    const list = cases[o.op.operationId] ?? [null];
    const items = list.map((c, i) => buildItem(o, c, i === 0));
    const tag = o.op.tags?.[0] ?? 'other';
    folders.set(tag, [...(folders.get(tag) ?? []), ...items]);
  }
  const rank = (tag: string) => (FOLDER_ORDER.includes(tag) ? FOLDER_ORDER.indexOf(tag) : FOLDER_ORDER.length);
  const tags = [...folders.keys()].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const library = lines(libraryLines().join('\n'));
  return {
    info: {
      name: 'Buffalo',
      description:
        (openapi.info?.description ?? '') +
        '\n\nEvery request carries pm.test assertions (status, the contract shape, invariants such as buckets adding up ' +
        'to the totals). Variables are read with pm.variables, so an environment (postman/buffalo.postman_environment.json) ' +
        'or `newman --env-var` sets them. Run it in order: requests save values (runId, event ids) that later ones use. ' +
        '`npm run postman` runs it with newman against a fresh demo-like server.',
      schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
    },
    event: [
      { listen: 'prerequest', script: { type: 'text/javascript', exec: library } },
      { listen: 'test', script: { type: 'text/javascript', exec: library } },
    ],
    variable: POSTMAN_VARIABLES.map(({ key, value, description }) => ({ key, value, description })),
    item: tags.map((name) => ({ name, item: folders.get(name) })),
  };
}

/** postman/buffalo.postman_environment.json: the same variables, with placeholders. */
export function toPostmanEnvironment(): Json {
  return {
    id: ENVIRONMENT_ID,
    name: 'Buffalo (npm run demo)',
    values: POSTMAN_VARIABLES.map(({ key, value, secret }) => ({
      key,
      value,
      type: secret ? 'secret' : 'default',
      enabled: true,
    })),
    _postman_variable_scope: 'environment',
  };
}
