import { MikroORM } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { migrationsList } from '../../migrations/index.js';
import { logger } from '../common/app.logger.js';
import { ENTITIES } from './database.entities.js';
import { pooledSession, SESSION_LOCK_CONNECTIONS } from './database.locks.js';

/**
 * How long a query waits for a pooled connection (a new one connecting, or a busy pool's turn).
 * Without it a Postgres that accepts TCP but never answers (a frozen server, a full backlog) held
 * every request forever; with it they fail as "database unavailable" (503) and the vendor retries.
 */
export const DB_CONNECT_TIMEOUT_MS = 10_000;

/**
 * The one pool of the process. `queryConnections` is what queries can always count on; session
 * locks (PgLocks) may pin up to `lockConnections` more for whole sync runs, so the pool holds both.
 * Connections open on demand and close when idle: the size is a ceiling, not a standing cost.
 * bigint (int8) stays a string from the driver; we convert to BigInt where money is handled.
 */
export async function createOrm(
  clientUrl: string,
  queryConnections = 20,
  connectTimeoutMs = DB_CONNECT_TIMEOUT_MS,
  lockConnections = SESSION_LOCK_CONNECTIONS,
): Promise<MikroORM> {
  return MikroORM.init({
    clientUrl,
    entities: ENTITIES,
    extensions: [Migrator],
    pool: { min: 0, max: queryConnections + lockConnections },
    driverOptions: { connectionTimeoutMillis: connectTimeoutMs },
    debug: false,
    logger: (message: string) => logger.debug('mikro-orm', { message }),
    allowGlobalContext: false,
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: 'migrations',
      migrationsList,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
  });
}

/** Constant key for the migration advisory lock ("buffalo:migrations"). */
const MIGRATION_LOCK_KEY = 7_342_001;

/**
 * Applies pending migrations while holding a session advisory lock on one pooled connection (the
 * migrator runs on another), so N processes booting at once apply them exactly once.
 */
export async function runMigrations(orm: MikroORM): Promise<string[]> {
  const client = await pooledSession(orm);
  let healthy = false;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const done = await orm.migrator.up();
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    healthy = true;
    return done.map((m) => m.name);
  } finally {
    // A session that may still hold the lock never goes back to the pool: destroying it frees the lock.
    client.release(!healthy);
  }
}
