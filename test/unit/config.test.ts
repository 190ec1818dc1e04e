import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/app.config.js';

const base = { API_KEY: 'read-key-0123456789ab', ADMIN_API_KEY: 'admin-key-0123456789ab' };

describe('config', () => {
  it('has documented defaults', () => {
    const c = loadConfig(base);
    expect(c.port).toBe(3000);
    expect(c.reportingCurrency).toBe('USD');
    expect(c.databaseUrl).toBeNull();
    expect(c.dataDir).toMatch(/\.data\/pg$/);
    expect(c.worker.enabled).toBe(true);
  });

  it('accepts comma-separated key lists for rotation', () => {
    const c = loadConfig({ ...base, API_KEY: 'old-key-0123456789abc, new-key-0123456789abc' });
    expect(c.apiKeys).toEqual(['old-key-0123456789abc', 'new-key-0123456789abc']);
  });

  it.each([
    [{ PORT: 'abc' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
    [{ REPORTING_CURRENCY: 'dollars' }, /REPORTING_CURRENCY/],
    [{ STRIPE_API_BASE: 'not a url' }, /STRIPE_API_BASE/],
    [{ WORKER: 'maybe' }, /WORKER/],
    [{ API_KEY: 'short' }, /API_KEY/],
    [{ ADMIN_API_KEY: '' }, /ADMIN_API_KEY/],
    [{ WORKER_BATCH_SIZE: '0' }, /WORKER_BATCH_SIZE/],
  ])('refuses %o with one sentence naming the variable', (override, name) => {
    let err: unknown;
    try {
      loadConfig({ ...base, ...override });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(name);
    expect((err as Error).message.split('. ').length).toBeLessThanOrEqual(2);
  });

  it('lower-case currency is normalised', () => {
    expect(loadConfig({ ...base, REPORTING_CURRENCY: 'eur' }).reportingCurrency).toBe('EUR');
  });
});
