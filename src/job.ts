import 'reflect-metadata';
import { JOB_USAGE, parseJobArgs, runJobInContext } from './runs/job.cli.js';
import { createAppContext, exitOnStartupFailure, loadConfigOrExit, withRole } from './app.process-entry.js';

/**
 * `npm run job -- fetch <source> [mode]` / `npm run job -- process`: one-shot work for external
 * cron platforms, with the same advisory locks as the in-process scheduler. Worker and scheduler
 * are off: only the asked-for work runs. The JSON summary is the last line on stdout.
 */
async function main() {
  const cmd = parseJobArgs(process.argv.slice(2));
  if ('error' in cmd) {
    process.stderr.write(`${cmd.error}\n${JOB_USAGE}\n`);
    process.exit(2);
  }
  const config = withRole(loadConfigOrExit({ requireKeys: false }), { worker: false, scheduler: false });
  const app = await createAppContext(config, { http: false }, { quiet: true });
  let exitCode = 1;
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
