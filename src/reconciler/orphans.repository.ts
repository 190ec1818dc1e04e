import { Injectable } from '@nestjs/common';
import { Database, type Sql } from '../database/database.sql.js';
import { PaymentLinksRepository } from '../records/payment-links.repository.js';

export interface GivenUpOrphan {
  source: string;
  externalId: string;
  kind: string;
  parentExternalId: string;
  firstSeenAt: Date;
}

export interface OrphanSweep {
  /** Newly found children without a parent, older than the grace window. */
  flagged: number;
  /** Previously flagged children whose parent has arrived (or that were deleted). */
  linked: number;
  givenUp: GivenUpOrphan[];
}

export interface OrphanCounts {
  /** Flagged and still waiting for their parent. */
  unreconciled: number;
  /** Waited longer than the give-up window; kept visible until the parent arrives. */
  givenUp: number;
  /** Age of the oldest unreconciled child, from when it was stored. */
  oldestAgeS: number | null;
}

/**
 * Refunds and disputes whose parent charge is not (yet) in the ledger. They count in revenue on
 * their own amount either way; this only tracks the missing link so it is visible and bounded.
 */
@Injectable()
export class OrphansRepository {
  constructor(
    private readonly db: Database,
    private readonly links: PaymentLinksRepository,
  ) {}

  /**
   * Runs inside the caller's transaction (which holds the reconciler's advisory lock). The ledger
   * side (which children lack a parent, which are settled) comes from the records module.
   */
  async sweep(sql: Sql, graceMs: number, giveUpMs: number): Promise<OrphanSweep> {
    const open = await sql.query<{ source: string; external_id: string }>(
      'SELECT source, external_id FROM payment_orphans',
    );
    const settled = await this.links.settledChildren(
      sql,
      open.map((o) => ({ source: o.source, externalId: o.external_id })),
    );
    const linked = settled.length
      ? await sql.query(
          `DELETE FROM payment_orphans po
            USING unnest($1::text[], $2::text[]) AS s(source, external_id)
            WHERE po.source = s.source AND po.external_id = s.external_id
           RETURNING po.external_id`,
          [settled.map((c) => c.source), settled.map((c) => c.externalId)],
        )
      : [];
    const candidates = await this.links.unlinkedChildren(sql, graceMs);
    const flagged = candidates.length
      ? await sql.query(
          `INSERT INTO payment_orphans (source, external_id, kind, parent_external_id, outbox_id, first_seen_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::timestamptz[])
           ON CONFLICT (source, external_id) DO NOTHING
           RETURNING external_id`,
          [
            candidates.map((c) => c.source),
            candidates.map((c) => c.externalId),
            candidates.map((c) => c.kind),
            candidates.map((c) => c.parentExternalId),
            candidates.map((c) => c.outboxId),
            candidates.map((c) => c.storedAt.toISOString()),
          ],
        )
      : [];
    const givenUp = await sql.query<{
      source: string;
      external_id: string;
      kind: string;
      parent_external_id: string;
      first_seen_at: string;
    }>(
      `UPDATE payment_orphans SET given_up_at = now()
        WHERE given_up_at IS NULL AND first_seen_at < now() - $1::bigint * interval '1 millisecond'
       RETURNING source, external_id, kind, parent_external_id, first_seen_at`,
      [giveUpMs],
    );
    return {
      flagged: flagged.length,
      linked: linked.length,
      givenUp: givenUp.map((r) => ({
        source: r.source,
        externalId: r.external_id,
        kind: r.kind,
        parentExternalId: r.parent_external_id,
        firstSeenAt: new Date(r.first_seen_at),
      })),
    };
  }

  /** Outbox rows whose payload an open orphan still needs (retention keeps them). */
  async heldOutboxIds(): Promise<string[]> {
    const rows = await this.db.query<{ outbox_id: string }>(
      'SELECT outbox_id::text AS outbox_id FROM payment_orphans WHERE outbox_id IS NOT NULL',
    );
    return rows.map((r) => r.outbox_id);
  }

  async counts(): Promise<OrphanCounts> {
    const rows = await this.db.query<{ open: string; given_up: string; oldest_s: string | null }>(
      `SELECT count(*) FILTER (WHERE given_up_at IS NULL) AS open,
              count(*) FILTER (WHERE given_up_at IS NOT NULL) AS given_up,
              extract(epoch FROM now() - min(first_seen_at) FILTER (WHERE given_up_at IS NULL)) AS oldest_s
         FROM payment_orphans`,
    );
    const r = rows[0];
    return {
      unreconciled: Number(r?.open ?? 0),
      givenUp: Number(r?.given_up ?? 0),
      oldestAgeS:
        r?.oldest_s === null || r?.oldest_s === undefined ? null : Math.max(0, Math.floor(Number(r.oldest_s))),
    };
  }
}
