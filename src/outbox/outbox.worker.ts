import { Inject, Injectable, Optional } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { APP_CONFIG, type AppConfig } from '../config/app.config.js';
import { Database } from '../database/database.sql.js';
import { PgLocks } from '../database/database.locks.js';
import { HttpMetrics } from '../common/http.metrics.js';
import { logger } from '../common/app.logger.js';
import { OutboxHandlerRegistry, type HandlerContext } from './outbox.handlers.js';
import { OUTBOX_NOTIFY_CHANNEL } from './outbox-insert.repository.js';
import { outcomeFromError, settle } from './outbox.retry-policy.js';
import { OrphansRepository } from '../reconciler/orphans.repository.js';
import { SightingsRepository } from '../reconciler/sightings.repository.js';
import { OutboxRepository, type SweepResult } from './outbox.repository.js';
import type { OutboxKind, OutboxRow, RowOutcome } from './outbox.types.js';

export interface BatchResult {
  claimed: number;
  /** done + ignored */
  processed: number;
  /** error (will retry) + dead */
  failed: number;
  dead: number;
}

export interface DrainResult {
  processed: number;
  failed: number;
}

export const RETENTION_LOCK = 'buffalo:outbox:retention';
const RETENTION_BATCH = 5_000;
/** Bounds one retention run (~5M rows); the next run continues. */
const RETENTION_MAX_BATCHES = 1_000;
const STOP_WAIT_MS = 10_000;
const MAX_ERROR_PAUSE_MS = 30_000;
const MAX_LEASE_HOLD_MS = 10 * 60_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** How often expired leases are returned to the queue: well inside one lease, at most every 30 s. */
export function leaseSweepEveryMs(leaseMs: number): number {
  return Math.min(30_000, Math.max(1_000, Math.floor(leaseMs / 2)));
}

/**
 * Turns queued outbox rows into records. Wakes on NOTIFY (inserts notify on commit) so a webhook
 * is processed within milliseconds, and polls as a fallback for lost notifications and for
 * retries whose backoff has elapsed. Any number of workers, in any number of processes, share
 * the queue through SKIP LOCKED claims; leases and the sweeper recover a dead worker's batch.
 *
 * The claim loop runs between start() and stop(), which the scheduling module calls in processes
 * with the worker role; lease sweeps and retention are periodic jobs of that role
 * (src/scheduling/jobs.catalog.ts) calling sweepLeases() and purgeRetention().
 */
