import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { Database, isDbUnavailable } from '../database/database.sql.js';
import { type HeldLock, PgLocks } from '../database/database.locks.js';
import { logContext, logger } from '../common/app.logger.js';
import { HttpMetrics } from '../common/http.metrics.js';
import { OutboxInsertRepository } from '../outbox/outbox-insert.repository.js';
import type { Source } from '../records/record.types.js';
import { SyncDriverRegistry } from './sync.drivers.js';
import { type ClaimTarget, RUNS_NOTIFY_CHANNEL, RunsRepository } from './runs.repository.js';
import { internalErrorText, RunExecution, type RunStart } from './run.execution.js';
import { runLockName, type RunOutcome, type SyncRun } from './run.types.js';

/** How sync runs are claimed and kept; RUN_QUEUE_OPTIONS overrides some of it (tests). */
export interface RunQueueOptions {
  /** A claim holds its run this long unless renewed; a run whose lease expires is resumed elsewhere. */
  leaseMs: number;
  /** How often a running run renews its lease (every page commit renews it too). */
  heartbeatMs: number;
  /** A run started this many times without a verdict (its process kept dying) is failed. */
  maxAttempts: number;
  /** The claim loop's fallback poll for lost notifications and expired leases; 0: none. */
  pollMs: number;
  /** LISTEN for newly queued runs (the loop claims within milliseconds). */
  listen: boolean;
  /** A resumed run whose lock is still held (its old process may be alive) is looked at again after this. */
  lockedRetryMs: number;
  /** Runs the claim loop executes at once in this process (each pins a lock connection). */
  maxConcurrent: number;
  /**
   * false: start() claims nothing by itself (no loop, LISTEN or poll); the worker only executes
   * the runs its own process queues, and what `drain` claims. Tests of one process use it.
   */
  loop: boolean;
}

export const RUN_QUEUE_DEFAULTS: RunQueueOptions = {
  leaseMs: 60_000,
  heartbeatMs: 10_000,
  maxAttempts: 3,
  pollMs: 5_000,
  listen: true,
  lockedRetryMs: 5_000,
  maxConcurrent: 16,
  loop: true,
};

export const RUN_QUEUE_OPTIONS = Symbol('RUN_QUEUE_OPTIONS');

const SHUTDOWN_GRACE_MS = 15_000;
const MAX_ERROR_PAUSE_MS = 30_000;

type Claimed = { kind: 'claimed'; run: SyncRun; token: string; lock: HeldLock; start: RunStart };
type ClaimResult = Claimed | { kind: 'settled' | 'deferred'; runId: string } | null;

/** The verdict a run gets when its process died `attempts` times before finishing it. */
export function exhaustedError(attempts: number): string {
  return `abandoned: its process stopped ${attempts} time${attempts === 1 ? '' : 's'} before the run finished; not resumed again`;
}

/**
 * Executes sync runs as queued work. A run is claimed from sync_runs (FOR UPDATE SKIP LOCKED, so
 * two workers never claim the same run) under a lease that its heartbeat and every page commit
 * renew; every write of the run checks the claim's token, so a worker that lost its lease never
 * commits another page. The session advisory lock `sync:<source>:<entity>` is still what lets
 * only one run of an entity sync at a time: a run that has not started yet ends `skipped` when
 * the lock is held; a resumed one waits for it.
 *
 * A run whose lease expires while nobody holds its lock lost its process: the next claim resumes
 * it from the last committed cursor (pages are committed with their cursor, so nothing is lost
 * or fetched twice), up to `maxAttempts` starts. A shutdown stops runs between pages and puts
 * them back in the queue.
 *
 * The claim loop (start/stop) runs in processes with the worker role; a process that queues runs
 * while its loop is on executes them itself (RunsService reserves them for it), and `drain` lets
 * one-shot work and tests execute whatever is queued, whatever the roles.
 */
@Injectable()
export class RunsWorker {
  readonly workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly opts: RunQueueOptions;
  private seq = 0;
  private started = false;
  private stopping = false;
  private listening = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private loop: Promise<void> | null = null;
  private wakePending = false;
  private consecutiveErrors = 0;
  private pausedUntil = 0;
  private stopped: Promise<void> | null = null;
  private readonly inflight = new Map<string, { done: Promise<unknown>; token: string | null }>();
  private readonly shutdown = new AbortController();

