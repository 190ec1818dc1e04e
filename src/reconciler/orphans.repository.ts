import { Injectable } from '@nestjs/common';
import { Database, type Sql } from '../database/database.sql.js';

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
  constructor(private readonly db: Database) {}

  /** Runs inside the caller's transaction (which holds the reconciler's advisory lock). */
  async sweep(sql: Sql, graceMs: number, giveUpMs: number): Promise<OrphanSweep> {
    const linked = await sql.query(
      `DELETE FROM payment_orphans po
        WHERE EXISTS (SELECT 1 FROM payments p WHERE p.source = po.source AND p.external_id = po.parent_external_id)
           OR NOT EXISTS (SELECT 1 FROM payments c WHERE c.source = po.source AND c.external_id = po.external_id AND c.deleted_at IS NULL)
       RETURNING po.external_id`,
    );
    // The anti-join walks the partial index of rows that have a parent (refunds and disputes only).
    const flagged = await sql.query(
      `INSERT INTO payment_orphans (source, external_id, kind, parent_external_id, outbox_id, first_seen_at)
       SELECT c.source, c.external_id, c.kind, c.parent_external_id, c.outbox_id, c.created_at
         FROM payments c
        WHERE c.parent_external_id IS NOT NULL AND c.kind IN ('refund','dispute') AND c.deleted_at IS NULL
          AND c.created_at < now() - $1::bigint * interval '1 millisecond'
          AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.source = c.source AND p.external_id = c.parent_external_id)
       ON CONFLICT (source, external_id) DO NOTHING
       RETURNING external_id`,
      [graceMs],
    );
    const givenUp = await sql.query<any>(
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
      oldestAgeS: r?.oldest_s === null || r?.oldest_s === undefined ? null : Math.max(0, Math.floor(Number(r.oldest_s))),
    };
  }
}
