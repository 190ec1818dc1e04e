import { Injectable } from '@nestjs/common';
import type { Sql } from '../database/database.sql.js';

export interface SyncCoverage {
  /** A run is queued and has not listed anything yet: it will see every change so far. */
  pending: boolean;
  /** A run started listing at or after the given instant (it sees changes notified before it). */
  startedAfter: boolean;
  /** A run is listing right now but started before the instant: it may miss the change. */
  runningBefore: boolean;
}

/** A queued run older than this was orphaned by a dead process (the runs sweeper fails it later). */
const PENDING_MAX_AGE = '5 minutes';

/**
 * Whether a change notified at an instant already has a sync run of (source, entity) that will
 * see it: push notifications (Google Calendar) use it to trigger one run per burst.
 */
@Injectable()
export class SyncCoverageRepository {
  async coverage(sql: Sql, source: string, entity: string, notifiedAt: Date): Promise<SyncCoverage> {
    const rows = await sql.query<{ pending: boolean; started_after: boolean; running_before: boolean }>(
      `SELECT coalesce(bool_or(status = 'queued' AND created_at > now() - interval '${PENDING_MAX_AGE}'), false) AS pending,
              coalesce(bool_or(status IN ('running','succeeded','partial') AND started_at >= $2::timestamptz), false) AS started_after,
              coalesce(bool_or(status = 'running' AND started_at < $2::timestamptz), false) AS running_before
         FROM sync_runs
        WHERE source = $3 AND entity = $1
          AND (status IN ('queued','running') OR created_at > $2::timestamptz - interval '1 day')`,
      [entity, notifiedAt.toISOString(), source],
    );
    const r = rows[0];
    return { pending: !!r?.pending, startedAfter: !!r?.started_after, runningBefore: !!r?.running_before };
  }
}
