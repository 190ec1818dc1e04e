import { Injectable } from '@nestjs/common';
import { Database, dateOrNull, type Sql } from '../database/database.sql.js';
import type { Source } from '../records/record.types.js';
import type { SyncMode } from './sync.drivers.js';
import type { RunFilter, RunOutcome, RunStatus, RunTrigger, SyncRun } from './run.types.js';

/** What readiness reports per vendor. */
export interface SourceSyncState {
  source: Source;
  /** Last finish of a succeeded or partial run. */
  lastSync: Date | null;
  /** Status and error of the latest finished run that did something (skipped runs do not count). */
  lastStatus: RunStatus | null;
  lastError: string | null;
}

const COLUMNS = `id, source, entity, mode, status, trigger, created_at, started_at, finished_at, heartbeat_at,
  cursor_before, cursor_after, stale_cursor_detected, full_backfill_triggered, error, error_class,
  pages_fetched, records_fetched, records_upserted, records_deduped, records_failed, unmapped_statuses_seen`;

/** jsonb may come back parsed or as text depending on the driver's type parsers. */
function json(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') {
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }
  return v;
}

function textArray(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string' && v.startsWith('{')) {
    // Postgres array literal fallback; statuses are short tokens, quoted when they contain specials.
    const inner = v.slice(1, -1);
    if (inner === '') return [];
    return inner.match(/"((?:[^"\\]|\\.)*)"|[^,]+/g)?.map((s) => (s.startsWith('"') ? s.slice(1, -1).replace(/\\(.)/g, '$1') : s)) ?? [];
  }
  return [];
}

function toRun(r: any): SyncRun {
  return {
    id: String(r.id),
    source: r.source,
    entity: r.entity,
    mode: r.mode,
    status: r.status,
    trigger: r.trigger,
    createdAt: new Date(r.created_at),
    startedAt: dateOrNull(r.started_at),
    finishedAt: dateOrNull(r.finished_at),
    heartbeatAt: dateOrNull(r.heartbeat_at),
    cursorBefore: json(r.cursor_before),
    cursorAfter: json(r.cursor_after),
    staleCursorDetected: r.stale_cursor_detected === true,
    fullBackfillTriggered: r.full_backfill_triggered === true,
    error: r.error ?? null,
    errorClass: r.error_class ?? null,
    counts: {
      pagesFetched: Number(r.pages_fetched),
      recordsFetched: Number(r.records_fetched),
      recordsUpserted: Number(r.records_upserted),
      recordsDeduped: Number(r.records_deduped),
      recordsFailed: Number(r.records_failed),
    },
    unmappedStatusesSeen: textArray(r.unmapped_statuses_seen),
  };
}

/** jsonb parameter: SQL NULL for "no cursor", otherwise the JSON text. */
const jsonParam = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));

/** All SQL on sync_runs and sync_cursors. Methods taking `sql` join the caller's transaction. */
@Injectable()
export class RunsRepository {
  constructor(private readonly db: Database) {}

  /** One queued run per entity, in the given order. */
  async createQueued(source: Source, mode: SyncMode, trigger: RunTrigger, entities: readonly string[]): Promise<{ id: string; entity: string }[]> {
    const rows = await this.db.query<{ id: string; entity: string; ord: string }>(
      `INSERT INTO sync_runs (source, entity, mode, trigger)
       SELECT $1, t.entity, $2, $3 FROM unnest($4::text[]) WITH ORDINALITY AS t(entity, ord) ORDER BY t.ord
       RETURNING id, entity`,
      [source, mode, trigger, entities],
    );
    const byEntity = new Map(rows.map((r) => [r.entity, String(r.id)]));
    return entities.map((entity) => ({ id: byEntity.get(entity)!, entity }));
  }

