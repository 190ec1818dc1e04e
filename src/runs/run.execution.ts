import { randomUUID } from 'node:crypto';
import type { Database, Sql } from '../database/database.sql.js';
import { logger } from '../common/app.logger.js';
import type { OutboxInsertRepository } from '../outbox/outbox-insert.repository.js';
import type { OutboxInsert } from '../outbox/outbox.types.js';
import { SyncError, type PageCommit, type SyncContext, type SyncDriver, type SyncMode } from './sync.drivers.js';
import type { RunsRepository } from './runs.repository.js';
import type { RunErrorClass, RunOutcome, SyncRun } from './run.types.js';

const MAX_UNMAPPED = 50;
const MAX_ERROR_CHARS = 500;

/** The claim a run executes under: every write of the run checks that it still holds it. */
export interface RunLease {
  token: string;
  leaseMs: number;
}

/** Where this attempt starts: the stored cursor, in the run's mode (or incremental, see RunsWorker). */
export interface RunStart {
  mode: SyncMode;
  cursor: unknown;
}

/**
 * The claim no longer holds the run (its lease expired and another worker took it over): the
 * write that found out is rolled back, so a worker that lost a run never commits a page of it.
 */
export class LeaseLostError extends Error {
  constructor(runId: string) {
    super(`sync run ${runId} was taken over by another worker (its lease had expired)`);
  }
}

/**
 * One attempt at a run, already under the run's lock and claim: builds the SyncContext, handles a
 * stale cursor by wiping it and resyncing in full within the same run, and turns the result into
 * the run's verdict. Auth errors never touch the cursor: a revoked key is not a stale cursor. A
 * resumed run starts from the counts its earlier attempts committed.
 */
export class RunExecution {
  private pages: number;
  private failed: number;
  private readonly unmapped: Set<string>;
  private stale: boolean;
  private full: boolean;
  /** Set once a write found the claim gone: the run belongs to another worker now. */
  leaseLost = false;

  constructor(
    private readonly run: SyncRun,
    private readonly start: RunStart,
    private readonly db: Database,
    private readonly repo: RunsRepository,
    private readonly outbox: OutboxInsertRepository,
    private readonly signal: AbortSignal,
    private readonly lease: RunLease,
  ) {
    this.pages = run.counts.pagesFetched;
    this.failed = run.counts.recordsFailed;
    this.unmapped = new Set(run.unmappedStatusesSeen);
    this.stale = run.staleCursorDetected;
    this.full = run.fullBackfillTriggered;
  }

  async execute(driver: SyncDriver | undefined): Promise<RunOutcome> {
    if (!driver) return this.outcome('failed', `no sync driver is registered for ${this.run.source}`, 'permanent');
    try {
      try {
        await driver.sync(this.context(this.start.mode, this.start.cursor));
      } catch (err) {
        if (!(err instanceof SyncError && err.errorClass === 'stale_cursor') || this.signal.aborted) throw err;
        logger.warn('stale cursor: cleared, resyncing in full', {
          source: this.run.source,
          entity: this.run.entity,
          reason: err.message,
        });
        await this.fenced((sql) => this.repo.deleteCursor(sql, this.run.source, this.run.entity));
        this.stale = true;
        this.full = true;
        await driver.sync(this.context('full', null));
      }
    } catch (err) {
      return this.failure(err);
    }
    if (this.signal.aborted) return this.interrupted();
    return this.outcome('succeeded', null, null);
  }

  private context(mode: SyncMode, cursor: unknown): SyncContext {
    const { id: runId, source, entity } = this.run;
    return {
      runId,
      source,
      entity,
      mode,
      cursor: cursor ?? null,
      signal: this.signal,
      commitPage: (rows, nextCursor, pages) => this.commitPage(rows, nextCursor, pages),
      saveCursor: (c) => this.fenced((sql) => this.repo.saveCursor(sql, source, entity, c, runId)),
      clearCursor: () => this.fenced((sql) => this.repo.deleteCursor(sql, source, entity)),
      markStaleCursor: () => {
        this.stale = true;
      },
      markFullBackfill: () => {
        this.full = true;
      },
      noteUnmappedStatus: (raw) => {
        if (this.unmapped.size < MAX_UNMAPPED) this.unmapped.add(String(raw).slice(0, 100));
      },
      noteFailed: (n = 1) => {
        this.failed += n;
      },
      progress: (message, fields) => logger.info(message, { source, entity, ...fields }),
    };
  }

