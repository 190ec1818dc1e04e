import { Injectable } from '@nestjs/common';
import { raw, sql as rawSql } from '@mikro-orm/core';
import { Database, dateOrNull, type Row, type Sql } from '../database/database.sql.js';
import type { Source } from '../records/record.types.js';
import type { SyncMode } from './sync.drivers.js';
import type { RunFilter, RunOutcome, RunStatus, RunTrigger, SyncRun } from './run.types.js';
import { SyncRunEntity, type SyncRunRecord } from './sync-run.entity.js';
import { SyncCursorEntity } from './sync-cursor.entity.js';

/** What readiness reports per vendor. */
export interface SourceSyncState {
  source: Source;
  /** Last finish of a succeeded or partial run. */
  lastSync: Date | null;
  /** Status and error of the latest finished run that did something (skipped runs do not count). */
  lastStatus: RunStatus | null;
  lastError: string | null;
}

function toRun(r: SyncRunRecord): SyncRun {
  return {
    id: r.id,
    source: r.source,
    entity: r.entity,
    mode: r.mode,
    status: r.status,
    trigger: r.trigger,
    createdAt: r.createdAt,
    startedAt: r.startedAt ?? null,
    finishedAt: r.finishedAt ?? null,
    heartbeatAt: r.heartbeatAt ?? null,
    cursorBefore: r.cursorBefore ?? null,
    cursorAfter: r.cursorAfter ?? null,
    staleCursorDetected: r.staleCursorDetected,
    fullBackfillTriggered: r.fullBackfillTriggered,
    error: r.error ?? null,
    errorClass: r.errorClass ?? null,
    attempts: r.attempts,
    counts: {
      pagesFetched: r.pagesFetched,
      recordsFetched: r.recordsFetched,
      recordsUpserted: r.recordsUpserted,
      recordsDeduped: r.recordsDeduped,
      recordsFailed: r.recordsFailed,
    },
    unmappedStatusesSeen: r.unmappedStatusesSeen,
  };
}

/** The database's clock, as every timestamp of a run is (heartbeats and leases are compared against it). */
const now = () => rawSql.now();
/** now() plus a duration in ms, on the database's clock. */
const inMs = (ms: number) => raw('now() + make_interval(secs => ?)', [ms / 1000]);

/** NOTIFY channel raised when a run becomes claimable (queued or re-queued): workers LISTEN on it. */
export const RUNS_NOTIFY_CHANNEL = 'buffalo_sync_runs';

/** Which unfinished run a claim looks at: the oldest claimable one of some sources, or one given run. */
export type ClaimTarget = { sources: readonly Source[] } | { id: string; reservedFor: string };

/** What a claim reads of a run under its row lock. */
export interface ClaimCandidate {
  run: SyncRun;
  /** The lease of this run had been taken before (a worker started it, or it was re-queued). */
  started: boolean;
}

/**
 * All access to sync_runs and sync_cursors: single-row state changes through the entity manager,
 * guarded by the status they expect (so a swept run keeps its verdict); counters and sweeps in SQL.
 * Methods taking `sql` join the caller's transaction.
 */
@Injectable()
export class RunsRepository {
  constructor(private readonly db: Database) {}

  /**
   * One queued run per entity; ids ascend in the given order (one flush, one multi-row insert).
   * `reserve` leases them to one worker for a while (the process that queued them runs them
   * itself); otherwise every listening worker is notified on commit.
   */
  async createQueued(
    source: Source,
    mode: SyncMode,
    trigger: RunTrigger,
    entities: readonly string[],
    reserve: { owner: string; leaseMs: number } | null = null,
  ): Promise<{ id: string; entity: string }[]> {
    return this.db.tx(async (sql) => {
      const em = sql.em;
      const runs = entities.map((entity) =>
        em.create(SyncRunEntity, { source, entity, mode, trigger, cursorBefore: null, cursorAfter: null }),
      );
      await em.flush();
      const ids = runs.map((r) => r.id);
      if (reserve)
        await em.nativeUpdate(
          SyncRunEntity,
          { id: { $in: ids } },
          { leaseOwner: reserve.owner, leaseUntil: inMs(reserve.leaseMs) },
        );
      else await notifyClaimable(sql);
      return runs.map((r) => ({ id: r.id, entity: r.entity }));
    });
  }

  async get(id: string): Promise<SyncRun | null> {
    const run = await this.db.em.findOne(SyncRunEntity, { id });
    return run ? toRun(run) : null;
  }

