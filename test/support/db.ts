import { inject } from 'vitest';
import pg from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import { randomBytes } from 'node:crypto';
import { Database } from '../../src/database/database.sql.js';
import { createOrm } from '../../src/database/database.orm.js';
import { PgLocks } from '../../src/database/database.locks.js';

const TEMPLATE_DB = 'buffalo_template';

export function withDb(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** A fresh, migrated database cloned from the template; isolated per call. */
export async function createTestDatabase(): Promise<string> {
  const adminUrl = inject('pgAdminUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}`);
        break;
      } catch (err) {
        // CREATE DATABASE … TEMPLATE fails while another session is connected to the template
        if (attempt > 50) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    await admin.end();
  }
  return withDb(adminUrl, name);
}

/** DB-backed tier: a Database + PgLocks (on the same ORM pool) on a fresh database, without the HTTP app. */
export async function openTestDb(): Promise<{
  url: string;
  orm: MikroORM;
  db: Database;
  locks: PgLocks;
  close(): Promise<void>;
}> {
  const url = await createTestDatabase();
  const orm = await createOrm(url, 10);
  const db = new Database(orm);
  const locks = new PgLocks(orm);
  return {
    url,
    orm,
    db,
    locks,
    async close() {
      await locks.close();
      await orm.close(true);
    },
  };
}
