import { Migration } from '@mikro-orm/migrations';

/**
 * Refunds and disputes whose parent charge is not in payments after the grace window. The ledger
 * row itself is untouched (it counts in revenue on its own amount); this table only makes the
 * missing link visible and remembers when the reconciler gave up on it.
 */
export class Migration20261121001100_payment_orphans extends Migration {
  override name = 'Migration20261121001100_payment_orphans';

  override up(): void {
    this.addSql(`
      CREATE TABLE payment_orphans (
        source              text NOT NULL,
        external_id         text NOT NULL,
        kind                text NOT NULL,
        parent_external_id  text NOT NULL,
        outbox_id           bigint,
        first_seen_at       timestamptz NOT NULL,
        flagged_at          timestamptz NOT NULL DEFAULT now(),
        given_up_at         timestamptz,
        PRIMARY KEY (source, external_id)
      )`);
    this.addSql(`CREATE INDEX payment_orphans_open ON payment_orphans (first_seen_at) WHERE given_up_at IS NULL`);
    // Retention keeps the raw payload of an unreconciled child; the purge probes by outbox id.
    this.addSql(`CREATE INDEX payment_orphans_outbox ON payment_orphans (outbox_id) WHERE outbox_id IS NOT NULL`);
  }

  override down(): void {
    this.addSql('DROP TABLE IF EXISTS payment_orphans');
  }
}
