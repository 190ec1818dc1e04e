/**
 * `npm run demo`: embedded Postgres + Stripe/HubSpot/Google Calendar simulators seeded with a
 * deterministic dataset + Buffalo (API, worker, scheduler). Runs a first sync of every vendor
 * through the official SDKs, fires signed webhooks, prints URLs, keys and curl commands, and keeps
 * serving until Ctrl-C. Honours the same environment as `npm start`, generating only what is unset.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { createApp } from '../src/app.bootstrap.js';
import { ConfigError, loadConfig } from '../src/config/app.config.js';
import { logger } from '../src/common/app.logger.js';
import { AlertsService } from '../src/alerts/alerts.service.js';
import { generateStripeDataset, startStripeSimulator } from './sandbox/stripe/index.js';
import { startGcalSimulator } from './sandbox/gcal/gcal-simulator.js';
import { startDemoHubSpot } from './demo-hubspot.js';
import { demoSecrets } from './demo.secrets.js';

const say = (line = '') => process.stdout.write(`${line}\n`);
const step = (msg: string, fields: Record<string, unknown> = {}) => logger.info(`demo: ${msg}`, fields);

const generated = new Set<string>();

function setDefault(env: NodeJS.ProcessEnv, name: string, make: () => string): string {
  if (!env[name] || env[name].trim() === '') {
    env[name] = make();
    generated.add(name);
  }
  return env[name];
}

/** Secrets are shown only when the demo generated them; yours stay yours. */
const shown = (name: string, value: string) =>
  generated.has(name) ? `${value}   (generated for this run)` : '(from your environment)';

async function api(
  base: string,
  path: string,
  init: { method?: string; key: string; admin?: boolean; body?: unknown },
): Promise<any> {
  const headers: Record<string, string> = { [init.admin ? 'x-admin-api-key' : 'x-api-key']: init.key };
  if (init.method === 'POST') {
    headers['content-type'] = 'application/json';
    headers['idempotency-key'] = randomUUID();
  }
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers,
    body: init.method === 'POST' ? JSON.stringify(init.body ?? {}) : undefined,
  });
  const body = await res.json().catch(() => null);
  if (res.status >= 400) throw new Error(`${init.method ?? 'GET'} ${path} → ${res.status} ${JSON.stringify(body)}`);
  return body;
}

