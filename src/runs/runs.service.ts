import { randomUUID } from 'node:crypto';
import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app.config.js';
import { Database, isDbUnavailable } from '../database/database.sql.js';
import { PgLocks } from '../database/database.locks.js';
import { logContext, logger } from '../common/app.logger.js';
import { pollableSources } from '../config/config.sources.js';
import { OutboxInsertRepository } from '../outbox/outbox-insert.repository.js';
import type { Source } from '../records/record.types.js';
import { SyncDriverRegistry, type SyncDriver, type SyncMode } from './sync.drivers.js';
import { RunsRepository, type SourceSyncState } from './runs.repository.js';

export type { SourceSyncState };
import { internalErrorText, RunExecution } from './run.execution.js';
import { runLockName, type RunOutcome, type RunTrigger, type SyncRun } from './run.types.js';
import { RunRefusedError } from './run.errors.js';

export interface TriggerOptions {
  trigger?: RunTrigger;
  /** A subset of the driver's entities (e.g. one calendar); all of them when omitted. */
  entities?: string[];
}

const HEARTBEAT_MS = 10_000;
/** A running run whose heartbeat is this old AND whose lock is free has lost its process. */
const ABANDONED_RUNNING_MS = 120_000;
/** Runs start right after their row is written; a queued row this old was orphaned by a dead process. */
const ABANDONED_QUEUED_MS = 600_000;
const SHUTDOWN_GRACE_MS = 15_000;

const SETUP_HINT: Record<Source, string> = {
  stripe: 'set STRIPE_API_KEY',
  hubspot: 'set HUBSPOT_ACCESS_TOKEN',
  gcal: 'set GCAL_SERVICE_ACCOUNT_JSON and GCAL_CALENDAR_IDS',
};

/**
 * Sync runs: `trigger` writes one queued run per entity before returning, then executes them in
 * this process. Each run holds the session advisory lock `sync:<source>:<entity>` for its whole
 * duration, so a second trigger or a double-fired cron (in any process) ends `skipped`, never a
 * parallel sync of the same cursor.
 */
