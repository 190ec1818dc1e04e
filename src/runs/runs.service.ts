import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app.config.js';
import { PgLocks } from '../database/database.locks.js';
import { logger } from '../common/app.logger.js';
import { pollableSources } from '../config/config.sources.js';
import type { Source } from '../records/record.types.js';
import { SyncDriverRegistry, type SyncDriver, type SyncMode } from './sync.drivers.js';
import { RunsRepository, type SourceSyncState } from './runs.repository.js';

export type { SourceSyncState };
import { exhaustedError, RunsWorker } from './runs.worker.js';
import { runLockName, type RunTrigger, type SyncRun } from './run.types.js';
import { RunRefusedError } from './run.errors.js';

export interface TriggerOptions {
  trigger?: RunTrigger;
  /** A subset of the driver's entities (e.g. one calendar); all of them when omitted. */
  entities?: string[];
}

/** A queued run no worker claimed for this long (counted from its last sign of life) is failed. */
const UNCLAIMED_MS = 600_000;

const SETUP_HINT: Record<Source, string> = {
  stripe: 'set STRIPE_API_KEY',
  hubspot: 'set HUBSPOT_ACCESS_TOKEN',
  gcal: 'set GCAL_SERVICE_ACCOUNT_JSON and GCAL_CALENDAR_IDS',
};

/**
 * Sync runs: `trigger` writes one queued run per entity before returning. Processes with the
 * worker role execute them (RunsWorker): the triggering process itself when its claim loop is on,
 * any worker otherwise (`WORKER=off npm start` queues, `npm run worker` executes). Each run holds
 * the session advisory lock `sync:<source>:<entity>` for its whole duration, so a second trigger
 * or a double-fired cron (in any process) ends `skipped`, never a parallel sync of the same cursor.
 */
