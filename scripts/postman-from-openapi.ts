/** Pure OpenAPI 3 → Postman v2.1 conversion, tuned for Buffalo's auth and idempotency headers. */
type Json = any;

const STRIPE_SIGN_SCRIPT = [
  '// Signs the raw body like Stripe does: Stripe-Signature: t=<unix>,v1=HMAC_SHA256(secret, "<t>.<body>")',
  'const t = Math.floor(Date.now() / 1000);',
  'const body = pm.request.body.raw;',
  "const sig = CryptoJS.HmacSHA256(t + '.' + body, pm.collectionVariables.get('stripeWebhookSecret')).toString(CryptoJS.enc.Hex);",
  "pm.request.headers.upsert({ key: 'Stripe-Signature', value: 't=' + t + ',v1=' + sig });",
];

const HUBSPOT_SIGN_SCRIPT = [
  '// HubSpot v3: base64(HMAC_SHA256(clientSecret, method + full URI + raw body + timestamp ms))',
  'const ts = String(Date.now());',
  'const uri = pm.variables.replaceIn(pm.request.url.toString());',
  "const sig = CryptoJS.HmacSHA256('POST' + uri + pm.request.body.raw + ts, pm.collectionVariables.get('hubspotClientSecret')).toString(CryptoJS.enc.Base64);",
  "pm.request.headers.upsert({ key: 'X-HubSpot-Signature-v3', value: sig });",
  "pm.request.headers.upsert({ key: 'X-HubSpot-Request-Timestamp', value: ts });",
];

const GCAL_HEADERS = [
  { key: 'X-Goog-Channel-Id', value: '{{gcalChannelId}}' },
  { key: 'X-Goog-Channel-Token', value: '{{gcalChannelToken}}' },
  { key: 'X-Goog-Resource-State', value: 'exists' },
  { key: 'X-Goog-Message-Number', value: '{{$randomInt}}' },
];

function exampleOf(schemaOrContent: Json): unknown {
  const c = schemaOrContent?.content?.['application/json'];
  return c?.example ?? c?.schema?.example ?? undefined;
}

export function toPostman(openapi: Json): Json {
  const folders = new Map<string, Json[]>();
  for (const [path, ops] of Object.entries<Json>(openapi.paths ?? {})) {
    for (const [method, op] of Object.entries<Json>(ops)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const security: string[] = (op.security ?? []).flatMap((s: Json) => Object.keys(s));
      const header: Json[] = [];
      if (security.includes('adminApiKey')) header.push({ key: 'X-Admin-Api-Key', value: '{{adminApiKey}}' });
      else if (security.includes('apiKey')) header.push({ key: 'X-Api-Key', value: '{{apiKey}}' });
      const params: Json[] = op.parameters ?? [];
      if (method === 'post' && params.some((p) => p.in === 'header' && /idempotency-key/i.test(p.name))) {
        header.push({ key: 'Idempotency-Key', value: '{{$guid}}' });
      }
      const query = params
        .filter((p) => p.in === 'query')
        .map((p) => ({
          key: p.name,
          value: String(p.example ?? p.schema?.example ?? p.schema?.default ?? ''),
          disabled: !p.required && (p.example ?? p.schema?.example) === undefined,
          description: p.description,
        }));
      const pathVars = params
        .filter((p) => p.in === 'path')
        .map((p) => ({ key: p.name, value: String(p.example ?? p.schema?.example ?? '') }));
      const pmPath = path
        .replace(/^\//, '')
        .split('/')
        .map((seg) => seg.replace(/^\{(.+)\}$/, ':$1'));
      const request: Json = {
        method: method.toUpperCase(),
        header,
        url: { raw: `{{baseUrl}}/${pmPath.join('/')}`, host: ['{{baseUrl}}'], path: pmPath, query, variable: pathVars },
        description: [op.summary, op.description].filter(Boolean).join('\n\n'),
      };
      const body = exampleOf(op.requestBody);
      if (method !== 'get') {
        request.header.push({ key: 'Content-Type', value: 'application/json' });
        request.body = {
          mode: 'raw',
          raw: JSON.stringify(body ?? {}, null, 2),
          options: { raw: { language: 'json' } },
        };
      }
      const item: Json = { name: op.summary ?? `${method.toUpperCase()} ${path}`, request };
      if (path === '/webhooks/stripe')
        item.event = [{ listen: 'prerequest', script: { type: 'text/javascript', exec: STRIPE_SIGN_SCRIPT } }];
      if (path === '/webhooks/hubspot')
        item.event = [{ listen: 'prerequest', script: { type: 'text/javascript', exec: HUBSPOT_SIGN_SCRIPT } }];
      if (path === '/webhooks/gcal') request.header.push(...GCAL_HEADERS);
      const tag = op.tags?.[0] ?? 'other';
      folders.set(tag, [...(folders.get(tag) ?? []), item]);
    }
  }
  return {
    info: {
      name: 'Buffalo',
      description: openapi.info?.description ?? '',
      schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
    },
    variable: [
      { key: 'baseUrl', value: 'http://127.0.0.1:3000' },
      { key: 'apiKey', value: 'set-me: the API_KEY printed by npm run demo' },
      { key: 'adminApiKey', value: 'set-me: the ADMIN_API_KEY printed by npm run demo' },
      { key: 'stripeWebhookSecret', value: 'set-me: the STRIPE_WEBHOOK_SECRET printed by npm run demo' },
      { key: 'hubspotClientSecret', value: 'set-me: the HUBSPOT_CLIENT_SECRET printed by npm run demo' },
      { key: 'gcalChannelId', value: 'set-me: a channelId returned by POST /admin/gcal/watch' },
      { key: 'gcalChannelToken', value: 'set-me: the channel token (stored in gcal_channels)' },
    ],
    item: [...folders.entries()].map(([name, item]) => ({ name, item })),
  };
}
