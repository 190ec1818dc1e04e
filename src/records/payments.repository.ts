import { Injectable } from '@nestjs/common';
import type { Sql } from '../database/database.sql.js';
import { PaymentLineageRepository, type LineageEvent, type LineageWrite } from './payment-lineage.repository.js';
import type { PaymentRecord, Version } from './record.types.js';
import { newestPerKey, versionParams } from './record.version.js';

/**
 * How a ledger row was derived: the revision of the derivation (see derivationRev: the mapper
 * family's code revision and, for HubSpot, the deal stage classification revision) and the vendor
 * snapshot it came from, kept so the row can be re-derived when those rules change.
 */
export interface Derivation {
  derivationRev?: number;
  vendorSnapshot?: unknown;
}

/** The stored vendor event a record was mapped from: with it, the write is recorded in payment_lineage. */
export interface WithLineage {
  lineage?: LineageEvent;
}

/**
 * The ledger write path. Last-write-wins on the version tuple (version_at, version_rank,
 * version_tiebreak, derivation_rev): an incoming row replaces the stored one only when strictly
 * newer, so any permutation or duplication of the same events ends in the same table, and the
 * same vendor version re-derived by newer code or under newer rules replaces what the older
 * derivation made of it. A re-derivation that comes out identical changes nothing (not even
 * updated_at or the revision): a replay moves exactly the rows whose derived fields changed.
 */
@Injectable()
export class PaymentsRepository {
  constructor(private readonly lineage: PaymentLineageRepository = new PaymentLineageRepository()) {}

