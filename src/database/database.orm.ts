import { MikroORM } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import pg from 'pg';
import { migrationsList } from '../../migrations/index.js';
import { logger } from '../common/app.logger.js';
import { ENTITIES } from './database.entities.js';

/**
 * How long a query waits for a pooled connection (a new one connecting, or a busy pool's turn).
 * Without it a Postgres that accepts TCP but never answers (a frozen server, a full backlog) held
 * every request forever; with it they fail as "database unavailable" (503) and the vendor retries.
 */
export const DB_CONNECT_TIMEOUT_MS = 10_000;

/** bigint (int8) stays a string from the driver; we convert to BigInt where money is handled. */
export async function createOrm(clientUrl: string, poolMax = 20, connectTimeoutMs = DB_CONNECT_TIMEOUT_MS): Promise<MikroORM> {
  return MikroORM.init({
    clientUrl,
    entities: ENTITIES,
    extensions: [Migrator],
    pool: { min: 0, max: poolMax },
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
 * Applies pending migrations while holding a session advisory lock on a dedicated connection,
 * so N processes booting at once apply them exactly once.
 */
export async function runMigrations(orm: MikroORM, clientUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: clientUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const done = await orm.migrator.up();
    return done.map((m) => m.name);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
