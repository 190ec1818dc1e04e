/**
 * `npm run postman`: runs postman/buffalo.postman_collection.json with newman against a freshly
 * started demo-like Buffalo (embedded Postgres in a temporary DATA_DIR, the Stripe, HubSpot and
 * Google Calendar simulators of scripts/sandbox, API + worker + scheduler in this process), after a
 * first full sync like `npm run demo` does. The environment file supplies the variables and every
 * secret is passed with --env-var, as a user would against their own server. Exits non-zero when
 * an assertion fails, a request errors, or a request ran without any assertion.
 *
 * Keys come from API_KEY, ADMIN_API_KEY, STRIPE_WEBHOOK_SECRET, HUBSPOT_CLIENT_SECRET when set.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { createApp } from '../../src/app.bootstrap.js';
import { loadConfig } from '../../src/config/app.config.js';
import { logger } from '../../src/common/app.logger.js';
import { freePort } from '../../src/database/database.embedded.js';
import { generateStripeDataset, startStripeSimulator } from '../sandbox/stripe/index.js';
import { startGcalSimulator } from '../sandbox/gcal/gcal-simulator.js';
import { startDemoHubSpot } from '../demo-hubspot.js';
import { demoSecrets } from '../demo.secrets.js';

const COLLECTION = resolve('postman/buffalo.postman_collection.json');
const ENVIRONMENT = resolve('postman/buffalo.postman_environment.json');

const say = (line = '') => process.stdout.write(`${line}\n`);

/** The part of newman's API used here (newman ships no types). */
interface NewmanAssertion {
  assertion: string;
  skipped?: boolean;
  error?: { message: string };
}
interface NewmanExecution {
  item: { id: string; name: string };
  request?: { method: string; url: { toString(): string } };
  response?: { code: number };
  requestError?: { message: string };
  assertions?: NewmanAssertion[];
}
interface NewmanSummary {
  run: {
    stats: Record<'requests' | 'assertions' | 'testScripts' | 'prerequestScripts', { total: number; failed: number }>;
    executions: NewmanExecution[];
    failures: Array<{ error: { name: string; message: string; test?: string }; source?: { name?: string } }>;
    error?: unknown;
  };
}
interface Newman {
  run(
    options: Record<string, unknown>,
    done: (err: Error | null, summary: NewmanSummary) => void,
  ): { on(event: string, fn: (...args: unknown[]) => void): void };
}
const newman = createRequire(import.meta.url)('newman') as Newman;

async function api(base: string, path: string, key: string, init: { method?: string; body?: unknown } = {}) {
  const admin = key.startsWith('admin:');
  const headers: Record<string, string> = { [admin ? 'x-admin-api-key' : 'x-api-key']: key.replace(/^admin:/, '') };
  if (init.method === 'POST') {
    headers['content-type'] = 'application/json';
    headers['idempotency-key'] = randomUUID();
  }
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers,
    body: init.method === 'POST' ? JSON.stringify(init.body ?? {}) : undefined,
  });
  // Bodies of documented shapes, read by the few fields the setup needs.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const body = (await res.json().catch(() => null)) as any;
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

function runNewman(envVar: Array<{ key: string; value: string }>): Promise<NewmanSummary> {
  return new Promise((resolvePromise, reject) => {
    newman.run(
      {
        collection: COLLECTION,
        environment: ENVIRONMENT,
        envVar,
        reporters: ['cli'],
        reporter: { cli: { noSummary: false } },
        // A sync run or a worker batch may hold the event loop briefly; requests are local.
        timeoutRequest: 30_000,
        timeoutScript: 30_000,
      },
      (err, summary) => (err ? reject(err) : resolvePromise(summary)),
    );
  });
}

