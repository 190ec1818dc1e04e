import { Migration } from '@mikro-orm/migrations';

/**
 * Alerts (issue 10): one row per firing of a condition for a subject, resolved in place when the
 * condition clears. A partial unique index keeps one open alert per (condition, subject), so a
 * double-fired evaluation cannot open two.
 *
 * Deliveries are ingest_outbox rows like any other work, produced by Buffalo itself rather than a
 * vendor: the outbox's source and origin checks gain `buffalo` and `internal`.
 */
export class Migration20261205001000_alerts extends Migration {
  override name = 'Migration20261205001000_alerts';

  override up(): void {
    this.addSql(`
      CREATE TABLE alerts (
        id           bigserial PRIMARY KEY,
        condition    text NOT NULL CHECK (condition IN ('run_failed','dead_letters','outbox_lag','cursor_expired','orphan_given_up','missed_webhooks','metric_drift')),
        subject      text NOT NULL,
        severity     text NOT NULL CHECK (severity IN ('warning','critical')),
        state        text NOT NULL DEFAULT 'firing' CHECK (state IN ('firing','resolved')),
        summary      text NOT NULL,
        details      jsonb NOT NULL,
        fired_at     timestamptz NOT NULL DEFAULT now(),
        resolved_at  timestamptz
      )`);
    this.addSql(`CREATE UNIQUE INDEX alerts_open ON alerts (condition, subject) WHERE state = 'firing'`);
    // GET /alerts?state=… pages newest first.
    this.addSql(`CREATE INDEX alerts_state_id ON alerts (state, id DESC)`);

    this.addSql(`ALTER TABLE ingest_outbox DROP CONSTRAINT ingest_outbox_source_check`);
    this.addSql(
      `ALTER TABLE ingest_outbox ADD CONSTRAINT ingest_outbox_source_check CHECK (source IN ('stripe','hubspot','gcal','buffalo'))`,
    );
    this.addSql(`ALTER TABLE ingest_outbox DROP CONSTRAINT ingest_outbox_origin_check`);
    this.addSql(
      `ALTER TABLE ingest_outbox ADD CONSTRAINT ingest_outbox_origin_check CHECK (origin IN ('webhook','poll','replay','internal'))`,
    );
  }

  override down(): void {
    this.addSql(`DELETE FROM ingest_outbox WHERE source = 'buffalo' OR origin = 'internal'`);
    this.addSql(`ALTER TABLE ingest_outbox DROP CONSTRAINT ingest_outbox_origin_check`);
    this.addSql(
      `ALTER TABLE ingest_outbox ADD CONSTRAINT ingest_outbox_origin_check CHECK (origin IN ('webhook','poll','replay'))`,
    );
    this.addSql(`ALTER TABLE ingest_outbox DROP CONSTRAINT ingest_outbox_source_check`);
    this.addSql(
      `ALTER TABLE ingest_outbox ADD CONSTRAINT ingest_outbox_source_check CHECK (source IN ('stripe','hubspot','gcal'))`,
    );
    this.addSql('DROP TABLE IF EXISTS alerts');
  }
}
