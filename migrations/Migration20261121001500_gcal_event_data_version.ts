import { Migration } from '@mikro-orm/migrations';

/**
 * Calendar events: the series rule of recurring masters, and the version of the newest payload
 * that carried data. A cancellation arrives with almost no fields: it advances the row version
 * (status, deleted_at) but not the data version, so summary/start stay those of the newest
 * complete payload whatever order the payloads are applied in.
 */
export class Migration20261121001500_gcal_event_data_version extends Migration {
  override name = 'Migration20261121001500_gcal_event_data_version';

  override up(): void {
    this.addSql(`ALTER TABLE events
      ADD COLUMN recurrence            text[],
      ADD COLUMN data_version_at       timestamptz,
      ADD COLUMN data_version_rank     integer,
      ADD COLUMN data_version_tiebreak text`);
    this.addSql(
      `CREATE INDEX events_series ON events (calendar_id, recurring_event_id) WHERE recurring_event_id IS NOT NULL`,
    );
  }

  override down(): void {
    this.addSql('DROP INDEX IF EXISTS events_series');
    this.addSql(
      'ALTER TABLE events DROP COLUMN recurrence, DROP COLUMN data_version_at, DROP COLUMN data_version_rank, DROP COLUMN data_version_tiebreak',
    );
  }
}
