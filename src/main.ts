import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/config.js';
import { logger } from './common/logger.js';
import { createApp } from './bootstrap.js';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  logger.setLevel(config.logLevel);
  const app = await createApp(config);
  await app.listen(config.port, config.host);
  logger.info('buffalo listening', { url: `http://127.0.0.1:${config.port}`, docs: `http://127.0.0.1:${config.port}/docs`, worker: config.worker.enabled });
}

main().catch((err) => {
  logger.error('startup failed', { err: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
