/**
 * Writes postman/openapi.json (the OpenAPI document the app serves at /docs/openapi.json) and
 * postman/buffalo.postman_collection.json (a Postman v2.1 collection generated from it, with the
 * tests of scripts/postman/postman.cases.ts) and postman/buffalo.postman_environment.json.
 * test/e2e/openapi-drift.e2e.test.ts renders both with renderApiDocs and fails when the committed
 * files differ, so they never drift from the code.
 * Run: npm run docs:export
 */
import 'reflect-metadata';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { INestApplication } from '@nestjs/common';
import { createApp } from '../src/app.bootstrap.js';
import { loadConfig } from '../src/config/app.config.js';
import { startEmbeddedPostgres } from '../src/database/database.embedded.js';
import { logger } from '../src/common/app.logger.js';
import { buildOpenApiDocument } from '../src/common/swagger.setup.js';
import { toPostman, toPostmanEnvironment } from './postman-from-openapi.js';

/** The committed files, keyed by their path in the repository, exactly as they are written. */
export function renderApiDocs(app: INestApplication): Record<string, string> {
  const openapi = buildOpenApiDocument(app);
  return {
    'postman/openapi.json': JSON.stringify(openapi, null, 2) + '\n',
    'postman/buffalo.postman_collection.json': JSON.stringify(toPostman(openapi), null, 2) + '\n',
    'postman/buffalo.postman_environment.json': JSON.stringify(toPostmanEnvironment(), null, 2) + '\n',
  };
}

async function main() {
  logger.setSilent(true);
  const dir = resolve('.data/docs-export-pg');
  rmSync(dir, { recursive: true, force: true });
  const pg = await startEmbeddedPostgres(dir);
  try {
    // No process.env: the document must not depend on who runs the export.
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: pg.url, WORKER: 'off', SCHEDULER: 'off' });
    const app = await createApp(config);
    try {
      const files = renderApiDocs(app);
      mkdirSync('postman', { recursive: true });
      for (const [path, text] of Object.entries(files)) writeFileSync(path, text);
      const routes = Object.keys(JSON.parse(files['postman/openapi.json']).paths).length;
      process.stdout.write(`wrote ${Object.keys(files).join(' and ')} (${routes} paths)\n`);
    } finally {
      await app.close();
    }
  } finally {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err) => {
    process.stderr.write(`docs export failed: ${err?.stack ?? err}\n`);
    process.exit(1);
  });
}
