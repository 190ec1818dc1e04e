import pg from 'pg';
import { createHash } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { logger } from '../common/app.logger.js';
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

/**
 * How many connections of the ORM pool session locks may pin at once. Each running sync pins one
 * for its whole run: enough for many calendars. The pool is this much larger than its query share
 * (createOrm), so long runs can never take the connections queries need.
 */
export const SESSION_LOCK_CONNECTIONS = 40;
/** How long a lock request waits for one of those connections before it fails (an error the caller reports). */
export const SESSION_LOCK_WAIT_MS = 15_000;

/** One connection checked out of the ORM's own pool, for statements that must share a session. */
export async function pooledSession(orm: MikroORM): Promise<pg.PoolClient> {
  const pool = await orm.em.getConnection().getNativeClient();
  return pool.connect();
}

export interface HeldLock {
  release(): Promise<void>;
}

/**
 * Session-level advisory locks, held for the whole duration of a unit of work (a sync run) and
 * released at its end, or by Postgres when the connection dies. Each held lock pins a connection of
 * the ORM pool; at most `maxHeld` at once (the pool's lock share), later requests wait their turn.
 * Also hosts LISTEN, on its own connection outside the pool: it stays open for the process's life.
 */
export class PgLocks {
  private held = 0;
  private readonly waiting: (() => void)[] = [];
  private listeners: pg.Client[] = [];

  constructor(
    private readonly orm: MikroORM,
    private readonly maxHeld = SESSION_LOCK_CONNECTIONS,
    private readonly waitMs = SESSION_LOCK_WAIT_MS,
  ) {}

  /** Returns null when another session holds the lock. */
  async tryAcquire(name: string): Promise<HeldLock | null> {
    await this.takeSlot();
    let client: pg.PoolClient;
    try {
      client = await pooledSession(this.orm);
    } catch (err) {
      this.freeSlot();
      throw err;
    }
    const key = lockKey(name);
    // A checked-out client has no pool listener: a connection Postgres cuts while the lock is held
    // would emit an unhandled 'error' and end the process. The lock is gone with the session, and
    // the holder is not told: its work goes on unguarded (the run lease and last-write-wins still
    // keep the data right; a second sync of the same entity may overlap this one).
    const onError = (err: Error) =>
      logger.warn('session lock connection lost; Postgres released the lock with it', { lock: name, err: err.message });
    client.on('error', onError);
    try {
      const res = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key]);
      if (!res.rows[0]?.ok) {
        client.off('error', onError);
        client.release();
        this.freeSlot();
        return null;
      }
    } catch (err) {
      client.off('error', onError);
      client.release(true);
      this.freeSlot();
      throw err;
    }
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        try {
          await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
          client.off('error', onError);
          client.release();
        } catch {
          // Destroying the connection ends its session, which releases the lock anyway.
          client.off('error', onError);
          client.release(true);
        } finally {
          this.freeSlot();
        }
      },
    };
  }

  /** LISTEN on a channel with its own connection; reconnects are the caller's polling fallback. */
  async listen(channel: string, onNotify: (payload: string) => void): Promise<void> {
    const client = new pg.Client({ connectionString: this.orm.config.get('clientUrl') });
    client.on('error', () => undefined);
    await client.connect();
    client.on('notification', (n) => {
      if (n.channel === channel) onNotify(n.payload ?? '');
    });
    await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    this.listeners.push(client);
  }

  /** Ends the LISTEN connections; the pool itself closes with the ORM. */
  async close(): Promise<void> {
    await Promise.all(this.listeners.map((c) => c.end().catch(() => undefined)));
    this.listeners = [];
  }

  /** Waits (at most waitMs) until fewer than maxHeld locks pin a connection. */
  private async takeSlot(): Promise<void> {
    if (this.held < this.maxHeld) {
      this.held++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(grant), 1);
        // Worded like pg's pool timeout, which callers already treat as "database unavailable".
        reject(
          new Error(
            `timeout exceeded when trying to connect: all ${this.maxHeld} session-lock connections stayed held for ${this.waitMs} ms`,
          ),
        );
      }, this.waitMs);
      this.waiting.push(grant);
    });
  }

  /** Hands the slot to the next waiter, if any, without letting a newcomer jump the queue. */
  private freeSlot(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.held--;
  }
}
