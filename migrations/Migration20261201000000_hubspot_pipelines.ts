import { Migration } from '@mikro-orm/migrations';

/**
 * HubSpot deal pipelines (issue 8).
 *
 * hubspot_deal_stages / hubspot_deal_stage_state (owned by src/connectors/hubspot): every deal
 * stage HubSpot has ever listed, with the metadata its classification comes from. Stages that
 * disappear from the answer (archived or deleted pipelines) are kept with their classification,
 * since deals may still sit in them. The single state row holds the classification revision, the
 * HUBSPOT_STAGE_MAP last applied, and when the pipelines were last refreshed.
 *
 * payments (owned by src/records): a deal's classification can change after it was written, so
 * the ledger keeps the vendor snapshot each row was derived from and the revision of the rules
 * that derived it. Last-write-wins compares (vendor version, derivation revision): the same vendor
 * version re-derived under newer rules wins, and nothing else can. Existing HubSpot deal rows get
 * their snapshot from the outbox payload that wrote them while it is still retained.
 */
export class Migration20261201000000_hubspot_pipelines extends Migration {
  override name = 'Migration20261201000000_hubspot_pipelines';

  override up(): void {
    this.addSql(`
      CREATE TABLE hubspot_deal_stages (
        stage_id        text PRIMARY KEY,
        pipeline_id     text NOT NULL,
        pipeline_label  text,
        label           text,
        display_order   integer,
        is_closed       boolean NOT NULL,
        probability     text NOT NULL,
        archived        boolean NOT NULL DEFAULT false,
        metadata_class  text NOT NULL CHECK (metadata_class IN ('won','lost','open')),
        first_seen_at   timestamptz NOT NULL DEFAULT now(),
        last_seen_at    timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now()
      )`);
    this.addSql(`
      CREATE TABLE hubspot_deal_stage_state (
        id            boolean PRIMARY KEY DEFAULT true CHECK (id),
        class_rev     integer NOT NULL DEFAULT 0,
        stage_map     jsonb NOT NULL DEFAULT '{}'::jsonb,
        refreshed_at  timestamptz,
        attempted_at  timestamptz,
        last_error    text,
        updated_at    timestamptz NOT NULL DEFAULT now()
      )`);
    this.addSql(`INSERT INTO hubspot_deal_stage_state DEFAULT VALUES`);

    this.addSql(`ALTER TABLE payments
      ADD COLUMN derivation_rev   integer NOT NULL DEFAULT 0,
      ADD COLUMN vendor_snapshot  jsonb`);
    // Re-derivation walks the deals of the stages whose classification changed.
    this.addSql(
      `CREATE INDEX payments_hubspot_deal_stage ON payments (raw_status, external_id) WHERE source = 'hubspot' AND kind = 'deal'`,
    );
    this.addSql(`
      UPDATE payments p SET vendor_snapshot = o.payload
        FROM ingest_outbox o
       WHERE p.source = 'hubspot' AND p.kind = 'deal' AND p.outbox_id = o.id AND o.kind = 'hubspot.deal'`);
  }

  override down(): void {
    this.addSql('DROP INDEX IF EXISTS payments_hubspot_deal_stage');
    this.addSql('ALTER TABLE payments DROP COLUMN derivation_rev, DROP COLUMN vendor_snapshot');
    this.addSql('DROP TABLE IF EXISTS hubspot_deal_stage_state, hubspot_deal_stages');
  }
}
