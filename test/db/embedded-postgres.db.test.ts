import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/database/database.embedded.js';

async function ping(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const r = await c.query('SELECT 1 AS one');
  await c.end();
  return r.rows[0].one;
}

describe('embedded postgres', () => {
  it('starts on a data dir still held by a server a killed run left behind', async () => {
    const dir = resolve(`.data/test-stale-${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    const first = await startEmbeddedPostgres(dir);
    expect(await ping(first.url)).toBe(1);
    // Simulate a SIGKILLed parent: never call first.stop(); the server keeps running on the dir.
    const second = await startEmbeddedPostgres(dir);
    try {
      expect(await ping(second.url)).toBe(1);
      await expect(ping(first.url)).rejects.toThrow();
    } finally {
      await second.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
