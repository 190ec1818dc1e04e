import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietPort } from '../support/ports.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { ConfigError, loadConfig } from '../../src/config/app.config.js';
import { StripeGateway } from '../../src/connectors/stripe/stripe.gateway.js';
import { vendorLimiter } from '../../src/common/vendor.limiter.js';

/**
 * Issue 9 item 5: with REDIS_URL, a vendor's request budget is shared by every process. Two Stripe
 * gateways stand for two processes (each its own Bottleneck and its own Redis connections) against
 * a real redis-server (Debian's; `.ci/run` installs it). Without redis-server the test is skipped
 * loudly, except in CI, where it fails.
 */
const hasRedis = spawnSync('redis-server', ['--version']).status === 0;
if (!hasRedis) {
  const msg =
    'redis-server is not installed: the shared vendor budget test cannot run (apt-get install -y redis-server)';
  if (process.env.CI === 'true') throw new Error(msg);
  console.warn(`\n!!! SKIPPED: ${msg}\n`);
}

const PER_S = 20;
const RUN_MS = 3_200;

describe.skipIf(!hasRedis)('shared vendor budgets through Redis (Bottleneck clustering)', () => {
  let redis: ChildProcess;
  let url = '';

  beforeAll(async () => {
    const port = await quietPort();
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      redis.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('Ready to accept connections')) resolve();
      });
      redis.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${out.slice(-500)}`)));
    });
    url = `redis://127.0.0.1:${port}/0`;
  });
  afterAll(async () => {
    if (redis && redis.exitCode === null) {
      const exited = new Promise((r) => redis.once('exit', r));
      redis.kill('SIGTERM');
      await exited;
    }
  });

  /** Calls as fast as each gateway lets them through, for RUN_MS; the start time of every call. */
  async function hammer(gateways: StripeGateway[]): Promise<number[][]> {
    const t0 = Date.now();
    return Promise.all(
      gateways.map(async (g) => {
        const starts: number[] = [];
        const lane = async () => {
          while (Date.now() - t0 < RUN_MS) {
            await g.call('budget test', async () => {
              starts.push(Date.now());
            });
          }
        };
        await Promise.all(Array.from({ length: 8 }, lane));
        return starts;
      }),
    );
  }

  const gateway = (redisUrl: string | null) =>
    new StripeGateway(
      loadConfig({
        NODE_ENV: 'test',
        STRIPE_API_KEY: `sk_test_budget_${redisUrl ? 'shared' : 'local'}_0123456789`,
        STRIPE_RATE_LIMIT_PER_S: String(PER_S),
        ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
      }),
    );

  /** Most calls started in any window of one second. */
  const busiestSecond = (starts: number[]) => {
    const s = [...starts].sort((a, b) => a - b);
    let best = 0;
    for (let i = 0, j = 0; i < s.length; i++) {
      while (s[i] - s[j] >= 1000) j++;
      best = Math.max(best, i - j + 1);
    }
    return best;
  };

  it('two processes on one account never exceed the budget together', async () => {
    const a = gateway(url);
    const b = gateway(url);
    try {
      const [sa, sb] = await hammer([a, b]);
      const all = [...sa, ...sb];
      // Both got calls through, and together they stayed within one budget: a reservoir of PER_S
      // refilled every second allows at most PER_S per refill (2 × PER_S across a refill boundary).
      expect(sa.length).toBeGreaterThan(0);
      expect(sb.length).toBeGreaterThan(0);
      expect(all.length).toBeLessThanOrEqual(PER_S * (Math.ceil(RUN_MS / 1000) + 1));
      expect(busiestSecond(all)).toBeLessThanOrEqual(2 * PER_S);
      // …and the shared budget is refilled and used (not starved between Redis heartbeats).
      expect(all.length).toBeGreaterThan(1.5 * PER_S);
    } finally {
      await Promise.all([a.onApplicationShutdown(), b.onApplicationShutdown()]);
    }
  });

  it('without REDIS_URL each process has its own budget (behaviour as before)', async () => {
    const a = gateway(null);
    const b = gateway(null);
    try {
      const [sa, sb] = await hammer([a, b]);
      // Each alone spends a whole budget: together well over one.
      expect(sa.length + sb.length).toBeGreaterThan(PER_S * (Math.ceil(RUN_MS / 1000) + 1));
    } finally {
      await Promise.all([a.onApplicationShutdown(), b.onApplicationShutdown()]);
    }
  });

  it('a limiter of another account on the same Redis keeps its own budget', async () => {
    const opts = { reservoir: 1, reservoirRefreshAmount: 1, reservoirRefreshInterval: 60_000 };
    const x = vendorLimiter('test:x', opts, url);
    const y = vendorLimiter('test:y', opts, url);
    try {
      await x.schedule(async () => undefined);
      // x's single token is spent for a minute; y still has its own.
      await expect(y.schedule(async () => 'ran')).resolves.toBe('ran');
    } finally {
      await Promise.all([x.disconnect(false), y.disconnect(false)]);
    }
  });
});

describe('REDIS_URL is validated at boot', () => {
  it('refuses anything but a redis:// or rediss:// URL, with one sentence that does not repeat the value', () => {
    for (const bad of ['localhost:6379', 'http://localhost:6379', 'redis://user:secret@host:6379/x']) {
      const err = (() => {
        try {
          loadConfig({ NODE_ENV: 'test', REDIS_URL: bad });
          return null;
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/^REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/);
      expect((err as Error).message).not.toContain('secret');
    }
    expect(loadConfig({ NODE_ENV: 'test', REDIS_URL: 'redis://:pw@127.0.0.1:6380/2' }).redisUrl).toBe(
      'redis://:pw@127.0.0.1:6380/2',
    );
    expect(loadConfig({ NODE_ENV: 'test' }).redisUrl).toBeNull();
  });
});