  constructor(
    private readonly db: Database,
    private readonly locks: PgLocks,
    private readonly registry: SyncDriverRegistry,
    private readonly repo: RunsRepository,
    private readonly outbox: OutboxInsertRepository,
    @Optional() @Inject(RUN_QUEUE_OPTIONS) opts?: Partial<RunQueueOptions>,
    @Optional() private readonly metrics?: HttpMetrics,
  ) {
    this.opts = { ...RUN_QUEUE_DEFAULTS, ...opts };
  }

  get options(): Readonly<RunQueueOptions> {
    return this.opts;
  }

  /** Whether the claim loop is on: runs queued in this process are executed here. */
  get claiming(): boolean {
    return this.started && !this.stopping;
  }

  /** Starts the claim loop: LISTEN (unless turned off), the fallback poll, and a first look. */
  async start(): Promise<void> {
    if (this.started || this.stopping) return;
    this.started = true;
    if (!this.opts.loop) return;
    if (this.opts.listen && !this.listening) {
      try {
        await this.locks.listen(RUNS_NOTIFY_CHANNEL, () => this.wake());
        this.listening = true;
      } catch (err) {
        logger.warn('sync runs LISTEN failed; relying on polling', { err: (err as Error).message });
      }
    }
    // The loop's own fallback for lost notifications and expired leases, not a periodic job.
    if (this.opts.pollMs > 0) this.pollTimer = setInterval(() => this.wake(), this.opts.pollMs).unref();
    logger.info('sync run worker started', {
      workerId: this.workerId,
      leaseMs: this.opts.leaseMs,
      maxAttempts: this.opts.maxAttempts,
    });
    this.wake();
  }

  /**
   * Stops claiming and asks running drivers to stop between pages; their runs go back to the
   * queue. A driver still going after the grace period has its claim revoked (its later writes
   * are refused) and its run re-queued; its lock ends with this process's connections.
   */
  stop(graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
    // The scheduling module and RunsService both stop the worker at shutdown: the first call decides.
    this.stopped ??= this.halt(graceMs);
    return this.stopped;
  }

