import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { APP_CONFIG, type AppConfig } from '../config/app.config.js';
import { logger } from '../common/app.logger.js';
import { CLAIM_LOOPS, type JobOwners, PERIODIC_JOBS, type PeriodicJob, runsIn } from './jobs.catalog.js';
import type { ProcessRole } from './process.roles.js';

export const PROCESS_ROLES_TOKEN = Symbol('PROCESS_ROLES');
export const JOB_OWNERS = Symbol('JOB_OWNERS');

/** Shutdown waits this long for job runs in flight, then lets the database close under them. */
const STOP_WAIT_MS = 10_000;

/**
 * The one place background work starts and stops. At bootstrap (after every module's
 * onModuleInit, so sync drivers are registered) it starts the claim loops and registers the
 * catalog's jobs for this process's roles with SchedulerRegistry; at shutdown it removes them,
 * stops the loops and waits for runs in flight, before the database closes.
 */
@Injectable()
export class JobScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly registered: string[] = [];
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private readonly loopsStarted: (typeof CLAIM_LOOPS)[number][] = [];

  constructor(
    private readonly registry: SchedulerRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PROCESS_ROLES_TOKEN) readonly roles: readonly ProcessRole[],
    @Inject(JOB_OWNERS) private readonly owners: JobOwners,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const job of PERIODIC_JOBS) {
      if (!runsIn(job, this.roles) || job.enabled?.(this.owners, this.config) === false) continue;
      const everyMs = job.everyMs(this.config);
      if (!(everyMs > 0)) continue;
      this.register(job, everyMs);
    }
    for (const loop of CLAIM_LOOPS) {
      if (!runsIn(loop, this.roles)) continue;
      await loop.start(this.owners);
      this.loopsStarted.push(loop);
    }
    logger.info('background work scheduled', {
      roles: this.roles,
      claimLoops: this.loopsStarted.map((l) => l.name),
      jobs: this.registered,
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.abort.abort();
    for (const name of this.registered.splice(0)) {
      if (this.registry.doesExist('interval', name)) this.registry.deleteInterval(name);
      if (this.registry.doesExist('timeout', name)) this.registry.deleteTimeout(name);
    }
    let timer: NodeJS.Timeout | undefined;
    const jobsDone = Promise.race([
      Promise.allSettled([...this.inflight.values()]).then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), STOP_WAIT_MS))),
    ]);
    const loops = this.loopsStarted.splice(0);
    const [finished] = await Promise.all([jobsDone, ...loops.map((l) => l.stop(this.owners))]);
    clearTimeout(timer);
    if (!finished) logger.warn('periodic jobs still running at shutdown', { jobs: [...this.inflight.keys()] });
  }

  /**
   * One firing. A run still going when its next tick comes makes that tick a no-op in this
   * process; across processes the job's own lock (or idempotence) decides.
   */
  async fire(job: PeriodicJob): Promise<void> {
    if (this.abort.signal.aborted) return;
    const running = this.inflight.get(job.name);
    if (running) return running;
    const run = (async () => {
      try {
        await job.run(this.owners, this.abort.signal);
      } catch (err) {
        logger.error('periodic job failed', { job: job.name, err: (err as Error)?.message });
      }
    })().finally(() => this.inflight.delete(job.name));
    this.inflight.set(job.name, run);
    return run;
  }

  private register(job: PeriodicJob, everyMs: number): void {
    // unref: a timer alone never keeps a process up (HTTP or the worker entry point does).
    this.registry.addInterval(job.name, setInterval(() => void this.fire(job), everyMs).unref());
    const firstMs = job.firstAfterMs?.(this.config);
    if (firstMs !== undefined && firstMs < everyMs) {
      const first = setTimeout(() => {
        if (this.registry.doesExist('timeout', job.name)) this.registry.deleteTimeout(job.name);
        void this.fire(job);
      }, firstMs).unref();
      this.registry.addTimeout(job.name, first);
    }
    this.registered.push(job.name);
  }
}
