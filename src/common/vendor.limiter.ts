import { createHash } from 'node:crypto';
import Bottleneck from 'bottleneck';
import { Redis } from 'ioredis';
import { logger } from './app.logger.js';

/** Redis connection options from a redis:// or rediss:// URL (ioredis takes an object here). */
export function redisClientOptions(redisUrl: string): Record<string, unknown> {
  const u = new URL(redisUrl);
  const db = u.pathname.replace(/^\//, '');
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    // Bottleneck waits for "ready"; a Redis that is down must not hold a vendor call forever.
    connectTimeout: 5_000,
  };
}

/**
 * A limiter id for one vendor account: the vendor's limits are per account, so two deployments
 * with different credentials on one Redis keep separate budgets. Only a short hash of the
 * credential is used.
 */
export function budgetId(vendor: string, credential: string, gate = 'api'): string {
  return `${vendor}:${gate}:${createHash('sha256').update(credential).digest('hex').slice(0, 12)}`;
}

/**
 * The Bottleneck of one vendor request budget. Without `redisUrl` it lives in this process, as
 * before. With it, Bottleneck's clustering keeps the budget (reservoir, running count, spacing) in
 * Redis under `buffalo:limiter:<id>`, so every process using the same id shares one budget: N
 * processes together stay within the vendor's limit instead of each spending all of it. The first
 * limiter to create the id sets its settings; later ones join them (clearDatastore: false).
 * Callers must `disconnect()` it on shutdown (it holds two Redis connections).
 */
export function vendorLimiter(id: string, options: Bottleneck.ConstructorOptions, redisUrl: string | null): Bottleneck {
  if (!redisUrl) return new Bottleneck(options);
  const limiter = new Bottleneck({
    ...options,
    id: `buffalo:limiter:${id}`,
    datastore: 'ioredis',
    clearDatastore: false,
    // Refills and waiting jobs are looked at on each heartbeat: Redis's default of 5 s let a
    // per-second reservoir sit empty for seconds (the in-process store beats every 250 ms).
    heartbeatInterval: 250,
    clientOptions: redisClientOptions(redisUrl),
    // Handed over explicitly: Bottleneck's own lookup is a CommonJS require.
    Redis,
  });
  limiter.on('error', (err: unknown) =>
    logger.warn('vendor limiter: Redis error', { limiter: id, err: (err as Error)?.message }),
  );
  return limiter;
}
