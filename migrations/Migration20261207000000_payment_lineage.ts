import { Migration } from '@mikro-orm/migrations';

/**
 * Lineage of the ledger (issue 7), owned by src/records.
 *
 * payment_lineage: one row per (payments row, outbox event, derivation revision) that wrote or
 * touched the row, written in the same transaction as the ledger upsert, losers of last-write-wins
 * included (`won` = false). It keeps what is needed to explain a row after retention purged the raw
 * payload: the event's id, type, path and receipt time, a hash of the payload, and the version it
 * carried. No foreign key to ingest_outbox (that is the point: it outlives the payloads), and none
 * to payments either (ledger rows are never deleted; a key would only add a check to every insert).
 * The primary key doubles as the lookup index (events of a page of payments) and makes a worker's
 * redo after a crash, or a replay through the same code, add nothing.
 *
 * Existing rows get the lineage of their last writer while its outbox row is still retained; the
 * hash of those is left null (the payload is still there to hash, but the hash is defined on the
 * JSON the worker reads, see src/records/payment-lineage.repository.ts).
 */
export class Migration20261207000000_payment_lineage extends Migration {
  override name = 'Migration20261207000000_payment_lineage';

  override up(): void {
    this.addSql(`
      CREATE TABLE payment_lineage (
        payment_id        bigint NOT NULL,
        outbox_id         bigint NOT NULL,
        derivation_rev    integer NOT NULL,
        origin            text NOT NULL CHECK (origin IN ('webhook','poll','replay')),
        replayed          boolean NOT NULL DEFAULT false,
        vendor_event_id   text NOT NULL,
        event_type        text NOT NULL,
        received_at       timestamptz NOT NULL,
        payload_sha256    bytea,
        version_at        timestamptz NOT NULL,
        version_rank      integer NOT NULL,
        version_tiebreak  text,
        won               boolean NOT NULL,
        PRIMARY KEY (payment_id, outbox_id, derivation_rev)
      )`);
    this.addSql(`
      INSERT INTO payment_lineage (payment_id, outbox_id, derivation_rev, origin, vendor_event_id, event_type, received_at,
                                   version_at, version_rank, version_tiebreak, won)
      SELECT p.id, o.id, p.derivation_rev, o.origin, o.dedupe_key, o.event_type, o.received_at,
             p.version_at, p.version_rank, NULLIF(p.version_tiebreak, o.dedupe_key), true
        FROM payments p JOIN ingest_outbox o ON o.id = p.outbox_id`);
  }

  override down(): void {
    this.addSql('DROP TABLE IF EXISTS payment_lineage');
  }
}
