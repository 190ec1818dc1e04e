import type { AppConfig } from '../config/app.config.js';

/**
 * What a process is for. The periodic jobs it runs follow from its roles (jobs.catalog.ts):
 *  api        HTTP (`npm start`)
 *  worker     the claim loops (outbox batches and queued sync runs) and the outbox/ledger upkeep
 *  scheduler  vendor sync schedules and the upkeep of runs, API state and push channels
 *  job        one-shot work for external cron platforms (`npm run job`): no periodic job at all
 */
export const PROCESS_ROLES = ['api', 'worker', 'scheduler', 'job'] as const;
export type ProcessRole = (typeof PROCESS_ROLES)[number];

/** `npm start`: the API, plus the worker and the scheduler unless WORKER / SCHEDULER switch them off. */
export function apiRoles(config: AppConfig): ProcessRole[] {
  const roles: ProcessRole[] = ['api'];
  if (config.worker.enabled) roles.push('worker');
  if (config.scheduler.enabled) roles.push('scheduler');
  return roles;
}

/** `npm run worker`: only the worker, so workers scale out as more processes of the same image. */
export const WORKER_ROLES: readonly ProcessRole[] = ['worker'];

/** `npm run job`: only the asked-for work. */
export const JOB_ROLES: readonly ProcessRole[] = ['job'];