async function waitFor<T>(what: string, fn: () => Promise<T | null>, timeoutMs = 300_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main() {
  const env = process.env;
  env.PORT = env.PORT ?? '3000';
  const secrets = demoSecrets(env);
  for (const name of secrets.generated) generated.add(name);
  const { apiKey, adminKey, stripeSecret, stripeKey, hubspotToken, hubspotSecret } = secrets;
  const base = `http://127.0.0.1:${env.PORT}`;
  // A short grace so the webhooks the demo drops show up as missed within seconds.
  const graceS = Number(setDefault(env, 'RECONCILE_GRACE_S', () => '5'));

  step('starting vendor simulators');
  const stripeDataset = generateStripeDataset({ seed: 42, charges: Number(env.DEMO_STRIPE_CHARGES ?? 3000) });
  const stripe = await startStripeSimulator({ apiKey: stripeKey, dataset: stripeDataset, seed: 42 });
  setDefault(env, 'STRIPE_API_BASE', () => stripe.url);
  const hubspot = await startDemoHubSpot(hubspotToken);
  setDefault(env, 'HUBSPOT_API_BASE', () => hubspot.url);
  setDefault(env, 'HUBSPOT_WEBHOOK_URL', () => `${base}/webhooks/hubspot`);
  const calendars = ['team@buffalo.example', 'sales@buffalo.example'];
  const gcal = await startGcalSimulator({ calendars, dataset: { seed: 42 } });
  setDefault(env, 'GCAL_SERVICE_ACCOUNT_JSON', () => gcal.serviceAccountJson);
  setDefault(env, 'GCAL_CALENDAR_IDS', () => calendars.join(','));
  setDefault(env, 'GCAL_API_BASE', () => gcal.url);
  setDefault(env, 'GCAL_WEBHOOK_URL', () => `${base}/webhooks/gcal`);
  step('simulators up', {
    stripe: stripe.url,
    charges: stripe.state.count('charges'),
    hubspot: hubspot.url,
    gcal: gcal.url,
  });

  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  logger.setLevel(config.logLevel);
  const app = await createApp(config);
  app.getHttpServer().on('close', () => {
    void stripe.stop();
    void hubspot.stop();
    void gcal.stop();
  });
  try {
    await app.listen(config.port, config.host);
  } catch (err) {
    process.stderr.write(
      `Cannot listen on port ${config.port} (${(err as Error).message}); set PORT to a free port.\n`,
    );
    await app.close();
    process.exit(1);
  }
  step('buffalo listening', { url: base });

  // First sync of every vendor, through the public API like an admin would.
  const runIds: string[] = [];
  for (const source of ['stripe', 'hubspot', 'gcal']) {
    const r = await api(base, `/trigger/${source}/full`, { method: 'POST', key: adminKey, admin: true });
    runIds.push(...(r.runIds ?? [r.runId]));
    step('sync triggered', { source, runIds: r.runIds ?? [r.runId] });
  }
  const runs = await waitFor('first sync', async () => {
    const all = await Promise.all(runIds.map((id) => api(base, `/runs/${id}`, { key: apiKey })));
    const pending = all.filter((r) => r.status === 'queued' || r.status === 'running');
    if (pending.length) {
      step('sync progress', { pending: pending.map((r) => `${r.source}/${r.entity}:${r.counts.recordsFetched}`) });
      await new Promise((r) => setTimeout(r, 750));
      return null;
    }
    return all;
  });
  for (const r of runs)
    step('sync finished', {
      source: r.source,
      entity: r.entity,
      status: r.status,
      fetched: r.counts.recordsFetched,
      error: r.error,
    });

  const drained = () =>
    waitFor('outbox drained', async () => {
      const s = await api(base, '/outbox/stats', { key: adminKey, admin: true });
      const open = Number(s.counts.queued) + Number(s.counts.running);
      if (open > 0) step('processing', { open, done: s.counts.done, dead: s.deadCount });
      return open === 0 ? s : null;
    });
  const stats = await drained();
  step('outbox drained', { done: stats.counts.done, ignored: stats.counts.ignored, dead: stats.deadCount });

  // Live traffic: signed webhooks from each simulator.
  const forwarder = stripe.forwardEventsTo({ url: `${base}/webhooks/stripe`, secret: stripeSecret });
  const fresh = stripe.state.createCharge({ amount: 12_345, currency: 'usd', description: 'Demo webhook charge' });
  stripe.state.refundCharge(fresh.id, { amount: 2_345 });
  await forwarder.flush();
  await hubspot.fireWebhooks(`${base}/webhooks/hubspot`, hubspotSecret);
  await api(base, '/admin/gcal/watch', { method: 'POST', key: adminKey, admin: true, body: {} }).catch((e) =>
    step('gcal watch failed', { err: String(e) }),
  );
  await gcal.flushNotifications();
  step('webhooks fired', { stripe: 2, hubspot: 'batch', gcal: 'push channels opened' });
  await new Promise((r) => setTimeout(r, 500));
  await drained();

  // Reconciliation: a pushed calendar change first (its push triggers a sync), then objects whose
  // webhooks the demo drops on purpose; the next poll of each vendor finds them.
  gcal.mutate.insert(calendars[0], {
    summary: 'Demo event announced by a push',
    start: { dateTime: new Date(Date.now() + 86_400_000).toISOString() },
    end: { dateTime: new Date(Date.now() + 86_400_000 + 1_800_000).toISOString() },
  });
  await gcal.flushNotifications();
  await new Promise((r) => setTimeout(r, 500));
  await drained();
  await waitFor('push-triggered calendar sync', async () => {
    const r = await api(base, '/runs?source=gcal&limit=10', { key: apiKey });
    const open = (r.runs as { status: string }[]).filter((run) => run.status === 'queued' || run.status === 'running');
    return open.length ? null : true;
  });
  await drained();
  const dropped: Record<string, string[]> = { stripe: [], hubspot: [], gcal: [] };
  forwarder.stop();
  for (const amount of [4_100, 4_200])
    dropped.stripe.push(
      `charge ${stripe.state.createCharge({ amount, currency: 'usd', description: 'Demo charge whose webhook is lost' }).id}`,
    );
  forwarder.start();
  dropped.hubspot.push(...hubspot.createWithoutWebhooks(2).map((id) => `deal ${id}`));
  const silent = gcal.state.insert(
    calendars[1],
    {
      summary: 'Demo event whose push is lost',
      start: { dateTime: new Date(Date.now() + 2 * 86_400_000).toISOString() },
      end: { dateTime: new Date(Date.now() + 2 * 86_400_000 + 1_800_000).toISOString() },
    },
    false,
  );
  dropped.gcal.push(`event ${calendars[1]}/${silent.id}`);
  step('webhooks dropped on purpose', dropped);
  const pollIds: string[] = [];
  for (const source of ['stripe', 'hubspot', 'gcal']) {
    const r = await api(base, `/trigger/${source}/incremental`, { method: 'POST', key: adminKey, admin: true });
    pollIds.push(...(r.runIds ?? [r.runId]));
  }
  await waitFor('polls', async () => {
    const all = await Promise.all(pollIds.map((id) => api(base, `/runs/${id}`, { key: apiKey })));
    return all.some((r) => r.status === 'queued' || r.status === 'running') ? null : all;
  });
  await drained();
  step('waiting out the reconciliation grace window', { graceS });
  await new Promise((r) => setTimeout(r, (graceS + 1) * 1000));
  // Evaluated now rather than at the scheduler's first tick, a minute away.
  await app.get(AlertsService).evaluate();
  const firing = await api(base, '/alerts?state=firing', { key: adminKey, admin: true });

  const summary = await api(base, '/metrics/revenue/summary?currency=USD', { key: apiKey });
  const stripeOnly = await api(base, '/metrics/revenue/summary?source=stripe&currency=USD', { key: apiKey });
  const money = (c: string) => `${(Number(c) / 100).toFixed(2)}`;
  say('');
  say('──────────────────────────────── Buffalo demo is running ────────────────────────────────');
  say(`API            ${base}`);
  say(`Swagger UI     ${base}/docs        OpenAPI: ${base}/docs/openapi.json`);
  say(`API_KEY        ${shown('API_KEY', apiKey)}`);
  say(`ADMIN_API_KEY  ${shown('ADMIN_API_KEY', adminKey)}`);
  say(`STRIPE_WEBHOOK_SECRET  ${shown('STRIPE_WEBHOOK_SECRET', stripeSecret)}`);
  say(`HUBSPOT_CLIENT_SECRET  ${shown('HUBSPOT_CLIENT_SECRET', hubspotSecret)}`);
  say(`Postman        import postman/buffalo.postman_collection.json and set baseUrl=${base} and the keys above`);
  say(`Simulators     stripe ${stripe.url} · hubspot ${hubspot.url} · gcal ${gcal.url}`);
  say(
    `Revenue (USD, all sources, ${summary.startDate}..${summary.endDate}): net ${money(summary.totalRevenueCents)} = gross ${money(summary.grossCents)} − refunds ${money(summary.refundsCents)}; currencies ${summary.currencies.join(', ')}`,
  );
  say(
    `Revenue (USD, stripe only): net ${money(stripeOnly.totalRevenueCents)} from ${stripeOnly.count} charges, ${stripeOnly.refundCount} refunds`,
  );
  const hubspotOnly = await api(base, '/metrics/revenue/summary?source=hubspot&currency=USD', { key: apiKey });
  const byPipeline = Object.entries(hubspot.wonDealsByPipeline())
    .map(([p, n]) => `${p} ${n}`)
    .join(' · ');
  say(
    `Revenue (USD, hubspot only): ${money(hubspotOnly.grossCents)} from ${hubspotOnly.count} won deals; won deals (all currencies) per pipeline: ${byPipeline}`,
  );
  // Explain a figure: every page of the trace of the Stripe USD figure, summed here, must give it back.
  type TraceRow = {
    kind: string;
    externalId: string;
    effect: 'gross' | 'refund';
    amountCents: string;
    events: { origin: string; type: string; won: boolean | null }[];
  };
  let net = 0n;
  let pages = 0;
  let traced: TraceRow[] = [];
  for (let cursor: string | null = ''; cursor !== null; pages++) {
    const page: { rows: TraceRow[]; nextCursor: string | null } = await api(
      base,
      `/metrics/revenue/trace?source=stripe&currency=USD&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      { key: apiKey },
    );
    for (const r of page.rows) net += r.effect === 'gross' ? BigInt(r.amountCents) : -BigInt(r.amountCents);
    traced = traced.concat(page.rows);
    cursor = page.nextCursor;
  }
  const agrees = net === BigInt(stripeOnly.totalRevenueCents);
  say(
    `Trace (stripe, USD): ${traced.length} ledger rows on ${pages} page(s) add up to net ${money(String(net))}; ` +
      `the summary says ${money(stripeOnly.totalRevenueCents)} ${agrees ? '✓' : '✗ MISMATCH'}`,
  );
  const busiest = traced.reduce<TraceRow | null>((a, r) => (!a || r.events.length > a.events.length ? r : a), null);
  if (busiest) {
    const sign = busiest.effect === 'gross' ? '+' : '−';
    const events = busiest.events.map((e) => `${e.origin} ${e.type}${e.won === false ? ' (lost LWW)' : ''}`);
    say(`  e.g. ${busiest.kind} ${busiest.externalId} ${sign}${money(busiest.amountCents)} ← ${events.join(', ')}`);
    say(`  curl -s -H 'X-Api-Key: ${apiKey}' '${base}/records/payments/stripe/${busiest.externalId}'`);
  }
  const today = new Date().toISOString().slice(0, 10);
  say('');
  say(
    `Reconciliation (objects created today, ${today} UTC; RECONCILE_GRACE_S=${graceS}; webhooks the demo dropped are marked ←):`,
  );
  for (const source of ['stripe', 'hubspot', 'gcal']) {
    const r = await api(base, `/reconciliation?source=${source}&startDate=${today}&endDate=${today}&limit=20`, {
      key: apiKey,
    });
    const t = r.totals;
    say(
      `  ${source.padEnd(8)} both ${t.both} · webhookOnly ${t.webhookOnly} · pollOnly ${t.pollOnly} · pending ${t.pending}` +
        ` · orphans open ${r.orphans.open}, linked ${r.orphans.linked}, given up ${r.orphans.givenUp}`,
    );
    for (const m of r.missedWebhooks) {
      const id = `${m.objectType} ${m.externalId}`;
      say(`           missed webhook: ${id}, polled ${m.firstPolledAt}${dropped[source].includes(id) ? '  ←' : ''}`);
    }
    if (r.nextCursor) say(`           … more: &cursor=${r.nextCursor}`);
  }
  say('  (Objects a first full sync found before webhooks were set up count as pollOnly too, on their own days.)');
  const open = (firing.alerts as { condition: string; details: { subject: string } }[]).map(
    (a) => `${a.condition} on ${a.details.subject}`,
  );
  const delivery = config.alerts.webhookUrl
    ? ''
    : '   (set ALERT_WEBHOOK_URL and ALERT_WEBHOOK_SECRET to have them POSTed)';
  say(`Alerts         ${open.length ? open.join(' · ') : 'none firing'}${delivery}`);
  say('');
  say('Try:');
  say(`  curl -s -H 'X-Api-Key: ${apiKey}' '${base}/metrics/revenue/summary?currency=USD'`);
  say(`  curl -s -H 'X-Api-Key: ${apiKey}' '${base}/metrics/revenue/weekly?currency=EUR&tz=Europe/Berlin'`);
  say(
    `  curl -s -H 'X-Api-Key: ${apiKey}' '${base}/metrics/revenue/daily?startDate=${summary.endDate}&endDate=${summary.endDate}&tz=America/New_York'`,
  );
  say(`  curl -s -H 'X-Api-Key: ${apiKey}' '${base}/metrics/revenue/trace?currency=USD&tz=Asia/Kathmandu&limit=5'`);
  say(`  curl -s -H 'X-Api-Key: ${apiKey}' '${base}/runs?limit=5'`);
  say(
    `  curl -s -X POST -H 'X-Admin-Api-Key: ${adminKey}' -H 'Idempotency-Key: demo-1' '${base}/trigger/stripe/incremental'`,
  );
  say(`  curl -s -H 'X-Admin-Api-Key: ${adminKey}' '${base}/outbox/stats'`);
  say(`  curl -s -H 'X-Api-Key: ${apiKey}' '${base}/reconciliation?source=stripe&startDate=${today}&endDate=${today}'`);
  say(
    `  curl -s -X POST -H 'X-Admin-Api-Key: ${adminKey}' -H 'Idempotency-Key: demo-sweep-1' '${base}/reconciliation/sweep'`,
  );
  say(`  curl -s -H 'X-Admin-Api-Key: ${adminKey}' '${base}/alerts?state=firing'`);
  say('');
  say('Press Ctrl-C to stop (Postgres is stopped cleanly).');
}

main().catch((err) => {
  logger.error('demo failed', { err: err instanceof Error ? err.message : String(err) });
  process.stderr.write(`demo failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
