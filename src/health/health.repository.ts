import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.sql.js';

export interface VendorSyncState {
  source: string;
  lastSync: Date | null;
  lastStatus: string | null;
  lastError: string | null;
}

@Injectable()
export class HealthRepository {
  constructor(private readonly db: Database) {}

  /** Last successful finish and the latest finished run's status, per source. */
  async vendorStates(): Promise<VendorSyncState[]> {
    const rows = await this.db.query<{ source: string; last_sync: string | null; last_status: string | null; last_error: string | null }>(`
      SELECT s.source,
             (SELECT max(finished_at) FROM sync_runs r WHERE r.source = s.source AND r.status IN ('succeeded','partial')) AS last_sync,
             l.status AS last_status, l.error AS last_error
        FROM (SELECT DISTINCT source FROM sync_runs) s
        LEFT JOIN LATERAL (SELECT status, error FROM sync_runs r WHERE r.source = s.source AND r.finished_at IS NOT NULL
                            AND r.status <> 'skipped' ORDER BY r.finished_at DESC LIMIT 1) l ON true`);
    return rows.map((r) => ({ source: r.source, lastSync: r.last_sync ? new Date(r.last_sync) : null, lastStatus: r.last_status, lastError: r.last_error }));
  }

  async outboxGauges(): Promise<{ status: string; source: string; count: number }[]> {
    const rows = await this.db.query<{ status: string; source: string; n: number }>(`SELECT status, source, count(*)::int AS n FROM ingest_outbox GROUP BY 1, 2`);
    return rows.map((r) => ({ status: r.status, source: r.source, count: Number(r.n) }));
  }
}
