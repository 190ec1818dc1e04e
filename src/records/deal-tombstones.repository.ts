import { Injectable } from '@nestjs/common';
import type { Sql } from '../database/database.sql.js';
import { PaymentLineageRepository, type LineageEvent } from './payment-lineage.repository.js';
import type { Version } from './record.types.js';
import { newestPerKey } from './record.version.js';

export interface DealTombstone {
  externalId: string;
  version: Version;
  /** The deletion event: with it, the delete is recorded in payment_lineage (won or not). */
  lineage?: LineageEvent;
}

/**
 * Deletes of deals HubSpot no longer returns at all (purged after a deletion webhook): the ledger
 * row is soft-deleted at the event time and keeps its last known fields; an unknown id gets a
 * zero, non-counting tombstone so an older snapshot arriving later cannot create it. Same
 * last-write-wins guard as PaymentsRepository.upsertMany.
 */
@Injectable()
export class DealTombstonesRepository {
  constructor(private readonly lineage: PaymentLineageRepository = new PaymentLineageRepository()) {}

  async markDeleted(
    sql: Sql,
    tombstones: readonly DealTombstone[],
    fallbackCurrency: string,
    outboxId: string | null = null,
  ): Promise<number> {
    const rows = newestPerKey(tombstones, (t) => t.externalId);
    if (rows.length === 0) return 0;
    const res = await sql.query<{ external_id: string }>(
      `INSERT INTO payments AS p (source, kind, external_id, amount_cents, currency, status, raw_status, effect, occurred_at,
                                  deleted_at, version_at, version_rank, version_tiebreak, outbox_id)
       SELECT 'hubspot', 'deal', t.external_id, 0, $5, 'CANCELED', '(deleted)', 'none', t.at, t.at, t.at, t.rank, t.tiebreak, $6::bigint
         FROM unnest($1::text[], $2::timestamptz[], $3::int[], $4::text[]) AS t(external_id, at, rank, tiebreak)
       ON CONFLICT (source, external_id) DO UPDATE SET
         deleted_at = excluded.deleted_at, version_at = excluded.version_at, version_rank = excluded.version_rank,
         version_tiebreak = excluded.version_tiebreak, outbox_id = excluded.outbox_id, updated_at = now()
       WHERE (excluded.version_at, excluded.version_rank, excluded.version_tiebreak) > (p.version_at, p.version_rank, p.version_tiebreak)
       RETURNING p.external_id`,
      [
        rows.map((t) => t.externalId),
        rows.map((t) => t.version.at.toISOString()),
        rows.map((t) => t.version.rank),
        rows.map((t) => t.version.tiebreak),
        fallbackCurrency,
        outboxId,
      ],
    );
    // The trace of a deleted deal ends with the event that deleted it (or that lost to a newer version).
    // Every deletion event is on record, also one that lost to a newer tombstone of its own batch.
    const written = new Set(res.map((r) => r.external_id));
    const applied = new Set(rows.filter((t) => written.has(t.externalId)));
    const writes = tombstones.flatMap((t) =>
      t.lineage
        ? [
            {
              source: 'hubspot' as const,
              externalId: t.externalId,
              event: t.lineage,
              version: t.version,
              derivationRev: 0,
              won: applied.has(t),
            },
          ]
        : [],
    );
    if (writes.length) await this.lineage.record(sql, writes);
    return res.length;
  }

  /** Of these HubSpot deal ids, those the ledger still holds as live (not deleted): the deletion sweep's work list. */
  async liveDeals(sql: Sql, externalIds: readonly string[]): Promise<string[]> {
    if (externalIds.length === 0) return [];
    const rows = await sql.query<{ external_id: string }>(
      `SELECT external_id FROM payments
        WHERE source = 'hubspot' AND external_id = ANY($1::text[]) AND deleted_at IS NULL`,
      [externalIds],
    );
    return rows.map((r) => r.external_id);
  }
}