  async get(id: string): Promise<SyncRun | null> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM sync_runs WHERE id = $1::bigint`, [id]);
    return rows[0] ? toRun(rows[0]) : null;
  }

  async getMany(ids: readonly string[]): Promise<SyncRun[]> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM sync_runs WHERE id = ANY($1::bigint[]) ORDER BY id`, [ids]);
    return rows.map(toRun);
  }

  /** Newest first, keyset-paginated on id; fetches one extra row to know whether a next page exists. */
  async list(f: RunFilter): Promise<{ runs: SyncRun[]; nextBefore: string | null }> {
    const rows = await this.db.query(
      `SELECT ${COLUMNS} FROM sync_runs
        WHERE ($1::text IS NULL OR source = $1) AND ($2::text IS NULL OR status = $2)
          AND ($3::text IS NULL OR entity = $3) AND ($4::bigint IS NULL OR id < $4::bigint)
        ORDER BY id DESC LIMIT $5`,
      [f.source ?? null, f.status ?? null, f.entity ?? null, f.before ?? null, f.limit + 1],
    );
    const runs = rows.slice(0, f.limit).map(toRun);
    return { runs, nextBefore: rows.length > f.limit ? runs[runs.length - 1].id : null };
  }

  /** queued → running; false when the row is no longer queued (e.g. swept as abandoned). */
  async markRunning(id: string, cursorBefore: unknown): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE sync_runs SET status = 'running', started_at = now(), heartbeat_at = now(), cursor_before = $2::jsonb
        WHERE id = $1::bigint AND status = 'queued' RETURNING id`,
      [id, jsonParam(cursorBefore)],
    );
    return rows.length === 1;
  }

  async markSkipped(id: string, reason: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE sync_runs SET status = 'skipped', finished_at = now(), error = $2, error_class = 'locked'
        WHERE id = $1::bigint AND status = 'queued' RETURNING id`,
      [id, reason],
    );
    return rows.length === 1;
  }

  async heartbeat(id: string): Promise<void> {
    await this.db.query(`UPDATE sync_runs SET heartbeat_at = now() WHERE id = $1::bigint AND status = 'running'`, [id]);
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
    const rows = await this.db.query(
      `UPDATE sync_runs SET status = $2, finished_at = now(), heartbeat_at = now(), error = $3, error_class = $4,
              stale_cursor_detected = $5, full_backfill_triggered = $6, records_failed = $7,
              unmapped_statuses_seen = $8::text[], cursor_after = $9::jsonb
        WHERE id = $1::bigint AND status = 'running' RETURNING id`,
      [id, o.status, o.error, o.errorClass, o.staleCursorDetected, o.fullBackfillTriggered, o.recordsFailed, o.unmappedStatusesSeen, jsonParam(cursorAfter)],
    );
    return rows.length === 1;
  }

  /** Fails a run that never reached a verdict (shutdown timeout, dead process); no-op once finished. */
  async failUnfinished(id: string, error: string, errorClass: 'aborted' | 'abandoned' | 'internal'): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE sync_runs SET status = 'failed', finished_at = now(), error = $2, error_class = $3
        WHERE id = $1::bigint AND status IN ('queued','running') RETURNING id`,
      [id, error, errorClass],
    );
    return rows.length === 1;
  }

  /** Running runs whose heartbeat is older than the threshold: candidates for the abandoned sweep. */
  async staleRunning(olderThanMs: number): Promise<SyncRun[]> {
    const rows = await this.db.query(
      `SELECT ${COLUMNS} FROM sync_runs
        WHERE status = 'running' AND coalesce(heartbeat_at, started_at, created_at) < now() - make_interval(secs => $1::float8 / 1000)
        ORDER BY id LIMIT 100`,
      [olderThanMs],
    );
    return rows.map(toRun);
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
    const rows = await sql.query<{ cursor: unknown }>(`SELECT cursor FROM sync_cursors WHERE source = $1 AND entity = $2`, [source, entity]);
    return rows[0] ? json(rows[0].cursor) : null;
  }

  /** null clears the cursor (the next incremental run starts from scratch, which loses nothing). */
  async saveCursor(sql: Sql, source: Source, entity: string, cursor: unknown, runId: string): Promise<void> {
    if (cursor === null) return this.deleteCursor(sql, source, entity);
    await sql.query(
      `INSERT INTO sync_cursors (source, entity, cursor, run_id, updated_at) VALUES ($1, $2, $3::jsonb, $4::bigint, now())
       ON CONFLICT (source, entity) DO UPDATE SET cursor = excluded.cursor, run_id = excluded.run_id, updated_at = now()`,
      [source, entity, JSON.stringify(cursor), runId],
    );
  }

  async deleteCursor(sql: Sql, source: Source, entity: string): Promise<void> {
    await sql.query(`DELETE FROM sync_cursors WHERE source = $1 AND entity = $2`, [source, entity]);
  }

  /** One row per source that has runs. */
  async lastSyncBySource(): Promise<SourceSyncState[]> {
    const rows = await this.db.query<{ source: Source; last_sync: string | null; last_status: RunStatus | null; last_error: string | null }>(`
      SELECT s.source,
             (SELECT max(finished_at) FROM sync_runs r WHERE r.source = s.source AND r.status IN ('succeeded','partial')) AS last_sync,
             l.status AS last_status, l.error AS last_error
        FROM (SELECT DISTINCT source FROM sync_runs) s
        LEFT JOIN LATERAL (SELECT status, error FROM sync_runs r WHERE r.source = s.source AND r.finished_at IS NOT NULL
                            AND r.status <> 'skipped' ORDER BY r.finished_at DESC LIMIT 1) l ON true`);
    return rows.map((r) => ({ source: r.source, lastSync: dateOrNull(r.last_sync), lastStatus: r.last_status, lastError: r.last_error }));
  }
}
