import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { Database, isDbUnavailable } from '../../src/database/database.sql.js';
import { createOrm } from '../../src/database/database.orm.js';

/**
 * A Postgres that accepts TCP connections and then never answers (a frozen server): queries must
 * fail in bounded time with an error the app maps to 503 database_unavailable, never hang.
 */
describe('a Postgres that accepts connections but never answers', () => {
  const held: net.Socket[] = [];
  const server = net.createServer((s) => {
    held.push(s);
    s.on('error', () => undefined);
  });
  let url = '';

  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `postgres://buffalo:buffalo@127.0.0.1:${(server.address() as net.AddressInfo).port}/buffalo`;
  });
  afterAll(async () => {
    for (const s of held) s.destroy();
    await new Promise((r) => server.close(r));
  });

  it('a query fails within the connect timeout as "database unavailable"', async () => {
    const orm = await createOrm(url, 2, 400);
    try {
      const t0 = Date.now();
      const err = await new Database(orm).query('SELECT 1').then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).not.toBeNull();
      expect(isDbUnavailable(err)).toBe(true);
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      await orm.close(true).catch(() => undefined);
    }
  });
});