async function main(): Promise<number> {
  const env = process.env;
  mkdirSync('.data', { recursive: true });
  // Inside the checkout: as root, Postgres runs as user `postgres`, who cannot traverse /root or /tmp dirs of others.
  const dataDir = mkdtempSync(join(resolve('.data'), 'newman-pg-'));
  // Also when setup fails before the app (and its Postgres) ever ran.
  process.once('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const { apiKey, adminKey, stripeSecret, stripeKey, hubspotToken, hubspotSecret } = demoSecrets(env);

  const stripe = await startStripeSimulator({
    apiKey: stripeKey,
    dataset: generateStripeDataset({ seed: 42, charges: Number(env.POSTMAN_STRIPE_CHARGES ?? 600) }),
    seed: 42,
  });
  const hubspot = await startDemoHubSpot(hubspotToken);
  const calendars = ['team@buffalo.example', 'sales@buffalo.example'];
  const gcal = await startGcalSimulator({ calendars, dataset: { seed: 42 } });
  const config = loadConfig({
    ...env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    // The dataset's dead letters log warnings; newman's report is what this run is for.
    LOG_LEVEL: env.LOG_LEVEL ?? 'error',
    STRIPE_API_BASE: stripe.url,
    HUBSPOT_API_BASE: hubspot.url,
    HUBSPOT_WEBHOOK_URL: `${base}/webhooks/hubspot`,
    GCAL_SERVICE_ACCOUNT_JSON: gcal.serviceAccountJson,
    GCAL_CALENDAR_IDS: calendars.join(','),
    GCAL_API_BASE: gcal.url,
    GCAL_WEBHOOK_URL: `${base}/webhooks/gcal`,
  });
  logger.setLevel(config.logLevel);

  const app = await createApp(config);
  // This script owns shutdown (createApp hooked Nest's, which would end the process mid-cleanup):
  // a signal ends the run or --serve, then `finally` closes the app and Postgres and removes the data.
  const stopped = new Promise<'stopped'>((r) => {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.removeAllListeners(sig);
      process.once(sig, () => r('stopped'));
    }
  });
  try {
    await app.listen(port, '127.0.0.1');
    say(`postman: buffalo on ${base} (data ${dataDir}); first sync of stripe, hubspot and gcal…`);
    const admin = `admin:${adminKey}`;
    const runIds: string[] = [];
    for (const source of ['stripe', 'hubspot', 'gcal']) {
      const r = await api(base, `/trigger/${source}/full`, admin, { method: 'POST' });
      runIds.push(...(r.runIds as string[]));
    }
    await waitFor('the first sync', async () => {
      const runs = await Promise.all(runIds.map((id) => api(base, `/runs/${id}`, apiKey)));
      return runs.every((r) => r.status !== 'queued' && r.status !== 'running') ? runs : null;
    });
    const drained = () =>
      waitFor('the outbox to drain', async () => {
        const s = await api(base, '/outbox/stats', admin);
        return s.counts.queued + s.counts.running === 0 ? s : null;
      });
    await drained();
    // A live push channel whose token (known only to Google, here the simulator) signs the
    // collection's Google Calendar notifications.
    const watched = await api(base, '/admin/gcal/watch', admin, {
      method: 'POST',
      body: { calendarId: calendars[0] },
    });
    const channelId = watched.channels[0].channelId as string;
    const channelToken = gcal.channel(channelId)?.token;
    if (!channelToken) throw new Error(`the gcal simulator has no token for channel ${channelId}`);
    await gcal.flushNotifications();
    const stats = await drained();
    say(
      `postman: first sync done (outbox: ${stats.counts.done} done, ${stats.counts.ignored} ignored, ${stats.deadCount} dead); running newman`,
    );

    const envVar = [
      { key: 'baseUrl', value: base },
      { key: 'apiKey', value: apiKey },
      { key: 'adminApiKey', value: adminKey },
      { key: 'stripeWebhookSecret', value: stripeSecret.split(',')[0].trim() },
      { key: 'hubspotClientSecret', value: hubspotSecret },
      { key: 'hubspotWebhookUrl', value: config.hubspot.webhookUrl ?? '' },
      { key: 'gcalChannelId', value: channelId },
      { key: 'gcalChannelToken', value: channelToken },
    ];
    if (process.argv.includes('--serve')) {
      // For working on the collection: the same server, kept up; run newman yourself with these.
      say('postman: serving until Ctrl-C; run:');
      say(
        `  npx newman run ${COLLECTION} -e ${ENVIRONMENT} ` +
          envVar.map((v) => `--env-var '${v.key}=${v.value}'`).join(' '),
      );
      await stopped;
      return 0;
    }
    const summary = await Promise.race([runNewman(envVar), stopped]);
    return summary === 'stopped' ? 130 : verdict(summary);
  } finally {
    await app.close();
    await Promise.allSettled([stripe.stop(), hubspot.stop(), gcal.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The run passes only if no request errored, no assertion failed and every request asserted something. */
function verdict(summary: NewmanSummary): number {
  const { stats, executions, failures } = summary.run;
  // pm.sendRequest calls (polling) show up as executions of their item: count items, not executions.
  const items = new Map<string, { name: string; answered: boolean; asserted: boolean }>();
  for (const e of executions) {
    const it = items.get(e.item.id) ?? { name: e.item.name, answered: false, asserted: false };
    it.answered ||= e.response !== undefined;
    it.asserted ||= (e.assertions ?? []).some((a) => !a.skipped);
    items.set(e.item.id, it);
  }
  const asserted = [...items.values()].filter((i) => i.asserted);
  const silent = [...items.values()].filter((i) => i.answered && !i.asserted);
  const errored = executions.filter((e) => e.requestError);
  say('');
  say(
    `postman: ${items.size} requests, ${stats.assertions.total} assertions, ${stats.assertions.failed} failed ` +
      `(${asserted.length} requests asserted; ${stats.testScripts.failed} test and ${stats.prerequestScripts.failed} pre-request scripts errored)`,
  );
  for (const i of silent) say(`postman: request without any assertion: ${i.name}`);
  for (const e of errored) say(`postman: request failed: ${e.item.name}: ${e.requestError?.message}`);
  const ok =
    failures.length === 0 &&
    stats.assertions.failed === 0 &&
    stats.testScripts.failed === 0 &&
    stats.prerequestScripts.failed === 0 &&
    errored.length === 0 &&
    silent.length === 0 &&
    stats.assertions.total > 0;
  say(ok ? 'postman: all assertions passed' : `postman: FAILED (${failures.length} failures)`);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`postman run failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
