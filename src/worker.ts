import 'reflect-metadata';
import { logger } from './common/app.logger.js';
import { createAppContext, exitOnStartupFailure, loadConfigOrExit } from './app.process-entry.js';
import { WORKER_ROLES } from './scheduling/process.roles.js';

/**
 * `npm run worker`: the worker role only (the outbox and sync-run claim loops and the worker's
 * periodic jobs), no HTTP and no scheduler, so workers scale out as more processes of the same
 * image. SIGTERM closes the app: the current batch finishes or its lease lets another worker take
 * it over, and running syncs stop between pages and go back to the queue.
 */
async function main() {
  const config = loadConfigOrExit({ requireKeys: false });
  await createAppContext(config, WORKER_ROLES, { signalExitCode: 0 });
  // Background timers are unref'd; this handle keeps the process up until a signal closes the app.
  setInterval(() => undefined, 1 << 30);
  logger.info('buffalo worker running', {
    batchSize: config.worker.batchSize,
    concurrency: config.worker.concurrency,
    pid: process.pid,
  });
}

main().catch(exitOnStartupFailure('worker startup'));
