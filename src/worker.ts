import 'reflect-metadata';
import { logger } from './common/app.logger.js';
import { createAppContext, exitOnStartupFailure, loadConfigOrExit, withRole } from './app.process-entry.js';

/**
 * `npm run worker`: only the outbox worker, no HTTP and no scheduler, so workers scale out as
 * more processes of the same image. SIGTERM closes the app: the current batch finishes or its
 * lease lets another worker take it over.
 */
async function main() {
  const config = withRole(loadConfigOrExit({ requireKeys: false }), { worker: true, scheduler: false });
  await createAppContext(config, { http: false }, { signalExitCode: 0 });
  // The worker's own timers may be unref'd; this handle keeps the process up until a signal closes the app.
  setInterval(() => undefined, 1 << 30);
  logger.info('buffalo worker running', { batchSize: config.worker.batchSize, concurrency: config.worker.concurrency, pid: process.pid });
}

main().catch(exitOnStartupFailure('worker startup'));
