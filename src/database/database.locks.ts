import pg from 'pg';
import { createHash } from 'node:crypto';
import type { Sql } from './database.sql.js';

/** 64-bit advisory lock key from a name, stable across processes. */
export function lockKey(name: string): string {
  return createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
}

/**
 * Transaction-level advisory lock on the caller's transaction: held until it commits or rolls
 * back, so work that fits in one transaction needs no dedicated connection. False when held elsewhere.
 */
export async function tryXactLock(sql: Sql, name: string): Promise<boolean> {
  const [row] = await sql.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1::bigint) AS ok', [lockKey(name)]);
  return row?.ok === true;
}

export interface HeldLock {
  release(): Promise<void>;
}

/**
 * Session-level advisory locks on dedicated connections, held for the whole duration of a
 * unit of work (a sync run) and released at its end, or by Postgres when the connection dies.
 * Also hosts LISTEN connections. Separate from the ORM pool so a long run never starves queries.
 */
export class PgLocks {
  private readonly pool: pg.Pool;
  private listeners: pg.Client[] = [];

  // Each running sync holds one connection for its whole run: size for many calendars, and time
  // out (an error the caller reports) rather than queue forever behind long runs.
  constructor(private readonly url: string, max = 40) {
    this.pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 10_000, connectionTimeoutMillis: 15_000 });
    this.pool.on('error', () => undefined);
  }

  /** Returns null when another session holds the lock. */
  async tryAcquire(name: string): Promise<HeldLock | null> {
    const client = await this.pool.connect();
    const key = lockKey(name);
    try {
      const res = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key]);
      if (!res.rows[0]?.ok) {
        client.release();
        return null;
      }
    } catch (err) {
      client.release(true);
      throw err;
    }
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        try {
          await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
          client.release();
        } catch {
          client.release(true);
        }
      },
    };
  }

  /** LISTEN on a channel with its own connection; reconnects are the caller's polling fallback. */
  async listen(channel: string, onNotify: (payload: string) => void): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('error', () => undefined);
    await client.connect();
    client.on('notification', (n) => {
      if (n.channel === channel) onNotify(n.payload ?? '');
    });
    await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    this.listeners.push(client);
  }

  async close(): Promise<void> {
    await Promise.all(this.listeners.map((c) => c.end().catch(() => undefined)));
    this.listeners = [];
    await this.pool.end().catch(() => undefined);
  }
}
