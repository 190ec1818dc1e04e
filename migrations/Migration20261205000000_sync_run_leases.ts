import { Migration } from '@mikro-orm/migrations';

/**
 * Sync runs become queued work: a worker claims a run with a lease it renews while the run goes
 * on (`lease_owner` is that claim's token, which every page commit and the verdict must still
 * match), and `attempts` counts how many times a worker started it, so a run whose process keeps
 * dying is failed after a bounded number of resumptions.
 */
export class Migration20261205000000_sync_run_leases extends Migration {
  override name = 'Migration20261205000000_sync_run_leases';

  override up(): void {
    this.addSql(`ALTER TABLE sync_runs
      ADD COLUMN attempts    integer NOT NULL DEFAULT 0,
      ADD COLUMN lease_owner text,
      ADD COLUMN lease_until timestamptz`);
    // Runs already running when this ships keep the liveness the old sweep judged them by.
    this.addSql(`UPDATE sync_runs
        SET attempts = 1, lease_until = coalesce(heartbeat_at, started_at, created_at) + interval '2 minutes'
      WHERE status = 'running'`);
    // The claim scans only unfinished runs, oldest first.
    this.addSql(`CREATE INDEX sync_runs_unfinished ON sync_runs (id) WHERE status IN ('queued','running')`);
  }

  override down(): void {
    this.addSql('DROP INDEX IF EXISTS sync_runs_unfinished');
    this.addSql('ALTER TABLE sync_runs DROP COLUMN attempts, DROP COLUMN lease_owner, DROP COLUMN lease_until');
  }
}