  async getMany(ids: readonly string[]): Promise<SyncRun[]> {
    const runs = await this.db.em.find(SyncRunEntity, { id: { $in: [...ids] } }, { orderBy: { id: 'asc' } });
    return runs.map(toRun);
  }

  /** Newest first, keyset-paginated on id; fetches one extra row to know whether a next page exists. */
  async list(f: RunFilter): Promise<{ runs: SyncRun[]; nextBefore: string | null }> {
    const rows = await this.db.em.find(
      SyncRunEntity,
      {
        ...(f.source ? { source: f.source } : {}),
        ...(f.status ? { status: f.status } : {}),
        ...(f.entity ? { entity: f.entity } : {}),
        ...(f.before ? { id: { $lt: f.before } } : {}),
      },
      { orderBy: { id: 'desc' }, limit: f.limit + 1 },
    );
    const runs = rows.slice(0, f.limit).map(toRun);
    return { runs, nextBefore: rows.length > f.limit ? runs[runs.length - 1].id : null };
  }

  /**
   * The claimable run of a target, row-locked until the caller's transaction ends. Claimable: not
   * finished, and its lease is free or expired (or, for a given run, reserved for the claimer).
   * Other workers skip a row being claimed instead of waiting for it.
   */
  async lockClaimable(sql: Sql, target: ClaimTarget): Promise<ClaimCandidate | null> {
    const free = `status IN ('queued','running') AND (lease_until IS NULL OR lease_until < now())`;
    const rows =
      'id' in target
        ? await sql.query<Row>(
            `SELECT * FROM sync_runs WHERE id = $1::bigint AND (${free} OR (status IN ('queued','running') AND lease_owner = $2))
              FOR UPDATE`,
            [target.id, target.reservedFor],
          )
        : await sql.query<Row>(
            `SELECT * FROM sync_runs WHERE ${free} AND source = ANY($1::text[])
              ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`,
            [[...target.sources]],
          );
    if (!rows[0]) return null;
    const run = toRun(sql.em.map(SyncRunEntity, rows[0]));
    return { run, started: run.startedAt !== null };
  }

  /**
   * A claim under the run's lock: the run is `running` under the claim's token for one lease, one
   * more attempt. The first start records when and from which cursor; a resumption keeps both.
   */
  async takeClaim(sql: Sql, id: string, token: string, leaseMs: number, cursorNow: unknown): Promise<SyncRun> {
    const [row] = await sql.query<Row>(
      `UPDATE sync_runs SET status = 'running', lease_owner = $2, lease_until = now() + make_interval(secs => $3::float8 / 1000),
              heartbeat_at = now(), attempts = attempts + 1, started_at = coalesce(started_at, now()),
              cursor_before = CASE WHEN started_at IS NULL THEN $4::jsonb ELSE cursor_before END
        WHERE id = $1::bigint RETURNING *`,
      [id, token, leaseMs, cursorNow === null || cursorNow === undefined ? null : JSON.stringify(cursorNow)],
    );
    return toRun(sql.em.map(SyncRunEntity, row));
  }

  /** A claimed run that never started while another run of its entity held the lock. */
  async markSkipped(sql: Sql, id: string, reason: string): Promise<void> {
    await sql.em.nativeUpdate(
      SyncRunEntity,
      { id, status: 'queued' },
      { status: 'skipped', finishedAt: now(), error: reason, errorClass: 'locked', leaseOwner: null, leaseUntil: null },
    );
  }

  /** Looks at the run again after `ms` at the earliest; its lease holder, if alive, keeps it. */
  async deferClaim(sql: Sql, id: string, ms: number): Promise<void> {
    await sql.em.nativeUpdate(SyncRunEntity, { id }, { leaseUntil: inMs(ms) });
  }

  /** Extends the claim's lease; false when the claim no longer holds the run (it was taken over). */
  async renewLease(id: string, token: string, leaseMs: number): Promise<boolean> {
    const n = await this.db.em.nativeUpdate(
      SyncRunEntity,
      { id, status: 'running', leaseOwner: token },
      { heartbeatAt: now(), leaseUntil: inMs(leaseMs) },
    );
    return n === 1;
  }

  /** Inside the caller's transaction: whether the claim still holds the run (renewing its lease if so). */
  async touchClaim(sql: Sql, id: string, token: string, leaseMs: number): Promise<boolean> {
    const n = await sql.em.nativeUpdate(
      SyncRunEntity,
      { id, status: 'running', leaseOwner: token },
      { heartbeatAt: now(), leaseUntil: inMs(leaseMs) },
    );
    return n === 1;
  }

