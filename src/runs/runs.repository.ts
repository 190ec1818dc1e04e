import { Injectable } from '@nestjs/common';
import { sql as raw } from '@mikro-orm/core';
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

/** The database's clock, as every timestamp of a run is (heartbeats are compared against it). */
const now = () => raw.now();

/**
 * All access to sync_runs and sync_cursors: single-row state changes through the entity manager,
 * guarded by the status they expect (so a swept run keeps its verdict); counters and sweeps in SQL.
 * Methods taking `sql` join the caller's transaction.
 */
@Injectable()
export class RunsRepository {
  constructor(private readonly db: Database) {}

  /** One queued run per entity; ids ascend in the given order (one flush, one multi-row insert). */
  async createQueued(
    source: Source,
    mode: SyncMode,
    trigger: RunTrigger,
    entities: readonly string[],
  ): Promise<{ id: string; entity: string }[]> {
    const em = this.db.em;
    const runs = entities.map((entity) =>
      em.create(SyncRunEntity, { source, entity, mode, trigger, cursorBefore: null, cursorAfter: null }),
    );
    await em.flush();
    return runs.map((r) => ({ id: r.id, entity: r.entity }));
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

  /** queued → running; false when the row is no longer queued (e.g. swept as abandoned). */
  async markRunning(id: string, cursorBefore: unknown): Promise<boolean> {
    const n = await this.db.em.nativeUpdate(
      SyncRunEntity,
      { id, status: 'queued' },
      { status: 'running', startedAt: now(), heartbeatAt: now(), cursorBefore },
    );
    return n === 1;
  }

  async markSkipped(id: string, reason: string): Promise<boolean> {
    const n = await this.db.em.nativeUpdate(
      SyncRunEntity,
      { id, status: 'queued' },
      { status: 'skipped', finishedAt: now(), error: reason, errorClass: 'locked' },
    );
    return n === 1;
  }

  async heartbeat(id: string): Promise<void> {
    await this.db.em.nativeUpdate(SyncRunEntity, { id, status: 'running' }, { heartbeatAt: now() });
  }

  /** Counts of one committed page; runs inside the page transaction so counts match what is stored. */
  async addPage(
    sql: Sql,
    id: string,
    page: { fetched: number; inserted: number; duplicates: number; failedTotal: number; unmapped: readonly string[] },
  ): Promise<void> {
    await sql.query(
      `UPDATE sync_runs SET pages_fetched = pages_fetched + 1, records_fetched = records_fetched + $2,
              records_upserted = records_upserted + $3, records_deduped = records_deduped + $4,
              records_failed = $5, unmapped_statuses_seen = $6::text[], heartbeat_at = now()
        WHERE id = $1::bigint`,
      [id, page.fetched, page.inserted, page.duplicates, page.failedTotal, page.unmapped],
    );
  }

  /** Final state of a run; only a `running` row can finish (a swept one keeps its verdict). */
  async finish(id: string, o: RunOutcome, cursorAfter: unknown): Promise<boolean> {
    const n = await this.db.em.nativeUpdate(
      SyncRunEntity,
      { id, status: 'running' },
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

  /** Fails a run that never reached a verdict (shutdown timeout, dead process); no-op once finished. */
  async failUnfinished(id: string, error: string, errorClass: 'aborted' | 'abandoned' | 'internal'): Promise<boolean> {
    const n = await this.db.em.nativeUpdate(
      SyncRunEntity,
      { id, status: { $in: ['queued', 'running'] } },
      { status: 'failed', finishedAt: now(), error, errorClass },
    );
    return n === 1;
  }

  /** Running runs whose heartbeat is older than the threshold: candidates for the abandoned sweep. */
  async staleRunning(olderThanMs: number): Promise<SyncRun[]> {
    const em = this.db.em;
    const rows = await this.db.query<Row>(
      `SELECT * FROM sync_runs
        WHERE status = 'running' AND coalesce(heartbeat_at, started_at, created_at) < now() - make_interval(secs => $1::float8 / 1000)
        ORDER BY id LIMIT 100`,
      [olderThanMs],
    );
    // em.map reads the raw row as the entity, converting columns exactly as a find would.
    return rows.map((r) => toRun(em.map(SyncRunEntity, r)));
  }

  /** Queued runs that no process picked up within the threshold (the process died right after the insert). */
  async failStaleQueued(olderThanMs: number): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      `UPDATE sync_runs SET status = 'failed', finished_at = now(), error_class = 'abandoned',
              error = 'abandoned: the run was queued but never started (its process stopped)'
        WHERE status = 'queued' AND created_at < now() - make_interval(secs => $1::float8 / 1000) RETURNING id`,
      [olderThanMs],
    );
    return rows.map((r) => String(r.id));
  }

  async loadCursor(source: Source, entity: string, sql: Sql = this.db): Promise<unknown | null> {
    // Past the identity map: in a caller's transaction it may hold a cursor deleted since (nativeDelete leaves it).
    const row = await sql.em.findOne(SyncCursorEntity, { source, entity }, { disableIdentityMap: true });
    return row?.cursor ?? null;
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