@Injectable()
export class RunsService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private closing = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly locks: PgLocks,
    private readonly registry: SyncDriverRegistry,
    private readonly repo: RunsRepository,
    private readonly worker: RunsWorker,
  ) {}

  /**
   * Validates and writes the queued runs. With this process's claim loop on, they are reserved
   * for it and start at once here; otherwise a worker claims them (woken by NOTIFY).
   */
  async trigger(source: Source, mode: SyncMode, opts: TriggerOptions = {}): Promise<{ runIds: string[] }> {
    const local = this.worker.claiming;
    const runs = await this.enqueue(source, mode, opts, local);
    if (local) for (const { id } of runs) void this.worker.runReserved(id);
    return { runIds: runs.map((r) => r.id) };
  }

  /** The one-shot job: the runs are executed here, whatever the roles, and awaited. */
  async runNow(source: Source, mode: SyncMode, trigger: RunTrigger = 'job'): Promise<SyncRun[]> {
    const runs = await this.enqueue(source, mode, { trigger }, true);
    await Promise.all(runs.map(({ id }) => this.worker.runReserved(id)));
    return this.repo.getMany(runs.map((r) => r.id));
  }

  /** The worker role's claim loop: runs queued anywhere are claimed and executed here from now on. */
  async startClaiming(): Promise<void> {
    await this.worker.start();
  }

  /** Resolves once no run is in flight in this process (tests, shutdown). */
  async waitForIdle(): Promise<void> {
    await this.worker.waitForIdle();
  }

  /**
   * Executes here every queued run this process can sync and waits for them, whatever the roles:
   * what a test of a process without the worker role does in its place.
   */
  async drain(): Promise<void> {
    await this.worker.drain();
  }

  /** Every process sweeps once at boot, so runs left by a crashed one-shot job are not stuck until a scheduler runs. */
  async onApplicationBootstrap(): Promise<void> {
    await this.sweepAbandoned().catch((err) =>
      logger.warn('abandoned-run sweep at boot failed', { err: (err as Error)?.message }),
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.shutdown();
  }

  /** Stops accepting triggers; running runs stop between pages and go back to the queue. */
  async shutdown(graceMs?: number): Promise<void> {
    this.closing = true;
    await this.worker.stop(graceMs);
  }

  /**
   * The abandoned-run sweep. A running run whose lease expired while nobody holds its lock lost
   * its process: it goes back to the queue (a worker resumes it from its last committed cursor),
   * or is failed once it has been started the maximum number of times. A queued run that no worker
   * claimed for a long time is failed: no process with the worker role can run it.
   */
  async sweepAbandoned(opts: { unclaimedMs?: number } = {}): Promise<{ requeued: string[]; failed: string[] }> {
    const unclaimedMs = opts.unclaimedMs ?? UNCLAIMED_MS;
    const failed = await this.repo.failUnclaimed(
      unclaimedMs,
      `abandoned: no worker claimed the run within ${Math.round(unclaimedMs / 1000)} s (is a process with the worker role and this vendor's credentials running?)`,
    );
    const requeued: string[] = [];
    for (const run of await this.repo.expiredRunning()) {
      // A held lock means the process is alive, only late with its lease.
      const lock = await this.locks.tryAcquire(runLockName(run.source, run.entity));
      if (!lock) continue;
      try {
        const became = await this.repo.requeueExpired(
          run.id,
          this.worker.options.maxAttempts,
          exhaustedError(run.attempts),
        );
        if (became === 'queued') requeued.push(run.id);
        if (became === 'failed') failed.push(run.id);
      } finally {
        await lock.release();
      }
    }
    if (requeued.length) logger.warn('sync runs whose process stopped were re-queued', { runIds: requeued });
    if (failed.length) logger.warn('abandoned sync runs marked failed', { runIds: failed });
    return { requeued, failed };
  }

  /** Per source with runs: its last successful sync and latest verdict (readiness reports them). */
  async lastSyncBySource(): Promise<SourceSyncState[]> {
    return this.repo.lastSyncBySource();
  }

  /** Per source and entity, its latest finished run that says something about the sync (alerts read it). */
  async latestVerdicts(): Promise<SyncRun[]> {
    return this.repo.latestVerdicts();
  }

  private async enqueue(source: Source, mode: SyncMode, opts: TriggerOptions, reserve: boolean) {
    if (this.closing)
      throw new RunRefusedError('shutting_down', 'The service is shutting down; retry on another instance.');
    const driver = this.pollableDriver(source);
    const entities = this.entitiesFor(driver, opts.entities);
    return this.repo.createQueued(
      source,
      mode,
      opts.trigger ?? 'manual',
      entities,
      reserve ? this.worker.reservation() : null,
    );
  }

  private pollableDriver(source: Source): SyncDriver {
    const driver = this.registry.get(source);
    if (!pollableSources(this.config).includes(source)) {
      throw new RunRefusedError(
        'source_not_enabled',
        `${source} is not configured for syncing (${SETUP_HINT[source]}).`,
        { source },
      );
    }
    if (!driver || !driver.enabled()) {
      throw new RunRefusedError('source_not_enabled', `${source} has no sync connector enabled in this deployment.`, {
        source,
      });
    }
    return driver;
  }

  private entitiesFor(driver: SyncDriver, wanted: string[] | undefined): string[] {
    const all = driver.entities();
    if (all.length === 0)
      throw new RunRefusedError(
        'source_not_enabled',
        `${driver.source} has nothing to sync (no entities configured).`,
        { source: driver.source },
      );
    if (wanted === undefined) return all;
    const unknown = wanted.filter((e) => !all.includes(e));
    if (wanted.length === 0 || unknown.length) {
      throw new RunRefusedError(
        'unknown_entity',
        `Unknown ${driver.source} entit${unknown.length === 1 ? 'y' : 'ies'}: ${unknown.join(', ') || '(none given)'}.`,
        {
          entities: all,
        },
      );
    }
    return [...new Set(wanted)];
  }
}