  private async halt(graceMs: number): Promise<void> {
    this.stopping = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
    if (this.inflight.size === 0 && !this.loop) return;
    logger.info('stopping sync runs', { inflight: [...this.inflight.keys()] });
    this.shutdown.abort();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.waitForIdle().then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs))),
    ]);
    clearTimeout(timer);
    if (!timedOut) return;
    for (const [id, { token }] of this.inflight) {
      if (token) await this.repo.requeue(id, token).catch(() => undefined);
      logger.warn('sync run still going at shutdown: re-queued, its claim revoked', { runId: id });
    }
  }

  /** Resolves once no run is in flight here and the loop has nothing left to claim. */
  async waitForIdle(): Promise<void> {
    while (this.inflight.size > 0 || this.loop) {
      await Promise.allSettled([...[...this.inflight.values()].map((f) => f.done), this.loop]);
    }
  }

  /** Something may be claimable: make sure the loop looks (again). */
  wake(): void {
    if (!this.claiming || !this.opts.loop || Date.now() < this.pausedUntil) return;
    this.wakePending = true;
    if (!this.loop) this.loop = this.claimLoop().finally(() => (this.loop = null));
  }

  /**
   * Executes a run queued for this worker (or claimable by anyone) in the background; resolves
   * with the run as stored afterwards. Null when another worker has it.
   */
  runReserved(runId: string): Promise<SyncRun | null> {
    return this.track(runId, async () => {
      const claim = await this.claim({ id: runId, reservedFor: this.workerId });
      if (claim?.kind === 'claimed') return this.execute(claim);
      return this.repo.get(runId);
    });
  }

  /**
   * Claims and executes every claimable run of the sources this process can sync, until none is
   * left, and waits for them (one-shot work and tests: the claim loop's work, awaited).
   */
  async drain(): Promise<void> {
    for (;;) {
      const claim = await this.claim({ sources: this.sources() });
      if (!claim) break;
      if (claim.kind === 'claimed') void this.track(claim.run.id, () => this.execute(claim));
    }
    await this.waitForIdle();
  }

  /** Runs reserved for this worker are claimable by it until their reservation (one lease) ends. */
  reservation(): { owner: string; leaseMs: number } {
    return { owner: this.workerId, leaseMs: this.opts.leaseMs };
  }

  private async claimLoop(): Promise<void> {
    while (this.wakePending && this.claiming) {
      this.wakePending = false;
      try {
        while (this.claiming && this.inflight.size < this.opts.maxConcurrent) {
          const claim = await this.claim({ sources: this.sources() });
          if (!claim) break;
          if (claim.kind === 'claimed') {
            void this.track(claim.run.id, () => this.execute(claim)).finally(() => this.wake());
          }
        }
        this.consecutiveErrors = 0;
      } catch (err) {
        // Usually the database is down; nothing was claimed, the poll looks again after a pause.
        this.consecutiveErrors += 1;
        const pause = Math.min(MAX_ERROR_PAUSE_MS, 500 * 2 ** (this.consecutiveErrors - 1));
        this.pausedUntil = Date.now() + pause;
        logger.error('sync run claim failed', { workerId: this.workerId, err: (err as Error).message, pauseMs: pause });
        return;
      }
    }
  }

  /** Sources whose driver this process has: a worker without a vendor's credentials leaves its runs to others. */
  private sources(): Source[] {
    return this.registry
      .all()
      .filter((d) => d.enabled())
      .map((d) => d.source);
  }

  /**
   * One claim, in one transaction holding the run's row lock while the run's advisory lock is
   * tried: with the lock, the run is this worker's (or failed, when its process died too often);
   * without it, a run that never started ends `skipped`, a resumed one is looked at again later.
   */
  private async claim(target: ClaimTarget): Promise<ClaimResult> {
    if ('sources' in target && target.sources.length === 0) return null;
    // Only a claim keeps the lock past the transaction; every other outcome gives it back.
    const held: { lock: HeldLock | null } = { lock: null };
    let result: ClaimResult;
    try {
      result = await this.db.tx(async (sql): Promise<ClaimResult> => {
        const candidate = await this.repo.lockClaimable(sql, target);
        if (!candidate) return null;
        const { run, started } = candidate;
        const lock = await this.locks.tryAcquire(runLockName(run.source, run.entity));
        held.lock = lock;
        if (!lock) {
          if (!started) {
            await this.repo.markSkipped(
              sql,
              run.id,
              `skipped: another run of ${run.source}/${run.entity} held the lock`,
            );
            this.metrics?.inc('buffalo_sync_runs_total', { source: run.source, status: 'skipped' });
            logger.info('sync run skipped: lock held elsewhere', {
              runId: run.id,
              source: run.source,
              entity: run.entity,
            });
            return { kind: 'settled', runId: run.id };
          }
          await this.repo.deferClaim(sql, run.id, this.opts.lockedRetryMs);
          return { kind: 'deferred', runId: run.id };
        }
        if (run.attempts >= this.opts.maxAttempts) {
          await this.repo.failUnfinished(run.id, exhaustedError(run.attempts), 'abandoned', sql);
          logger.warn('sync run abandoned: its process died too often', { runId: run.id, attempts: run.attempts });
          return { kind: 'settled', runId: run.id };
        }
        const stored = await this.repo.loadCursorRow(run.source, run.entity, sql);
        const token = `${this.workerId}#${++this.seq}`;
        const claimed = await this.repo.takeClaim(sql, run.id, token, this.opts.leaseMs, stored.cursor);
        // A full run that already committed a cursor of its own resumes from it: any committed
        // cursor is where an incremental run continues, here the rest of this run's listing.
        const mode = run.mode === 'full' && started && stored.runId === run.id ? 'incremental' : run.mode;
        return { kind: 'claimed', run: claimed, token, lock, start: { mode, cursor: stored.cursor } };
      });
    } catch (err) {
      await held.lock?.release();
      throw err;
    }
    if (result?.kind !== 'claimed') await held.lock?.release();
    return result;
  }

  /**
   * Runs one claimed run to its verdict. Never throws for sync failures: the verdict is on the
   * run row. The verdict is written after the lock is released, so a client that sees a finished
   * run and triggers again is never `skipped` by it.
   */
  private async execute(claim: Claimed): Promise<SyncRun | null> {
    const { run, token, lock } = claim;
    const entry = this.inflight.get(run.id);
    if (entry) entry.token = token;
    return logContext.run({ ...logContext.getStore(), runId: run.id }, async () => {
      const lost = new AbortController();
      const signal = AbortSignal.any([this.shutdown.signal, lost.signal]);
      const heartbeat = setInterval(() => {
        this.repo.renewLease(run.id, token, this.opts.leaseMs).then(
          (held) => {
            if (!held && !lost.signal.aborted) {
              logger.warn('sync run lease lost: another worker took it over', { runId: run.id });
              lost.abort();
            }
          },
          () => undefined,
        );
      }, this.opts.heartbeatMs);
      heartbeat.unref();
      let outcome: RunOutcome;
      let cursorAfter: unknown;
      let exec: RunExecution;
      const t0 = Date.now();
      try {
        logger.info(run.attempts > 1 ? 'sync run resumed' : 'sync run started', {
          source: run.source,
          entity: run.entity,
          mode: run.mode,
          trigger: run.trigger,
          attempt: run.attempts,
          ...(run.attempts > 1 ? { from: claim.start } : {}),
        });
        exec = new RunExecution(run, claim.start, this.db, this.repo, this.outbox, signal, {
          token,
          leaseMs: this.opts.leaseMs,
        });
        outcome = await exec.execute(this.registry.get(run.source));
        cursorAfter = await this.repo.loadCursor(run.source, run.entity);
      } finally {
        clearInterval(heartbeat);
        await lock.release();
      }
      if (exec.leaseLost || lost.signal.aborted) {
        logger.warn('sync run stopped: its claim was taken over', { runId: run.id });
        return this.repo.get(run.id);
      }
      if (outcome.errorClass === 'aborted' && this.shutdown.signal.aborted) {
        const requeued = await this.repo.requeue(run.id, token);
        logger.info('sync run stopped by shutdown', { runId: run.id, requeued });
        return this.repo.get(run.id);
      }
      await this.repo.finish(run.id, token, outcome, cursorAfter);
      this.metrics?.inc('buffalo_sync_runs_total', { source: run.source, status: outcome.status });
      this.metrics?.observe(
        'buffalo_sync_run_duration_seconds',
        { source: run.source, status: outcome.status },
        (Date.now() - t0) / 1000,
      );
      const done = await this.repo.get(run.id);
      const fields = {
        source: run.source,
        entity: run.entity,
        status: outcome.status,
        ms: Date.now() - t0,
        attempts: run.attempts,
        counts: done?.counts,
        error: outcome.error,
      };
      if (outcome.status === 'succeeded') logger.info('sync run finished', fields);
      else logger.warn('sync run finished', { ...fields, errorClass: outcome.errorClass });
      return done;
    });
  }

  private track<T>(id: string, work: () => Promise<T>): Promise<T | null> {
    const entry: { done: Promise<unknown>; token: string | null } = { done: Promise.resolve(), token: null };
    const guarded = work()
      .catch(async (err) => {
        // Not a sync failure (those are recorded by the execution) but e.g. the database going away.
        const errorId = randomUUID();
        logger.error('sync run crashed', {
          errorId,
          runId: id,
          err: (err as Error)?.message,
          dbUnavailable: isDbUnavailable(err),
        });
        if (entry.token)
          await this.repo
            .failUnfinished(id, internalErrorText(errorId), 'internal', undefined, entry.token)
            .catch(() => undefined);
        return null;
      })
      .finally(() => {
        if (this.inflight.get(id) === entry) this.inflight.delete(id);
      });
    entry.done = guarded;
    this.inflight.set(id, entry);
    return guarded;
  }
}