  /**
   * Counts of one committed page; runs inside the page transaction so counts match what is stored,
   * and renews the lease. False when the claim no longer holds the run: the caller must roll back.
   */
  async addPage(
    sql: Sql,
    id: string,
    token: string,
    leaseMs: number,
    page: {
      pages: number;
      fetched: number;
      inserted: number;
      duplicates: number;
      failedTotal: number;
      unmapped: readonly string[];
    },
  ): Promise<boolean> {
    const rows = await sql.query(
      `UPDATE sync_runs SET pages_fetched = pages_fetched + $9, records_fetched = records_fetched + $2,
              records_upserted = records_upserted + $3, records_deduped = records_deduped + $4,
              records_failed = $5, unmapped_statuses_seen = $6::text[], heartbeat_at = now(),
              lease_until = now() + make_interval(secs => $8::float8 / 1000)
        WHERE id = $1::bigint AND status = 'running' AND lease_owner = $7 RETURNING id`,
      [id, page.fetched, page.inserted, page.duplicates, page.failedTotal, page.unmapped, token, leaseMs, page.pages],
    );
    return rows.length === 1;
  }

  /**
   * Back to the queue, as it is (cursor and counts kept): the claim stopped without a verdict
   * (shutdown). Not counted as an attempt. False when the claim no longer holds the run. An
   * expired `lease_until` marks when a run became claimable again.
   */
  async requeue(id: string, token: string): Promise<boolean> {
    return this.db.tx(async (sql) => {
      const rows = await sql.query(
        `UPDATE sync_runs SET status = 'queued', lease_owner = NULL, lease_until = now(), attempts = greatest(attempts - 1, 0)
          WHERE id = $1::bigint AND status = 'running' AND lease_owner = $2 RETURNING id`,
        [id, token],
      );
      if (rows.length) await notifyClaimable(sql);
      return rows.length === 1;
    });
  }

  /** Final state of a run; only the claim that holds it can write it (a swept or taken-over one keeps its state). */
  async finish(id: string, token: string, o: RunOutcome, cursorAfter: unknown): Promise<boolean> {
    const n = await this.db.em.nativeUpdate(
      SyncRunEntity,
      { id, status: 'running', leaseOwner: token },
      {
        status: o.status,
        finishedAt: now(),
        heartbeatAt: now(),
        error: o.error,
        errorClass: o.errorClass,
        staleCursorDetected: o.staleCursorDetected,
        fullBackfillTriggered: o.fullBackfillTriggered,
        recordsFailed: o.recordsFailed,
        unmappedStatusesSeen: o.unmappedStatusesSeen,
        cursorAfter,
      },
    );
    return n === 1;
  }

  /**
   * Fails a run that never reached a verdict; no-op once finished. With `token`, only while that
   * claim still holds the run (a run taken over by another worker is not failed by the old one).
   */
  async failUnfinished(
    id: string,
    error: string,
    errorClass: 'aborted' | 'abandoned' | 'internal',
    sql: Sql = this.db,
    token?: string,
  ): Promise<boolean> {
    const n = await sql.em.nativeUpdate(
      SyncRunEntity,
      { id, status: { $in: ['queued', 'running'] }, ...(token ? { leaseOwner: token } : {}) },
      { status: 'failed', finishedAt: now(), error, errorClass, leaseUntil: null },
    );
    return n === 1;
  }

  /** Running runs whose lease has expired: their process stopped renewing it (or is stalled). */
  async expiredRunning(limit = 100): Promise<SyncRun[]> {
    const em = this.db.em;
    const rows = await this.db.query<Row>(
      `SELECT * FROM sync_runs
        WHERE status = 'running' AND (lease_until IS NULL OR lease_until < now())
        ORDER BY id LIMIT $1`,
      [limit],
    );
    // em.map reads the raw row as the entity, converting columns exactly as a find would.
    return rows.map((r) => toRun(em.map(SyncRunEntity, r)));
  }

  /**
   * A running run whose lease expired and whose lock nobody holds lost its process: back to the
   * queue, or failed once it has been started `maxAttempts` times. Returns what it became (null
   * when the run is no longer in that state, e.g. a worker claimed it meanwhile).
   */
  async requeueExpired(id: string, maxAttempts: number, failure: string): Promise<'queued' | 'failed' | null> {
    return this.db.tx(async (sql) => {
      const rows = await sql.query<{ status: 'queued' | 'failed' }>(
        `UPDATE sync_runs SET
                status = CASE WHEN attempts >= $2 THEN 'failed' ELSE 'queued' END,
                finished_at = CASE WHEN attempts >= $2 THEN now() END,
                error = CASE WHEN attempts >= $2 THEN $3 END,
                error_class = CASE WHEN attempts >= $2 THEN 'abandoned' END,
                lease_owner = NULL, lease_until = CASE WHEN attempts < $2 THEN now() END
          WHERE id = $1::bigint AND status = 'running' AND (lease_until IS NULL OR lease_until < now())
          RETURNING status`,
        [id, maxAttempts, failure],
      );
      if (rows[0]?.status === 'queued') await notifyClaimable(sql);
      return rows[0]?.status ?? null;
    });
  }