@Injectable()
export class RunsService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly abort = new AbortController();
  private closing = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: Database,
    private readonly locks: PgLocks,
    private readonly registry: SyncDriverRegistry,
    private readonly repo: RunsRepository,
    private readonly outbox: OutboxInsertRepository,
  ) {}

  /** Validates, writes the queued runs, and starts them in the background. */
  async trigger(source: Source, mode: SyncMode, opts: TriggerOptions = {}): Promise<{ runIds: string[] }> {
    const runs = await this.enqueue(source, mode, opts);
    for (const { id } of runs) this.track(id, this.executeRun(id));
    return { runIds: runs.map((r) => r.id) };
  }

  /** The same path as `trigger`, awaited (the one-shot job): returns the finished runs. */
  async runNow(source: Source, mode: SyncMode, trigger: RunTrigger = 'job'): Promise<SyncRun[]> {
    const runs = await this.enqueue(source, mode, { trigger });
    await Promise.all(runs.map(({ id }) => this.track(id, this.executeRun(id))));
    return this.repo.getMany(runs.map((r) => r.id));
  }

  /** Resolves once no run started by this instance is in flight (tests, shutdown). */
  async waitForIdle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight.values()]);
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

  /** Stops accepting triggers, asks running drivers to stop between pages, and waits a bounded time. */
  async shutdown(graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
    this.closing = true;
    if (this.inflight.size === 0) return;
    logger.info('stopping sync runs', { inflight: [...this.inflight.keys()] });
    this.abort.abort();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.waitForIdle().then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs))),
    ]);
    clearTimeout(timer);
    if (!timedOut) return;
    // A driver that ignores the signal must not leave its run looking alive; its lock dies with our connections.
    for (const id of this.inflight.keys()) {
      await this.repo
        .failUnfinished(id, 'interrupted by shutdown before the driver stopped', 'aborted')
        .catch(() => undefined);
      logger.warn('sync run interrupted by shutdown', { runId: id });
    }
  }

  /**
   * Executes one queued run under its lock. Never throws for sync failures: the verdict is on the
   * run row. Returns the run as stored afterwards.
   */
  async executeRun(runId: string): Promise<SyncRun | null> {
    return logContext.run({ ...logContext.getStore(), runId }, async () => {
      const run = await this.repo.get(runId);
      if (!run || run.status !== 'queued') return run;
      const lock = await this.locks.tryAcquire(runLockName(run.source, run.entity));
      if (!lock) {
        await this.repo.markSkipped(runId, `skipped: another run of ${run.source}/${run.entity} held the lock`);
        logger.info('sync run skipped: lock held elsewhere', { source: run.source, entity: run.entity });
        return this.repo.get(runId);
      }
      let heartbeat: NodeJS.Timeout | undefined;
      let outcome: RunOutcome;
      let cursorAfter: unknown;
      const t0 = Date.now();
      try {
        const cursorBefore = await this.repo.loadCursor(run.source, run.entity);
        if (!(await this.repo.markRunning(runId, cursorBefore))) return this.repo.get(runId);
        heartbeat = setInterval(() => void this.repo.heartbeat(runId).catch(() => undefined), HEARTBEAT_MS);
        heartbeat.unref();
        logger.info('sync run started', {
          source: run.source,
          entity: run.entity,
          mode: run.mode,
          trigger: run.trigger,
        });
        const exec = new RunExecution(run, cursorBefore, this.db, this.repo, this.outbox, this.abort.signal);
        outcome = await exec.execute(this.registry.get(run.source));
        cursorAfter = await this.repo.loadCursor(run.source, run.entity);
      } finally {
        clearInterval(heartbeat);
        await lock.release();
      }
      // Verdict after the lock is free: a client that sees a finished run and triggers again is never `skipped` by it.
      await this.repo.finish(runId, outcome, cursorAfter);
      const done = await this.repo.get(runId);
      const fields = {
        source: run.source,
        entity: run.entity,
        status: outcome.status,
        ms: Date.now() - t0,
        counts: done?.counts,
        error: outcome.error,
      };
      if (outcome.status === 'succeeded') logger.info('sync run finished', fields);
      else logger.warn('sync run finished', { ...fields, errorClass: outcome.errorClass });
      return done;
    });
  }

  /**
   * Abandoned-run sweep: a running run with a stale heartbeat whose lock nobody holds lost its
   * process; a queued run nobody started for a long time too. Both become `failed` with a reason.
   */
  async sweepAbandoned(opts: { runningMs?: number; queuedMs?: number } = {}): Promise<string[]> {
    const swept = await this.repo.failStaleQueued(opts.queuedMs ?? ABANDONED_QUEUED_MS);
    for (const run of await this.repo.staleRunning(opts.runningMs ?? ABANDONED_RUNNING_MS)) {
      if (this.inflight.has(run.id)) continue;
      const lock = await this.locks.tryAcquire(runLockName(run.source, run.entity));
      if (!lock) continue;
      try {
        if (
          await this.repo.failUnfinished(
            run.id,
            'abandoned: the process running it stopped without finishing',
            'abandoned',
          )
        )
          swept.push(run.id);
      } finally {
        await lock.release();
      }
    }
    if (swept.length) logger.warn('abandoned sync runs marked failed', { runIds: swept });
    return swept;
  }

  /** Per source with runs: its last successful sync and latest verdict (readiness reports them). */
  async lastSyncBySource(): Promise<SourceSyncState[]> {
    return this.repo.lastSyncBySource();
  }

  /** Per source and entity, its latest finished run that says something about the sync (alerts read it). */
  async latestVerdicts(): Promise<SyncRun[]> {
    return this.repo.latestVerdicts();
  }

  private async enqueue(source: Source, mode: SyncMode, opts: TriggerOptions) {
    if (this.closing)
      throw new RunRefusedError('shutting_down', 'The service is shutting down; retry on another instance.');
    const driver = this.pollableDriver(source);
    const entities = this.entitiesFor(driver, opts.entities);
    return this.repo.createQueued(source, mode, opts.trigger ?? 'manual', entities);
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

  private track<T>(id: string, p: Promise<T>): Promise<T | null> {
    const guarded = p
      .catch(async (err) => {
        // Not a sync failure (those are recorded by the execution) but e.g. the database going away.
        const errorId = randomUUID();
        logger.error('sync run crashed', {
          errorId,
          runId: id,
          err: (err as Error)?.message,
          dbUnavailable: isDbUnavailable(err),
        });
        await this.repo.failUnfinished(id, internalErrorText(errorId), 'internal').catch(() => undefined);
        return null;
      })
      .finally(() => this.inflight.delete(id));
    this.inflight.set(id, guarded);
    return guarded;
  }
}
