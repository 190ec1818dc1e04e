import 'reflect-metadata';
import { logger } from './common/app.logger.js';
import { createApp } from './app.bootstrap.js';
import { exitOnStartupFailure, loadConfigOrExit } from './app.process-entry.js';
import { apiRoles } from './scheduling/process.roles.js';

/** `npm start`: the API, with the outbox worker and the sync scheduler unless switched off. */
async function main() {
  const config = loadConfigOrExit({ requireKeys: true });
  const app = await createApp(config);
  await app.listen(config.port, config.host);
  logger.info('buffalo listening', {
    url: `http://127.0.0.1:${config.port}`,
    docs: `http://127.0.0.1:${config.port}/docs`,
    roles: apiRoles(config),
  });
}

main().catch(exitOnStartupFailure('startup'));
