import 'reflect-metadata';
import { JOB_USAGE, parseJobArgs, runJobInContext } from './runs/job.cli.js';
import { createAppContext, exitOnStartupFailure, loadConfigOrExit } from './app.process-entry.js';
import { JOB_ROLES } from './scheduling/process.roles.js';

/**
 * `npm run job -- fetch <source> [mode]` / `process` / `reconcile`: one-shot work for external
 * cron platforms, with the same advisory locks as the in-process scheduler. The job role has no
 * claim loop and no periodic job: only the asked-for work runs, here (a fetch executes the runs it
 * queues in this process, under the same leases as a worker's). The JSON summary is the last line
 * on stdout.
 */
async function main() {
  const cmd = parseJobArgs(process.argv.slice(2));
  if ('error' in cmd) {
    process.stderr.write(`${cmd.error}\n${JOB_USAGE}\n`);
    process.exit(2);
  }
  const config = loadConfigOrExit({ requireKeys: false });
  const app = await createAppContext(config, JOB_ROLES, { quiet: true });
  let exitCode: number;
  try {
    const result = await runJobInContext(app, cmd);
    process.stdout.write(`${JSON.stringify(result.summary)}\n`);
    exitCode = result.exitCode;
  } finally {
    await app.close();
  }
  process.exit(exitCode);
}

main().catch(exitOnStartupFailure('job'));
