import { Injectable } from '@nestjs/common';
import type { Sql } from '../database/database.sql.js';
import type { PaymentRecord } from './record.types.js';
import { newestPerKey, versionParams } from './record.version.js';

/**
 * The ledger write path. Last-write-wins on the version tuple (version_at, version_rank,
 * version_tiebreak): an incoming row replaces the stored one only when strictly newer, so any
 * permutation or duplication of the same events ends in the same table.
 */
@Injectable()
export class PaymentsRepository {
  /** Returns how many rows were inserted or changed. A record's own `outboxId` (batched handlers) beats the shared one. */
  async upsertMany(sql: Sql, records: readonly (PaymentRecord & { outboxId?: string | null })[], outboxId: string | null = null): Promise<number> {
    const rows = newestPerKey(records, (r) => `${r.source}\u0000${r.externalId}`);
    if (rows.length === 0) return 0;
    const res = await sql.query(
      `INSERT INTO payments AS p (source, kind, external_id, parent_external_id, amount_cents, currency, status, raw_status,
                                  effect, occurred_at, customer_ref, description, deleted_at, version_at, version_rank,
                                  version_tiebreak, outbox_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[],
                            $9::text[], $10::timestamptz[], $11::text[], $12::text[], $13::timestamptz[], $14::timestamptz[], $15::int[],
                            $16::text[], $17::bigint[])
       ON CONFLICT (source, external_id) DO UPDATE SET
         kind = excluded.kind, parent_external_id = COALESCE(excluded.parent_external_id, p.parent_external_id),
         amount_cents = excluded.amount_cents, currency = excluded.currency, status = excluded.status,
         raw_status = excluded.raw_status, effect = excluded.effect, occurred_at = excluded.occurred_at,
         customer_ref = COALESCE(excluded.customer_ref, p.customer_ref), description = COALESCE(excluded.description, p.description),
         deleted_at = excluded.deleted_at, version_at = excluded.version_at, version_rank = excluded.version_rank,
         version_tiebreak = excluded.version_tiebreak, outbox_id = excluded.outbox_id, updated_at = now()
       WHERE (excluded.version_at, excluded.version_rank, excluded.version_tiebreak) > (p.version_at, p.version_rank, p.version_tiebreak)
       RETURNING p.id`,
      [
        rows.map((r) => r.source),
        rows.map((r) => r.kind),
        rows.map((r) => r.externalId),
        rows.map((r) => r.parentExternalId),
        rows.map((r) => r.amountCents.toString()),
        rows.map((r) => r.currency),
        rows.map((r) => r.status),
        rows.map((r) => r.rawStatus),
        rows.map((r) => r.effect),
        rows.map((r) => r.occurredAt.toISOString()),
        rows.map((r) => r.customerRef),
        rows.map((r) => r.description),
        ...versionParams(rows, outboxId),
      ],
    );
    return res.length;
  }
}