  /**
   * Returns how many rows were inserted or changed. A record's own `outboxId` (batched handlers)
   * beats the shared one. Records that carry `lineage` are recorded in payment_lineage, winners
   * and losers alike, by a second statement: call it inside the batch's transaction.
   */
  async upsertMany(
    sql: Sql,
    records: readonly (PaymentRecord & { outboxId?: string | null } & Derivation & WithLineage)[],
    outboxId: string | null = null,
  ): Promise<number> {
    const rows = newestPerKey(records, (r) => `${r.source}\u0000${r.externalId}`);
    if (rows.length === 0) return 0;
    const res = await sql.query<{ source: string; external_id: string }>(
      `INSERT INTO payments AS p (source, kind, external_id, parent_external_id, amount_cents, currency, status, raw_status,
                                  effect, occurred_at, customer_ref, description, deleted_at, version_at, version_rank,
                                  version_tiebreak, outbox_id, derivation_rev, vendor_snapshot)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[],
                            $9::text[], $10::timestamptz[], $11::text[], $12::text[], $13::timestamptz[], $14::timestamptz[], $15::int[],
                            $16::text[], $17::bigint[], $18::int[], $19::jsonb[])
       ON CONFLICT (source, external_id) DO UPDATE SET
         kind = excluded.kind, parent_external_id = COALESCE(excluded.parent_external_id, p.parent_external_id),
         amount_cents = excluded.amount_cents, currency = excluded.currency, status = excluded.status,
         raw_status = excluded.raw_status, effect = excluded.effect, occurred_at = excluded.occurred_at,
         customer_ref = COALESCE(excluded.customer_ref, p.customer_ref), description = COALESCE(excluded.description, p.description),
         deleted_at = excluded.deleted_at, version_at = excluded.version_at, version_rank = excluded.version_rank,
         version_tiebreak = excluded.version_tiebreak, outbox_id = excluded.outbox_id,
         derivation_rev = excluded.derivation_rev, vendor_snapshot = excluded.vendor_snapshot, updated_at = now()
       WHERE (excluded.version_at, excluded.version_rank, excluded.version_tiebreak, excluded.derivation_rev)
           > (p.version_at, p.version_rank, p.version_tiebreak, p.derivation_rev)
         -- Only the revision is newer: a re-derivation, which writes only when it derives something else.
         AND ((excluded.version_at, excluded.version_rank, excluded.version_tiebreak)
                <> (p.version_at, p.version_rank, p.version_tiebreak)
              OR (excluded.kind, COALESCE(excluded.parent_external_id, p.parent_external_id), excluded.amount_cents,
                  excluded.currency, excluded.status, excluded.raw_status, excluded.effect, excluded.occurred_at,
                  COALESCE(excluded.customer_ref, p.customer_ref), COALESCE(excluded.description, p.description),
                  excluded.deleted_at, excluded.vendor_snapshot)
                 IS DISTINCT FROM
                 (p.kind, p.parent_external_id, p.amount_cents, p.currency, p.status, p.raw_status, p.effect, p.occurred_at,
                  p.customer_ref, p.description, p.deleted_at, p.vendor_snapshot))
       RETURNING p.source, p.external_id`,
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
        rows.map((r) => r.derivationRev ?? 0),
        rows.map((r) =>
          r.vendorSnapshot === undefined || r.vendorSnapshot === null ? null : JSON.stringify(r.vendorSnapshot),
        ),
      ],
    );
    if (records.some((r) => r.lineage)) {
      const written = new Set(res.map((r) => `${r.source}\u0000${r.external_id}`));
      const applied = new Set(rows.filter((r) => written.has(`${r.source}\u0000${r.externalId}`)));
      const writes: LineageWrite[] = [];
      for (const r of records) {
        if (!r.lineage) continue;
        writes.push({
          source: r.source,
          externalId: r.externalId,
          event: r.lineage,
          version: r.version,
          derivationRev: r.derivationRev ?? 0,
          // A record that lost to a newer one of its own batch never reached the row.
          won: applied.has(r),
        });
      }
      await this.lineage.record(sql, writes);
    }
    return res.length;
  }

  // ---------------------------------------------------------------------------------------------
  // HubSpot deal re-derivation (issue 8): read side for HubspotPipelinesService. Writes go back
  // through upsertMany with the row's own version and a newer derivation revision.
  // ---------------------------------------------------------------------------------------------

  /**
   * HubSpot deals whose stage (raw_status) is one of `stageIds` and that kept their snapshot, in
   * external id order after `after` (keyset pages), with what a re-derivation must preserve.
   */
  async hubspotDealsInStages(
    sql: Sql,
    stageIds: readonly string[],
    after: string | null,
    limit: number,
  ): Promise<StoredDeal[]> {
    if (stageIds.length === 0) return [];
    const rows = await sql.query<{
      external_id: string;
      vendor_snapshot: unknown;
      version_at: string;
      version_rank: number;
      version_tiebreak: string;
      deleted_at: string | null;
      outbox_id: string | null;
      derivation_rev: number;
    }>(
      `SELECT external_id, vendor_snapshot, version_at, version_rank, version_tiebreak, deleted_at, outbox_id, derivation_rev
         FROM payments
        WHERE source = 'hubspot' AND kind = 'deal' AND raw_status = ANY($1::text[]) AND vendor_snapshot IS NOT NULL
          AND ($2::text IS NULL OR external_id > $2::text)
        ORDER BY external_id
        LIMIT $3`,
      [stageIds, after, limit],
    );
    return rows.map((r) => ({
      externalId: r.external_id,
      snapshot: r.vendor_snapshot,
      version: { at: new Date(r.version_at), rank: Number(r.version_rank), tiebreak: r.version_tiebreak },
      deletedAt: r.deleted_at === null ? null : new Date(r.deleted_at),
      outboxId: r.outbox_id === null ? null : String(r.outbox_id),
      derivationRev: Number(r.derivation_rev),
    }));
  }

  /** HubSpot deals in these stages that cannot be re-derived: written before snapshots were kept. */
  async countHubspotDealsWithoutSnapshot(sql: Sql, stageIds: readonly string[]): Promise<number> {
    if (stageIds.length === 0) return 0;
    const [row] = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM payments
        WHERE source = 'hubspot' AND kind = 'deal' AND raw_status = ANY($1::text[]) AND vendor_snapshot IS NULL`,
      [stageIds],
    );
    return Number(row?.n ?? 0);
  }

  /** One ledger row by its vendor key, or null (the record endpoint of the trace). */
  async findByKey(sql: Sql, source: string, externalId: string): Promise<StoredPayment | null> {
    const [r] = await sql.query<{
      id: string;
      source: PaymentRecord['source'];
      kind: PaymentRecord['kind'];
      external_id: string;
      parent_external_id: string | null;
      amount_cents: string;
      currency: string;
      status: string;
      raw_status: string;
      effect: PaymentRecord['effect'];
      occurred_at: string;
      customer_ref: string | null;
      description: string | null;
      deleted_at: string | null;
      version_at: string;
      version_rank: number;
      version_tiebreak: string;
      outbox_id: string | null;
      derivation_rev: number;
      created_at: string;
      updated_at: string;
    }>(
      `SELECT id::text, source, kind, external_id, parent_external_id, amount_cents::text, currency, status, raw_status, effect,
              occurred_at, customer_ref, description, deleted_at, version_at, version_rank, version_tiebreak, outbox_id::text,
              derivation_rev, created_at, updated_at
         FROM payments WHERE source = $1 AND external_id = $2`,
      [source, externalId],
    );
    if (!r) return null;
    return {
      id: String(r.id),
      source: r.source,
      kind: r.kind,
      externalId: r.external_id,
      parentExternalId: r.parent_external_id,
      amountCents: BigInt(r.amount_cents),
      currency: r.currency,
      status: r.status,
      rawStatus: r.raw_status,
      effect: r.effect,
      occurredAt: new Date(r.occurred_at),
      customerRef: r.customer_ref,
      description: r.description,
      deletedAt: r.deleted_at === null ? null : new Date(r.deleted_at),
      version: { at: new Date(r.version_at), rank: Number(r.version_rank), tiebreak: r.version_tiebreak },
      outboxId: r.outbox_id === null ? null : String(r.outbox_id),
      derivationRev: Number(r.derivation_rev),
      createdAt: new Date(r.created_at),
      updatedAt: new Date(r.updated_at),
    };
  }
}

/** A ledger row as stored. */
export interface StoredPayment {
  id: string;
  source: PaymentRecord['source'];
  kind: PaymentRecord['kind'];
  externalId: string;
  parentExternalId: string | null;
  amountCents: bigint;
  currency: string;
  status: string;
  rawStatus: string;
  effect: PaymentRecord['effect'];
  occurredAt: Date;
  customerRef: string | null;
  description: string | null;
  deletedAt: Date | null;
  version: Version;
  outboxId: string | null;
  derivationRev: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface StoredDeal {
  externalId: string;
  snapshot: unknown;
  version: Version;
  deletedAt: Date | null;
  outboxId: string | null;
  derivationRev: number;
}
