import { Injectable } from '@nestjs/common';
import type { Sql } from '../database/database.sql.js';

/** A refund or dispute whose parent charge is not in the ledger. */
export interface UnlinkedChild {
  source: string;
  externalId: string;
  kind: string;
  parentExternalId: string;
  outboxId: string | null;
  storedAt: Date;
}

export interface ChildRef {
  source: string;
  externalId: string;
}

/**
 * Parent/child links inside the ledger (refunds and disputes → their charge), read for the orphan
 * reconciler, which owns its own bookkeeping and never touches `payments` itself.
 */
@Injectable()
export class PaymentLinksRepository {
  /** Children stored more than `graceMs` ago whose parent row does not exist. */
  async unlinkedChildren(sql: Sql, graceMs: number): Promise<UnlinkedChild[]> {
    // The anti-join walks the partial index of rows that have a parent (refunds and disputes only).
    const rows = await sql.query<{
      source: string;
      external_id: string;
      kind: string;
      parent_external_id: string;
      outbox_id: string | null;
      created_at: string;
    }>(
      `SELECT c.source, c.external_id, c.kind, c.parent_external_id, c.outbox_id::text AS outbox_id, c.created_at
         FROM payments c
        WHERE c.parent_external_id IS NOT NULL AND c.kind IN ('refund','dispute') AND c.deleted_at IS NULL
          AND c.created_at < now() - $1::bigint * interval '1 millisecond'
          AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.source = c.source AND p.external_id = c.parent_external_id)`,
      [graceMs],
    );
    return rows.map((r) => ({
      source: r.source,
      externalId: r.external_id,
      kind: r.kind,
      parentExternalId: r.parent_external_id,
      outboxId: r.outbox_id,
      storedAt: new Date(r.created_at),
    }));
  }

  /**
   * Of the given children, those that no longer need a parent: their parent has arrived
   * (`parent_arrived`), or the child itself is gone or deleted (`child_deleted`).
   */
  async settledChildren(
    sql: Sql,
    children: readonly ChildRef[],
  ): Promise<(ChildRef & { reason: 'parent_arrived' | 'child_deleted' })[]> {
    if (children.length === 0) return [];
    const rows = await sql.query<{ source: string; external_id: string; parent_arrived: boolean }>(
      `SELECT k.source, k.external_id,
              c.id IS NOT NULL AND EXISTS (SELECT 1 FROM payments p WHERE p.source = c.source AND p.external_id = c.parent_external_id) AS parent_arrived
         FROM unnest($1::text[], $2::text[]) AS k(source, external_id)
         LEFT JOIN payments c ON c.source = k.source AND c.external_id = k.external_id
        WHERE c.id IS NULL OR c.deleted_at IS NOT NULL
           OR EXISTS (SELECT 1 FROM payments p WHERE p.source = c.source AND p.external_id = c.parent_external_id)`,
      [children.map((c) => c.source), children.map((c) => c.externalId)],
    );
    return rows.map((r) => ({
      source: r.source,
      externalId: r.external_id,
      reason: r.parent_arrived ? 'parent_arrived' : 'child_deleted',
    }));
  }
}
