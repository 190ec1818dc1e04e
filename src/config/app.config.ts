import { resolve } from 'node:path';

/**
 * The one typed configuration, read from the environment and validated once at boot.
 * A bad value throws ConfigError with one sentence naming the variable.
 */
export interface AppConfig {
  port: number;
  host: string;
  databaseUrl: string | null;
  /** REDIS_URL: vendor request budgets shared by every process (Bottleneck clustering); null = per process. */
  redisUrl: string | null;
  dataDir: string;
  apiKeys: string[];
  adminApiKeys: string[];
  reportingCurrency: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** METRICS_PORT: processes without the API (worker, job) serve GET /metrics here; null = they do not. */
  metricsPort: number | null;
  worker: {
    enabled: boolean;
    batchSize: number;
    pollMs: number;
    leaseMs: number;
    maxAttempts: number;
    concurrency: number;
  };
  scheduler: { enabled: boolean };
  limits: { jsonBodyBytes: number; webhookBodyBytes: number; ratePerS: number; rateBurst: number };
  retention: { doneDays: number };
  reconcile: {
    /** RECONCILE_GRACE_S: how long after a poll found an object its webhook may still come without counting as missed. */
    graceS: number;
  };
  /** How often the revenue verifier compares the rollups with the ledger (0 = never on a schedule). */
  revenueVerifyIntervalS: number;
  stripe: {
    apiKey: string | null;
    webhookSecret: string | null;
    apiBase: string | null;
    syncIntervalS: number;
    pageSize: number;
    overlapS: number;
    rateLimitPerS: number;
    maxRetries: number;
  };
  hubspot: {
    accessToken: string | null;
    clientSecret: string | null;
    apiBase: string | null;
    webhookUrl: string | null;
    syncIntervalS: number;
    pageSize: number;
    searchRateLimitPerS: number;
    rateLimitPerS: number;
    portalCurrency: string;
    maxRetries: number;
    /** Incremental syncs re-read this far behind the cursor: HubSpot's search index lags writes by seconds. */
    searchLookbackS: number;
    /** HUBSPOT_STAGE_MAP: deal stage id → classification, winning over the pipelines' metadata. */
    stageMap: Readonly<Record<string, HubspotStageClass>>;
    /** How often deal pipelines are re-read from HubSpot (0 = only on full syncs and unknown stages). */
    pipelinesRefreshS: number;
    /** HUBSPOT_DELETION_SWEEP_S: how often archived deals/contacts are listed to heal lost deletions (0 = off). */
    deletionSweepS: number;
  };
  gcal: {
    serviceAccountJson: string | null;
    calendarIds: string[];
    apiBase: string | null;
    webhookUrl: string | null;
    syncIntervalS: number;
    pageSize: number;
    rateLimitPerS: number;
    channelTtlS: number;
    maxRetries: number;
  };
  alerts: {
    /** ALERT_WEBHOOK_URL: where alert state changes are POSTed; null = alerts are only kept in Postgres. */
    webhookUrl: string | null;
    /** ALERT_WEBHOOK_SECRET: HMAC key of X-Buffalo-Signature (required with a URL). */
    webhookSecret: string | null;
    /** One delivery attempt gives up after this long (then backs off like any outbox row). */
    timeoutMs: number;
    /** How often conditions are evaluated (0 = never). */
    evaluateEveryS: number;
    /** dead_letters fires at this many dead outbox rows. */
    deadLettersMin: number;
    /** outbox_lag fires when the oldest claimable queued row has waited longer than this. */
    outboxLagS: number;
    /** orphan_given_up fires at this many given-up orphans. */
    orphansGivenUpMin: number;
    /** missed_webhooks fires for a source at this many objects only a poll saw. */
    missedWebhooksMin: number;
  };
}

export class ConfigError extends Error {}

export type HubspotStageClass = 'won' | 'lost' | 'open';
const STAGE_CLASSES: readonly string[] = ['won', 'lost', 'open'];

type Env = Record<string, string | undefined>;

