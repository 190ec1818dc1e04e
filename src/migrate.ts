import 'reflect-metadata';
import { createOrm, runMigrations } from './database/database.orm.js';
import { startEmbeddedPostgres, type EmbeddedHandle } from './database/database.embedded.js';
import { exitOnStartupFailure, loadConfigOrExit } from './app.process-entry.js';

/**
 * `npm run migrate`: applies pending migrations (under the same advisory lock as boot, so it is
 * safe next to running instances), prints what ran, and exits. Uses DATABASE_URL, or starts the
 * embedded server on DATA_DIR for the duration.
 */
async function main() {
  const config = loadConfigOrExit({ requireKeys: false });
  let embedded: EmbeddedHandle | null = null;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres(config.dataDir);
    url = embedded.url;
  }
  try {
    // Two query connections (the migrator) and one for the migration lock's session.
    const orm = await createOrm(url, 2, undefined, 1);
    try {
      const applied = await runMigrations(orm);
      const executed = await orm.migrator.getExecuted();
      const summary = {
        database: config.databaseUrl ? 'DATABASE_URL' : `embedded (${config.dataDir})`,
        applied,
        total: executed.length,
      };
      process.stdout.write(
        applied.length
          ? `Applied ${applied.length} migration(s): ${applied.join(', ')}\n`
          : `Database is up to date (${executed.length} migration(s) applied earlier).\n`,
      );
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    } finally {
      await orm.close(true);
    }
  } finally {
    await embedded?.stop();
  }
}

main()
  .then(() => process.exit(0))
  .catch(exitOnStartupFailure('migrate'));