@Injectable()
export class OutboxWorker {
  readonly workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private seq = 0;
  private started = false;
  private stopping = false;
  private listening = false;
  private wakePending = false;
  private consecutiveErrors = 0;
  private pausedUntil = 0;
  private readonly loops = new Set<Promise<void>>();
  private pollTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly repo: OutboxRepository,
    private readonly orphans: OrphansRepository,
    private readonly registry: OutboxHandlerRegistry,
    private readonly db: Database,
    private readonly locks: PgLocks,
    private readonly metrics: HttpMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly sightings?: SightingsRepository,
  ) {}

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.stopping = false;
    const { pollMs, leaseMs } = this.config.worker;
    if (!this.listening) {
      try {
        await this.locks.listen(OUTBOX_NOTIFY_CHANNEL, () => this.wake());
        this.listening = true;
      } catch (err) {
        logger.warn('outbox LISTEN failed; relying on polling', { err: (err as Error).message, pollMs });
      }
    }
    // The loop's own fallback for lost notifications and elapsed backoffs, not a periodic job.
    this.pollTimer = setInterval(() => this.wake(), pollMs).unref();
    logger.info('outbox worker started', {
      workerId: this.workerId,
      batchSize: this.config.worker.batchSize,
      pollMs,
      leaseMs,
      concurrency: this.config.worker.concurrency,
    });
    this.wake();
  }

  /** Whether the claim loop is on: between start() and stop(). */
  get running(): boolean {
    return this.started && !this.stopping;
  }

  /** Stops claiming; the batch in flight finishes, or is abandoned to its lease after a timeout. */
  async stop(timeoutMs = STOP_WAIT_MS): Promise<void> {
    if (!this.started) return;
    this.stopping = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
    if (this.loops.size) {
      const finished = await Promise.race([
        Promise.allSettled([...this.loops]).then(() => true),
        sleep(timeoutMs).then(() => false),
      ]);
      if (!finished)
        logger.warn('outbox worker stopped with a batch in flight; its lease will return it to the queue', {
          workerId: this.workerId,
        });
    }
    this.started = false;
    logger.info('outbox worker stopped', { workerId: this.workerId });
  }

  /** Something may be claimable: make sure a loop is running (or will look again). */
  wake(): void {
    if (!this.started || this.stopping || Date.now() < this.pausedUntil) return;
    this.wakePending = true;
    while (this.loops.size < this.config.worker.concurrency) {
      const loop: Promise<void> = this.loop().finally(() => this.loops.delete(loop));
      this.loops.add(loop);
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      this.wakePending = false;
      try {
        const r = await this.processBatch();
        this.consecutiveErrors = 0;
        if (r.claimed === 0 && !this.wakePending) return;
      } catch (err) {
        // Usually the database is down. Claimed rows stay leased and come back via the sweeper.
        this.consecutiveErrors += 1;
        const pause = Math.min(MAX_ERROR_PAUSE_MS, 500 * 2 ** (this.consecutiveErrors - 1));
        this.pausedUntil = Date.now() + pause;
        logger.error('outbox batch failed', { workerId: this.workerId, err: (err as Error).message, pauseMs: pause });
        return;
      }
    }
  }

  /**
   * Processes until nothing is claimable (one-shot jobs and tests). Rows backing off are not
   * waited for. Sweeps expired leases first: a cron-driven deployment has no other sweeper.
   */
  async drain(): Promise<DrainResult> {
    await this.sweepLeases();
    const total: DrainResult = { processed: 0, failed: 0 };
    for (;;) {
      const r = await this.processBatch();
      if (r.claimed === 0) return total;
      total.processed += r.processed;
      total.failed += r.failed;
    }
  }

  /** Claims one batch, dispatches it by kind, settles every row. */
  async processBatch(): Promise<BatchResult> {
    const { batchSize, leaseMs } = this.config.worker;
    const token = `${this.workerId}#${++this.seq}`;
    const t0 = performance.now();
    const rows = await this.repo.claim(token, batchSize, leaseMs);
    const result: BatchResult = { claimed: rows.length, processed: 0, failed: 0, dead: 0 };
    if (rows.length === 0) return result;
    // Webhook evidence for the reconciliation report, before any row can settle (idempotent, so
    // a batch claimed twice after a crash records nothing new).
    if (this.sightings && rows.some((r) => r.origin === 'webhook'))
      // Bookkeeping for the report: it must never hold the batch itself hostage (a failure here
      // would otherwise leave the batch leased, and a deterministic one would stall the queue).
      await this.sightings.recordClaimed(this.db, rows).catch((err: unknown) =>
        logger.error('webhook sightings not recorded; the reconciliation report may count these objects as pollOnly', {
          err: err instanceof Error ? err.message : String(err),
          outboxIds: rows.filter((r) => r.origin === 'webhook').map((r) => r.id),
        }),
      );

    const byKind = new Map<string, OutboxRow[]>();
    for (const row of rows) {
      const group = byKind.get(row.kind) ?? [];
      group.push(row);
      byKind.set(row.kind, group);
    }
    const ctx: HandlerContext = { db: this.db, workerId: token };
    const heartbeat = this.keepLeaseAlive(token);
    try {
      return await this.runBatch(token, rows, byKind, ctx, result, t0);
    } finally {
      heartbeat.stop();
    }
  }

  /**
   * Extends the lease every third of it while the batch runs (slow vendor fetches must not let a
   * second worker take the rows over), but only up to MAX_LEASE_HOLD_MS: a handler hung for
   * longer loses its rows to the sweeper like a dead worker would.
   */
  private keepLeaseAlive(token: string): { stop(): void } {
    const { leaseMs } = this.config.worker;
    const started = Date.now();
    const timer = setInterval(
      () => {
        if (Date.now() - started > MAX_LEASE_HOLD_MS) return clearInterval(timer);
        this.repo
          .extendLease(token, leaseMs)
          .catch((err) => logger.warn('outbox lease extension failed', { err: (err as Error).message }));
      },
      Math.max(250, Math.floor(leaseMs / 3)),
    ).unref();
    return { stop: () => clearInterval(timer) };
  }

  private async runBatch(
    token: string,
    rows: OutboxRow[],
    byKind: Map<string, OutboxRow[]>,
    ctx: HandlerContext,
    result: BatchResult,
    t0: number,
  ): Promise<BatchResult> {
    const { maxAttempts } = this.config.worker;
    let lost = 0;
    for (const [kind, group] of byKind) {
      const kindDone = this.metrics.startTimer('buffalo_outbox_kind_duration_seconds', { kind });
      const outcomes = await this.dispatch(kind, group, ctx);
      const settlements = group.map((row) =>
        settle(
          row,
          outcomes.get(row.id) ?? {
            status: 'failed',
            failureClass: 'transient',
            error: `handler for ${kind} returned no outcome for this row`,
          },
          maxAttempts,
        ),
      );
      const settled = await this.repo.settle(token, settlements);
      kindDone();
      lost += settlements.length - settled.size;
      for (const s of settlements) {
        if (!settled.has(s.id)) continue;
        if (s.status === 'done' || s.status === 'ignored') {
          result.processed += 1;
          this.metrics.inc(
            'buffalo_outbox_processed_total',
            { kind, status: s.status },
            1,
            'Outbox rows processed (done or ignored)',
          );
          continue;
        }
        result.failed += 1;
        this.metrics.inc(
          'buffalo_outbox_failed_total',
          { kind, failure_class: s.failureClass ?? 'transient' },
          1,
          'Outbox row attempts that failed',
        );
        if (s.status === 'dead') {
          result.dead += 1;
          this.metrics.inc(
            'buffalo_outbox_dead_total',
            { kind, failure_class: s.failureClass ?? 'unknown' },
            1,
            'Outbox rows parked as dead',
          );
          logger.warn('outbox event dead', { outboxId: s.id, kind, failureClass: s.failureClass, error: s.error });
        }
      }
    }
    if (lost)
      logger.warn('outbox lease lost before settling; another worker owns these rows now', {
        workerId: this.workerId,
        rows: lost,
      });
    const ms = performance.now() - t0;
    this.metrics.observe('buffalo_outbox_batch_duration_seconds', {}, ms / 1000);
    logger.info('outbox batch', {
      workerId: this.workerId,
      claimed: rows.length,
      processed: result.processed,
      failed: result.failed,
      dead: result.dead,
      ms: Math.round(ms),
    });
    return result;
  }

  /** A throwing handler fails no innocent row: the batch is retried row by row to isolate the poison one. */
  private async dispatch(kind: string, rows: OutboxRow[], ctx: HandlerContext): Promise<Map<string, RowOutcome>> {
    const handler = this.registry.get(kind as OutboxKind);
    if (!handler) {
      const outcome: RowOutcome = {
        status: 'failed',
        failureClass: 'unsupported',
        error: `no handler for outbox kind "${kind}"`,
      };
      return new Map(rows.map((r) => [r.id, outcome]));
    }
    try {
      return await handler.handle(rows, ctx);
    } catch (err) {
      if (rows.length === 1) return new Map([[rows[0].id, outcomeFromError(err)]]);
      logger.warn('outbox handler threw for a batch; retrying its rows one by one', {
        kind,
        rows: rows.length,
        err: (err as Error)?.message,
      });
      const out = new Map<string, RowOutcome>();
      for (const row of rows) {
        try {
          const one = await handler.handle([row], ctx);
          const outcome = one.get(row.id);
          if (outcome) out.set(row.id, outcome);
        } catch (e) {
          out.set(row.id, outcomeFromError(e));
        }
      }
      return out;
    }
  }

  /** Returns expired leases to the queue and reports the rescue. Safe to run from every process. */
  async sweepLeases(): Promise<SweepResult> {
    const r = await this.repo.sweepExpiredLeases(this.config.worker.maxAttempts);
    if (r.requeued || r.dead) {
      logger.warn('outbox leases expired', { requeued: r.requeued, dead: r.dead, lockedBy: r.lockedBy });
      this.metrics.inc(
        'buffalo_outbox_leases_expired_total',
        {},
        r.requeued + r.dead,
        'Outbox rows whose worker lease expired',
      );
      this.wake();
    }
    return r;
  }

  /**
   * Deletes done/ignored rows older than OUTBOX_RETENTION_DAYS in batches. One process at a time
   * (advisory lock held for the whole run); returns null when another process holds it. Stops
   * between batches when the worker stops or `signal` aborts (shutdown); the next run continues.
   */
  async purgeRetention(signal?: AbortSignal): Promise<number | null> {
    const lock = await this.locks.tryAcquire(RETENTION_LOCK);
    if (!lock) return null;
    try {
      let deleted = 0;
      // Orphans are flagged a minute after their row is stored, days before its payload is old
      // enough to purge, so reading the holds once per run cannot miss one.
      const held = await this.orphans.heldOutboxIds();
      for (let i = 0; i < RETENTION_MAX_BATCHES && !this.stopping && !signal?.aborted; i++) {
        const n = await this.repo.purgeBatch(this.config.retention.doneDays, RETENTION_BATCH, held);
        deleted += n;
        if (n < RETENTION_BATCH) break;
      }
      if (deleted) logger.info('outbox retention purge', { deleted, olderThanDays: this.config.retention.doneDays });
      return deleted;
    } finally {
      await lock.release();
    }
  }
}