  /**
   * Queued runs that no worker claimed within the threshold, counted from when they became
   * claimable (queued, re-queued, or their reservation ended): no process with the worker role
   * (and the source's credentials) is running.
   */
  async failUnclaimed(olderThanMs: number, error: string): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      `UPDATE sync_runs SET status = 'failed', finished_at = now(), error_class = 'abandoned', error = $2,
              lease_owner = NULL, lease_until = NULL
        WHERE status = 'queued' AND (lease_until IS NULL OR lease_until < now())
          AND coalesce(lease_until, created_at) < now() - make_interval(secs => $1::float8 / 1000) RETURNING id`,
      [olderThanMs, error],
    );
    return rows.map((r) => String(r.id));
  }

  async loadCursor(source: Source, entity: string, sql: Sql = this.db): Promise<unknown> {
    return (await this.loadCursorRow(source, entity, sql)).cursor;
  }

  /** The stored cursor and the run that committed it. */
  async loadCursorRow(
    source: Source,
    entity: string,
    sql: Sql = this.db,
  ): Promise<{ cursor: unknown; runId: string | null }> {
    // Past the identity map: in a caller's transaction it may hold a cursor deleted since (nativeDelete leaves it).
    const row = await sql.em.findOne(SyncCursorEntity, { source, entity }, { disableIdentityMap: true });
    return { cursor: row?.cursor ?? null, runId: row?.runId ?? null };
  }

  /** null clears the cursor (the next incremental run starts from scratch, which loses nothing). */
  async saveCursor(sql: Sql, source: Source, entity: string, cursor: unknown, runId: string): Promise<void> {
    if (cursor === null) return this.deleteCursor(sql, source, entity);
    // upsert sets every given field on conflict; updatedAt is given, as upserts skip onUpdate hooks.
    await sql.em.upsert(SyncCursorEntity, { source, entity, cursor, runId, updatedAt: now() });
  }

  async deleteCursor(sql: Sql, source: Source, entity: string): Promise<void> {
    await sql.em.nativeDelete(SyncCursorEntity, { source, entity });
  }

  /**
   * Per source and entity, its latest run with a verdict on the sync itself: skipped runs (another
   * held the lock) and runs interrupted by a shutdown say nothing about it and are passed over.
   */
  async latestVerdicts(): Promise<SyncRun[]> {
    const em = this.db.em;
    const rows = await this.db.query<Row>(
      `SELECT DISTINCT ON (source, entity) * FROM sync_runs
        WHERE status IN ('succeeded','partial','failed') AND finished_at IS NOT NULL
          AND error_class IS DISTINCT FROM 'aborted'
        ORDER BY source, entity, finished_at DESC, id DESC`,
    );
    return rows.map((r) => toRun(em.map(SyncRunEntity, r)));
  }

  /** One row per source that has runs. */
  async lastSyncBySource(): Promise<SourceSyncState[]> {
    const rows = await this.db.query<{
      source: Source;
      last_sync: string | null;
      last_status: RunStatus | null;
      last_error: string | null;
    }>(`
      SELECT s.source,
             (SELECT max(finished_at) FROM sync_runs r WHERE r.source = s.source AND r.status IN ('succeeded','partial')) AS last_sync,
             l.status AS last_status, l.error AS last_error
        FROM (SELECT DISTINCT source FROM sync_runs) s
        LEFT JOIN LATERAL (SELECT status, error FROM sync_runs r WHERE r.source = s.source AND r.finished_at IS NOT NULL
                            AND r.status <> 'skipped' ORDER BY r.finished_at DESC LIMIT 1) l ON true`);
    return rows.map((r) => ({
      source: r.source,
      lastSync: dateOrNull(r.last_sync),
      lastStatus: r.last_status,
      lastError: r.last_error,
    }));
  }
}

async function notifyClaimable(sql: Sql): Promise<void> {
  await sql.query(`SELECT pg_notify($1, '')`, [RUNS_NOTIFY_CHANNEL]);
}