function str(env: Env, name: string): string | null {
  const v = env[name];
  if (v === undefined) return null;
  const t = v.trim();
  return t === '' ? null : t;
}

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const v = str(env, name);
  if (v === null) return def;
  if (!/^-?\d+$/.test(v)) throw new ConfigError(`${name} must be an integer, got "${v}".`);
  const n = Number(v);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}.`);
  return n;
}

function bool(env: Env, name: string, def: boolean): boolean {
  const v = str(env, name);
  if (v === null) return def;
  if (/^(1|true|on|yes)$/i.test(v)) return true;
  if (/^(0|false|off|no)$/i.test(v)) return false;
  throw new ConfigError(`${name} must be on/off (true/false), got "${v}".`);
}

function keyList(env: Env, name: string): string[] {
  const v = str(env, name);
  if (v === null) return [];
  const keys = v
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  for (const k of keys) {
    if (k.length < 16) throw new ConfigError(`${name} keys must be at least 16 characters long.`);
  }
  return keys;
}

function url(env: Env, name: string): string | null {
  const v = str(env, name);
  if (v === null) return null;
  try {
    const u = new URL(v);
    if (!/^https?:$/.test(u.protocol)) throw new Error();
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL, got "${v}".`);
  }
  return v.replace(/\/+$/, '');
}

/**
 * A receiver URL that may carry its own token in the path (Slack-style incoming webhooks), so a bad
 * value is refused without echoing it, and a good one is kept exactly as given.
 */
function webhookUrl(env: Env, name: string): string | null {
  const v = str(env, name);
  if (v === null) return null;
  let u: URL | null = null;
  try {
    u = new URL(v);
  } catch {
    // refused below
  }
  if (!u || !/^https?:$/.test(u.protocol) || u.hostname === '' || /\s/.test(v))
    throw new ConfigError(
      `${name} must be an http(s) URL such as https://hooks.example.com/buffalo (the value is not shown, it may hold a token).`,
    );
  return v;
}

function secret(env: Env, name: string): string | null {
  const v = str(env, name);
  if (v !== null && v.length < 16) throw new ConfigError(`${name} must be at least 16 characters long.`);
  return v;
}

/** A service-account key file as one JSON string; the connector reads the rest (token_uri…). */
function serviceAccountJson(env: Env, name: string): string | null {
  const v = str(env, name);
  if (v === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch {
    throw new ConfigError(`${name} must be the service-account key file as a JSON string.`);
  }
  const o = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  if (o?.type !== 'service_account' || typeof o.client_email !== 'string' || typeof o.private_key !== 'string') {
    throw new ConfigError(
      `${name} must be a service-account key with "type": "service_account", client_email and private_key.`,
    );
  }
  return v;
}

function currency(env: Env, name: string, def: string): string {
  const v = (str(env, name) ?? def).toUpperCase();
  if (!/^[A-Z]{3}$/.test(v)) throw new ConfigError(`${name} must be an ISO 4217 currency code like USD, got "${v}".`);
  return v;
}

/**
 * A JSON object from deal stage id to "won", "lost" or "open" (case-insensitive). Refused with one
 * sentence naming the variable and the first offending entry, so a typo never silently hides or
 * invents revenue.
 */
function stageMap(env: Env, name: string): Record<string, HubspotStageClass> {
  const v = str(env, name);
  if (v === null) return {};
  const shape = `${name} must be a JSON object from deal stage id to "won", "lost" or "open", like {"1038553758":"won"}`;
  let o: unknown;
  try {
    o = JSON.parse(v);
  } catch {
    throw new ConfigError(`${shape}, but it is not valid JSON.`);
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o))
    throw new ConfigError(`${shape}, got ${Array.isArray(o) ? 'an array' : JSON.stringify(o)}.`);
  const out: Record<string, HubspotStageClass> = {};
  for (const [id, cls] of Object.entries(o as Record<string, unknown>)) {
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(id))
      throw new ConfigError(`${shape}, but ${JSON.stringify(id)} is not a stage id.`);
    const c = typeof cls === 'string' ? cls.trim().toLowerCase() : '';
    if (!STAGE_CLASSES.includes(c))
      throw new ConfigError(`${shape}, but stage "${id}" maps to ${JSON.stringify(cls)}.`);
    out[id] = c as HubspotStageClass;
  }
  return out;
}