  /** Rows, cursor and the run's counts in one transaction: a crash leaves all or none of them. */
  private async commitPage(rows: OutboxInsert[], nextCursor?: unknown, pages = 1): Promise<PageCommit> {
    const { id: runId, source, entity } = this.run;
    const foreign = rows.find((r) => r.source !== source);
    if (foreign) throw new Error(`driver for ${source} produced a ${foreign.source} row`);
    const tagged = rows.map((r) => (r.runId ? r : { ...r, runId }));
    const res = await this.db.tx(async (sql) => {
      const ins = await this.outbox.insertMany(sql, tagged);
      if (nextCursor !== undefined) await this.repo.saveCursor(sql, source, entity, nextCursor, runId);
      const held = await this.repo.addPage(sql, runId, this.lease.token, this.lease.leaseMs, {
        pages,
        fetched: rows.length,
        inserted: ins.inserted,
        duplicates: ins.duplicates,
        failedTotal: this.failed,
        unmapped: [...this.unmapped].sort(),
      });
      if (!held) this.lost();
      return ins;
    });
    this.pages += pages;
    logger.debug('page committed', {
      source,
      entity,
      page: this.pages,
      rows: rows.length,
      inserted: res.inserted,
      duplicates: res.duplicates,
    });
    return { inserted: res.inserted, duplicates: res.duplicates };
  }

  /** A cursor write without rows, in a transaction that first checks (and renews) the claim. */
  private async fenced(write: (sql: Sql) => Promise<void>): Promise<void> {
    await this.db.tx(async (sql) => {
      if (!(await this.repo.touchClaim(sql, this.run.id, this.lease.token, this.lease.leaseMs))) this.lost();
      await write(sql);
    });
  }

  private lost(): never {
    this.leaseLost = true;
    throw new LeaseLostError(this.run.id);
  }

  private failure(err: unknown): RunOutcome {
    if (this.leaseLost) return this.outcome(this.pages > 0 ? 'partial' : 'failed', (err as Error).message, 'aborted');
    if (this.signal.aborted || (err as Error)?.name === 'AbortError') return this.interrupted();
    if (err instanceof SyncError) {
      const message = truncate(err.message || err.errorClass);
      // Pages already committed are stored either way; `partial` says the rest is still to come.
      if (err.errorClass === 'transient')
        return this.outcome(this.pages > 0 ? 'partial' : 'failed', message, 'transient');
      return this.outcome('failed', message, err.errorClass);
    }
    // Driver or database text never reaches the API: the run carries an errorId that is in the log.
    const errorId = randomUUID();
    logger.error('sync driver failed unexpectedly', {
      errorId,
      source: this.run.source,
      entity: this.run.entity,
      err: (err as Error)?.message,
    });
    return this.outcome(this.pages > 0 ? 'partial' : 'failed', internalErrorText(errorId), 'internal');
  }

  private interrupted(): RunOutcome {
    return this.outcome(this.pages > 0 ? 'partial' : 'failed', 'interrupted by shutdown', 'aborted');
  }

  private outcome(status: RunOutcome['status'], error: string | null, errorClass: RunErrorClass | null): RunOutcome {
    return {
      status,
      error,
      errorClass,
      staleCursorDetected: this.stale,
      fullBackfillTriggered: this.full,
      recordsFailed: this.failed,
      unmappedStatusesSeen: [...this.unmapped].sort(),
    };
  }
}

const truncate = (s: string) => (s.length > MAX_ERROR_CHARS ? `${s.slice(0, MAX_ERROR_CHARS - 1)}…` : s);

/** What a run records for an unexpected failure: a pointer into the logs, not the driver's text. */
export function internalErrorText(errorId: string): string {
  return `internal error (errorId ${errorId}); details are in the logs`;
}
