import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 7 (webhook-vs-poll reconciliation, orphans as in seed 002), owned by src/reconciler.
 *
 * object_sightings: one row per vendor object, saying when a webhook and when a poll first saw it
 * and which came first. Written set-based next to the outbox writes (poll pages in their commit,
 * webhook rows when the worker claims them), so the report reads this table alone and never the
 * outbox. `vendor_created_at` is the object's creation time at the vendor (the report's day);
 * until a payload carries it (a HubSpot webhook has ids only) it holds the first sighting time
 * with `created_exact` false, and the first exact value replaces it.
 *
 * reconcile_push_marks: the last Google Calendar push notification per calendar. Google pushes
 * carry no object, only "this calendar changed": a listed event counts as webhook-seen when a
 * notification for its calendar came after the event was created.
 *
 * payment_orphans keeps its name (every child without its parent: Stripe refunds and disputes,
 * Google Calendar exception occurrences) and no longer loses rows: a link sets linked_at, and
 * every state change appends to orphan_events, which refuses UPDATE, DELETE and TRUNCATE.
 */
export class Migration20261207001000_reconciliation extends Migration {
  override name = 'Migration20261207001000_reconciliation';

  override up(): void {
    this.addSql(`
      CREATE TABLE object_sightings (
        source             text NOT NULL,
        object_type        text NOT NULL,
        external_id        text NOT NULL,
        scope              text,
        vendor_created_at  timestamptz NOT NULL,
        created_exact      boolean NOT NULL DEFAULT false,
        first_webhook_at   timestamptz,
        first_poll_at      timestamptz,
        first_path         text NOT NULL,
        PRIMARY KEY (source, object_type, external_id),
        CONSTRAINT object_sightings_first_path_check CHECK (first_path IN ('webhook', 'poll')),
        CONSTRAINT object_sightings_seen_check CHECK (first_webhook_at IS NOT NULL OR first_poll_at IS NOT NULL)
      )`);
    // The report's day counts: an index-only range scan per source.
    this.addSql(
      `CREATE INDEX object_sightings_created ON object_sightings (source, vendor_created_at) INCLUDE (first_webhook_at, first_poll_at)`,
    );
    // Candidates for missedWebhooks, in page order: few rows while webhooks work.
    this.addSql(
      `CREATE INDEX object_sightings_poll_first ON object_sightings (source, vendor_created_at, object_type, external_id) WHERE first_poll_at IS NOT NULL AND (first_webhook_at IS NULL OR first_webhook_at > first_poll_at)`,
    );
    // Listed Google Calendar events a late push notification may still vouch for.
    this.addSql(
      `CREATE INDEX object_sightings_unannounced ON object_sightings (scope, first_poll_at) WHERE scope IS NOT NULL AND first_webhook_at IS NULL`,
    );
    this.addSql(`
      CREATE TABLE reconcile_push_marks (
        source            text NOT NULL,
        scope             text NOT NULL,
        last_notified_at  timestamptz NOT NULL,
        PRIMARY KEY (source, scope)
      )`);

    this.addSql(`ALTER TABLE payment_orphans ADD COLUMN linked_at timestamptz`);
    this.addSql(`DROP INDEX payment_orphans_open`);
    this.addSql(
      `CREATE INDEX payment_orphans_open ON payment_orphans (first_seen_at) WHERE given_up_at IS NULL AND linked_at IS NULL`,
    );
    this.addSql(`DROP INDEX payment_orphans_outbox`);
    this.addSql(
      `CREATE INDEX payment_orphans_outbox ON payment_orphans (outbox_id) WHERE outbox_id IS NOT NULL AND linked_at IS NULL`,
    );
    this.addSql(
      `CREATE INDEX payment_orphans_unlinked ON payment_orphans (source, external_id) WHERE linked_at IS NULL`,
    );

    this.addSql(`
      CREATE TABLE orphan_events (
        id                  bigserial PRIMARY KEY,
        source              text NOT NULL,
        external_id         text NOT NULL,
        kind                text NOT NULL,
        parent_external_id  text NOT NULL,
        event               text NOT NULL,
        reason              text,
        outbox_id           bigint,
        at                  timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT orphan_events_event_check CHECK (event IN ('flagged', 'linked', 'given_up'))
      )`);
    this.addSql(`CREATE INDEX orphan_events_orphan ON orphan_events (source, external_id, id)`);
    this.addSql(`
      CREATE FUNCTION orphan_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'orphan_events is append-only: % refused', TG_OP USING ERRCODE = 'P0001';
      END $$`);
    this.addSql(
      `CREATE TRIGGER orphan_events_append_only BEFORE UPDATE OR DELETE ON orphan_events FOR EACH ROW EXECUTE FUNCTION orphan_events_append_only()`,
    );
    this.addSql(
      `CREATE TRIGGER orphan_events_no_truncate BEFORE TRUNCATE ON orphan_events FOR EACH STATEMENT EXECUTE FUNCTION orphan_events_append_only()`,
    );
    // The audit starts with what the old table knew.
    this.addSql(`
      INSERT INTO orphan_events (source, external_id, kind, parent_external_id, event, outbox_id, at)
      SELECT source, external_id, kind, parent_external_id, 'flagged', outbox_id, flagged_at FROM payment_orphans
      UNION ALL
      SELECT source, external_id, kind, parent_external_id, 'given_up', outbox_id, given_up_at FROM payment_orphans WHERE given_up_at IS NOT NULL
      ORDER BY 7`);
  }

  override down(): void {
    this.addSql('DROP TABLE IF EXISTS orphan_events');
    this.addSql('DROP FUNCTION IF EXISTS orphan_events_append_only()');
    this.addSql('DROP INDEX IF EXISTS payment_orphans_unlinked');
    this.addSql('DROP INDEX IF EXISTS payment_orphans_outbox');
    this.addSql(`CREATE INDEX payment_orphans_outbox ON payment_orphans (outbox_id) WHERE outbox_id IS NOT NULL`);
    this.addSql('DROP INDEX IF EXISTS payment_orphans_open');
    this.addSql(`CREATE INDEX payment_orphans_open ON payment_orphans (first_seen_at) WHERE given_up_at IS NULL`);
    this.addSql('DELETE FROM payment_orphans WHERE linked_at IS NOT NULL');
    this.addSql('ALTER TABLE payment_orphans DROP COLUMN linked_at');
    this.addSql('DROP TABLE IF EXISTS reconcile_push_marks');
    this.addSql('DROP TABLE IF EXISTS object_sightings');
  }
}
