/**
 * Writes postman/openapi.json (the live OpenAPI document) and postman/buffalo.postman_collection.json
 * (a Postman v2.1 collection generated from it), so the two never drift from the code.
 * Run: npm run docs:export
 */
import 'reflect-metadata';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createApp } from '../src/app.bootstrap.js';
import { loadConfig } from '../src/config/app.config.js';
import { startEmbeddedPostgres } from '../src/database/database.embedded.js';
import { logger } from '../src/common/app.logger.js';
import { toPostman } from './postman-from-openapi.js';

async function main() {
  logger.setSilent(true);
  const dir = resolve('.data/docs-export-pg');
  rmSync(dir, { recursive: true, force: true });
  const pg = await startEmbeddedPostgres(dir);
  try {
    const config = loadConfig({
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: pg.url,
      WORKER: 'off',
      SCHEDULER: 'off',
    });
    const app = await createApp(config);
    await app.listen(0, '127.0.0.1');
    const addr = app.getHttpServer().address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const openapi = (await (await fetch(`http://127.0.0.1:${port}/docs/openapi.json`)).json()) as any;
    mkdirSync('postman', { recursive: true });
    writeFileSync('postman/openapi.json', JSON.stringify(openapi, null, 2) + '\n');
    writeFileSync('postman/buffalo.postman_collection.json', JSON.stringify(toPostman(openapi), null, 2) + '\n');
    const routes = Object.keys(openapi.paths).length;
    process.stdout.write(`wrote postman/openapi.json and postman/buffalo.postman_collection.json (${routes} paths)\n`);
    await app.close();
  } finally {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`docs export failed: ${err?.stack ?? err}\n`);
  process.exit(1);
});