export function loadConfig(env: Env = process.env): AppConfig {
  const databaseUrl = str(env, 'DATABASE_URL');
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// or postgresql:// URL.');
  }
  const redisUrl = str(env, 'REDIS_URL');
  if (redisUrl !== null && !/^rediss?:\/\/[^/?#]+(\/\d*)?$/.test(redisUrl)) {
    // The value may hold a password: it is not repeated.
    throw new ConfigError('REDIS_URL must be a redis:// or rediss:// URL like redis://localhost:6379/0.');
  }
  const logLevel = (str(env, 'LOG_LEVEL') ?? 'info') as AppConfig['logLevel'];
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of debug, info, warn, error, got "${logLevel}".`);
  }
  const workerMode = str(env, 'WORKER');
  const apiKeys = keyList(env, 'API_KEY');
  const adminApiKeys = keyList(env, 'ADMIN_API_KEY');
  if (env.NODE_ENV !== 'test' && env.BUFFALO_REQUIRE_KEYS !== 'off') {
    if (apiKeys.length === 0)
      throw new ConfigError('API_KEY must be set (comma-separated list of keys, 16+ characters each).');
    if (adminApiKeys.length === 0)
      throw new ConfigError('ADMIN_API_KEY must be set (comma-separated list of keys, 16+ characters each).');
  }
  const alertUrl = webhookUrl(env, 'ALERT_WEBHOOK_URL');
  const alertSecret = secret(env, 'ALERT_WEBHOOK_SECRET');
  if (alertUrl !== null && alertSecret === null)
    throw new ConfigError(
      'ALERT_WEBHOOK_SECRET must be set when ALERT_WEBHOOK_URL is, as it signs every alert delivery.',
    );
  const gcalIds = (str(env, 'GCAL_CALENDAR_IDS') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    port: int(env, 'PORT', 3000, 0, 65535),
    host: str(env, 'HOST') ?? '0.0.0.0',
    databaseUrl,
    redisUrl,
    dataDir: resolve(str(env, 'DATA_DIR') ?? '.data/pg'),
    apiKeys,
    adminApiKeys,
    reportingCurrency: currency(env, 'REPORTING_CURRENCY', 'USD'),
    logLevel,
    metricsPort: str(env, 'METRICS_PORT') === null ? null : int(env, 'METRICS_PORT', 0, 0, 65535),
    worker: {
      enabled: workerMode === null ? true : bool(env, 'WORKER', true),
      batchSize: int(env, 'WORKER_BATCH_SIZE', 1000, 1, 5000),
      pollMs: int(env, 'WORKER_POLL_MS', 500, 10, 60_000),
      leaseMs: int(env, 'WORKER_LEASE_MS', 60_000, 1000, 3_600_000),
      maxAttempts: int(env, 'WORKER_MAX_ATTEMPTS', 8, 1, 100),
      concurrency: int(env, 'WORKER_CONCURRENCY', 2, 1, 16),
    },
    scheduler: { enabled: bool(env, 'SCHEDULER', true) },
    limits: {
      jsonBodyBytes: int(env, 'MAX_JSON_BODY_BYTES', 100_000, 1024, 50_000_000),
      webhookBodyBytes: int(env, 'MAX_WEBHOOK_BODY_BYTES', 1_000_000, 1024, 50_000_000),
      ratePerS: int(env, 'RATE_LIMIT_PER_S', 100, 0, 100_000),
      rateBurst: int(env, 'RATE_LIMIT_BURST', 300, 1, 1_000_000),
    },
    retention: { doneDays: int(env, 'OUTBOX_RETENTION_DAYS', 7, 1, 3650) },
    reconcile: { graceS: int(env, 'RECONCILE_GRACE_S', 300, 0, 7 * 86_400) },
    revenueVerifyIntervalS: int(env, 'REVENUE_VERIFY_INTERVAL_S', 3600, 0, 604800),
    stripe: {
      apiKey: str(env, 'STRIPE_API_KEY'),
      webhookSecret: str(env, 'STRIPE_WEBHOOK_SECRET'),
      apiBase: url(env, 'STRIPE_API_BASE'),
      syncIntervalS: int(env, 'STRIPE_SYNC_INTERVAL_S', 300, 0, 86_400),
      pageSize: int(env, 'STRIPE_PAGE_SIZE', 100, 1, 100),
      overlapS: int(env, 'STRIPE_OVERLAP_S', 5, 0, 3600),
      rateLimitPerS: int(env, 'STRIPE_RATE_LIMIT_PER_S', 25, 1, 100),
      maxRetries: int(env, 'STRIPE_MAX_RETRIES', 3, 0, 10),
    },
    hubspot: {
      accessToken: str(env, 'HUBSPOT_ACCESS_TOKEN'),
      clientSecret: str(env, 'HUBSPOT_CLIENT_SECRET'),
      apiBase: url(env, 'HUBSPOT_API_BASE'),
      webhookUrl: url(env, 'HUBSPOT_WEBHOOK_URL'),
      syncIntervalS: int(env, 'HUBSPOT_SYNC_INTERVAL_S', 300, 0, 86_400),
      pageSize: int(env, 'HUBSPOT_PAGE_SIZE', 100, 1, 200),
      searchRateLimitPerS: int(env, 'HUBSPOT_SEARCH_RATE_LIMIT_PER_S', 4, 1, 50),
      rateLimitPerS: int(env, 'HUBSPOT_RATE_LIMIT_PER_S', 10, 1, 200),
      portalCurrency: currency(env, 'HUBSPOT_PORTAL_CURRENCY', 'USD'),
      maxRetries: int(env, 'HUBSPOT_MAX_RETRIES', 3, 0, 10),
      searchLookbackS: int(env, 'HUBSPOT_SEARCH_LOOKBACK_S', 60, 0, 86_400),
      stageMap: stageMap(env, 'HUBSPOT_STAGE_MAP'),
      pipelinesRefreshS: int(env, 'HUBSPOT_PIPELINES_REFRESH_S', 900, 0, 86_400),
      deletionSweepS: int(env, 'HUBSPOT_DELETION_SWEEP_S', 86_400, 0, 30 * 86_400),
    },
    gcal: {
      serviceAccountJson: serviceAccountJson(env, 'GCAL_SERVICE_ACCOUNT_JSON'),
      calendarIds: gcalIds,
      apiBase: url(env, 'GCAL_API_BASE'),
      webhookUrl: url(env, 'GCAL_WEBHOOK_URL'),
      syncIntervalS: int(env, 'GCAL_SYNC_INTERVAL_S', 300, 0, 86_400),
      pageSize: int(env, 'GCAL_PAGE_SIZE', 250, 1, 2500),
      rateLimitPerS: int(env, 'GCAL_RATE_LIMIT_PER_S', 10, 1, 100),
      channelTtlS: int(env, 'GCAL_CHANNEL_TTL_S', 604_800, 60, 2_592_000),
      maxRetries: int(env, 'GCAL_MAX_RETRIES', 3, 0, 10),
    },
    alerts: {
      webhookUrl: alertUrl,
      webhookSecret: alertSecret,
      timeoutMs: int(env, 'ALERT_WEBHOOK_TIMEOUT_MS', 5000, 100, 5000),
      evaluateEveryS: int(env, 'ALERT_EVALUATE_INTERVAL_S', 60, 0, 3600),
      deadLettersMin: int(env, 'ALERT_DEAD_LETTERS_MIN', 1, 1, 1_000_000_000),
      outboxLagS: int(env, 'ALERT_OUTBOX_LAG_S', 300, 1, 604_800),
      orphansGivenUpMin: int(env, 'ALERT_ORPHANS_GIVEN_UP_MIN', 1, 1, 1_000_000_000),
      missedWebhooksMin: int(env, 'ALERT_MISSED_WEBHOOKS_MIN', 1, 1, 1_000_000_000),
    },
  };
}

/** DI token for AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');
