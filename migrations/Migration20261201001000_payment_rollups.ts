import { Migration } from '@mikro-orm/migrations';

/**
 * Revenue rollups (issue 9), owned by src/records with the ledger they summarize.
 *
 * payment_rollups holds, per (currency, source, grain, UTC slot), the counted figures of the ledger
 * rows whose occurred_at falls in the slot, at two grains: quarter-hours ('q') and hours ('h'), and
 * for each source and for all sources together (source '*'). Every real UTC offset (+05:30, +05:45,
 * +12:45 …) and every DST transition lies on the quarter-hour grid, so a zone-local day is whole
 * hours plus at most a few quarter-hours at its ends, and the revenue endpoints sum those slots
 * (O(buckets)) instead of ledger rows. Where a boundary is off the quarter-hour grid (historical
 * local mean time) the repository reads that quarter-hour's ledger rows.
 *
 * The rollups are kept by statement-level triggers on payments with transition tables, so they
 * change in the same transaction as every ledger write, whatever the write path (upserts,
 * tombstones, re-derivation, manual SQL): one set-based upsert per statement, keys in a fixed
 * order. TRUNCATE payments empties them too. The ORM cannot express triggers: they live here and
 * test/db/revenue-rollups.db.test.ts proves them.
 *
 * revenue_drift records what the verifier found when rollups and ledger disagree; while a finding
 * is open the revenue endpoints refuse to answer (500 metric_drift).
 */
/** pg_advisory_xact_lock key serializing rollup writers ("buffalo:rollups"). */
const ROLLUP_LOCK = 7_342_002;

export class Migration20261201001000_payment_rollups extends Migration {
  override name = 'Migration20261201001000_payment_rollups';

  override up(): void {
    this.addSql(`
      CREATE TABLE payment_rollups (
        currency       char(3) NOT NULL,
        source         text NOT NULL,
        grain          char(1) NOT NULL CHECK (grain IN ('q','h')),
        slot           timestamptz NOT NULL,
        gross_cents    bigint NOT NULL DEFAULT 0,
        refunds_cents  bigint NOT NULL DEFAULT 0,
        gross_count    integer NOT NULL DEFAULT 0,
        refund_count   integer NOT NULL DEFAULT 0,
        PRIMARY KEY (currency, source, grain, slot)
      )`);
    this.addSql(`
      CREATE TABLE revenue_drift (
        id           bigserial PRIMARY KEY,
        detected_at  timestamptz NOT NULL DEFAULT now(),
        resolved_at  timestamptz,
        mismatches   integer NOT NULL,
        sample       jsonb NOT NULL
      )`);
    this.addSql(`CREATE INDEX revenue_drift_open ON revenue_drift (detected_at) WHERE resolved_at IS NULL`);

    // Every ledger-writing transaction touches the shared all-sources rows, and one transaction may
    // write the ledger in several statements: rollup rows locked in different orders by two
    // workers deadlocked. One transaction-level lock, taken by the first rollup write and held to
    // commit, orders them; the wait is only the short tail of the other transaction.
    // One function per event: a trigger with transition tables serves exactly one event.
    const apply = (rows: string) => `
      INSERT INTO payment_rollups AS r (currency, source, grain, slot, gross_cents, refunds_cents, gross_count, refund_count)
      SELECT d.currency, s.source, g.grain, date_bin(g.width, d.occurred_at, timestamptz '2000-01-01 00:00:00+00'),
             sum(d.gross_cents), sum(d.refunds_cents), sum(d.gross_count), sum(d.refund_count)
        FROM (${rows}) AS d
             CROSS JOIN LATERAL (VALUES ('q', interval '15 minutes'), ('h', interval '1 hour')) AS g(grain, width)
             CROSS JOIN LATERAL (VALUES (d.source), ('*')) AS s(source)
       GROUP BY 1, 2, 3, 4
      HAVING sum(d.gross_cents) <> 0 OR sum(d.refunds_cents) <> 0 OR sum(d.gross_count) <> 0 OR sum(d.refund_count) <> 0
       ORDER BY 1, 2, 3, 4
      ON CONFLICT (currency, source, grain, slot) DO UPDATE SET
        gross_cents = r.gross_cents + excluded.gross_cents,
        refunds_cents = r.refunds_cents + excluded.refunds_cents,
        gross_count = r.gross_count + excluded.gross_count,
        refund_count = r.refund_count + excluded.refund_count`;
    // A row's contribution, signed: +1 for the new image, -1 for the old one.
    const contribution = (table: string, sign: string) => `
      SELECT currency, source, occurred_at,
             ${sign} * CASE WHEN effect = 'gross' THEN amount_cents ELSE 0 END AS gross_cents,
             ${sign} * CASE WHEN effect = 'refund' THEN amount_cents ELSE 0 END AS refunds_cents,
             ${sign} * (effect = 'gross')::int AS gross_count,
             ${sign} * (effect = 'refund')::int AS refund_count
        FROM ${table} WHERE effect <> 'none' AND deleted_at IS NULL`;

    this.addSql(`
      CREATE FUNCTION payment_rollups_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(${ROLLUP_LOCK});
        ${apply(contribution('new_rows', '1'))};
        RETURN NULL;
      END $$`);
    this.addSql(`
      CREATE FUNCTION payment_rollups_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(${ROLLUP_LOCK});
        ${apply(`${contribution('new_rows', '1')} UNION ALL ${contribution('old_rows', '-1')}`)};
        RETURN NULL;
      END $$`);
    this.addSql(`
      CREATE FUNCTION payment_rollups_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(${ROLLUP_LOCK});
        ${apply(contribution('old_rows', '-1'))};
        RETURN NULL;
      END $$`);
    this.addSql(`
      CREATE FUNCTION payment_rollups_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM payment_rollups;
        RETURN NULL;
      END $$`);
    this.addSql(
      `CREATE TRIGGER payment_rollups_insert AFTER INSERT ON payments REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION payment_rollups_on_insert()`,
    );
    this.addSql(
      `CREATE TRIGGER payment_rollups_update AFTER UPDATE ON payments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION payment_rollups_on_update()`,
    );
    this.addSql(
      `CREATE TRIGGER payment_rollups_delete AFTER DELETE ON payments REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION payment_rollups_on_delete()`,
    );
    this.addSql(
      `CREATE TRIGGER payment_rollups_truncate AFTER TRUNCATE ON payments FOR EACH STATEMENT EXECUTE FUNCTION payment_rollups_on_truncate()`,
    );

    // The ledger as it stands when this migration runs.
    this.addSql(apply(contribution('payments', '1')));
  }

  override down(): void {
    for (const t of ['insert', 'update', 'delete', 'truncate'])
      this.addSql(`DROP TRIGGER IF EXISTS payment_rollups_${t} ON payments`);
    for (const t of ['insert', 'update', 'delete', 'truncate'])
      this.addSql(`DROP FUNCTION IF EXISTS payment_rollups_on_${t}()`);
    this.addSql('DROP TABLE IF EXISTS revenue_drift');
    this.addSql('DROP TABLE IF EXISTS payment_rollups');
  }
}
