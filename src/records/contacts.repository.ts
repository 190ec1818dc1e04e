import { Injectable } from '@nestjs/common';
import type { Sql } from '../database/database.sql.js';
import type { ContactRecord, Version } from './record.types.js';
import { newestPerKey, versionParams } from './record.version.js';

/** A deletion known only by id and time (a webhook for an object the vendor no longer returns). */
export interface ContactTombstone {
  externalId: string;
  version: Version;
  /** Privacy (GDPR) deletion: the personal fields are erased, not just hidden. */
  erase: boolean;
}

const VERSION_IS_NEWER = `(excluded.version_at, excluded.version_rank, excluded.version_tiebreak) > (c.version_at, c.version_rank, c.version_tiebreak)`;

/**
 * Contacts, last-write-wins on the version tuple like the ledger: a row changes only for a strictly
 * newer version, so a late, older update cannot resurrect a soft-deleted contact.
 */
@Injectable()
export class ContactsRepository {
  /** Returns how many rows were inserted or changed. A record's own `outboxId` (batched handlers) beats the shared one. */
  async upsertMany(
    sql: Sql,
    records: readonly (ContactRecord & { outboxId?: string | null })[],
    outboxId: string | null = null,
  ): Promise<number> {
    const rows = newestPerKey(records, (r) => `${r.source}\u0000${r.externalId}`);
    if (rows.length === 0) return 0;
    const res = await sql.query(
      `INSERT INTO contacts AS c (source, external_id, email, phone, first_name, last_name, lifecycle_stage, deleted_at,
                                  version_at, version_rank, version_tiebreak, outbox_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[],
                            $9::timestamptz[], $10::int[], $11::text[], $12::bigint[])
       ON CONFLICT (source, external_id) DO UPDATE SET
         email = excluded.email, phone = excluded.phone, first_name = excluded.first_name, last_name = excluded.last_name,
         lifecycle_stage = excluded.lifecycle_stage, deleted_at = excluded.deleted_at, version_at = excluded.version_at,
         version_rank = excluded.version_rank, version_tiebreak = excluded.version_tiebreak, outbox_id = excluded.outbox_id,
         updated_at = now()
       WHERE ${VERSION_IS_NEWER}
       RETURNING c.id`,
      [
        rows.map((r) => r.source),
        rows.map((r) => r.externalId),
        rows.map((r) => r.email),
        rows.map((r) => r.phone),
        rows.map((r) => r.firstName),
        rows.map((r) => r.lastName),
        rows.map((r) => r.lifecycleStage),
        ...versionParams(rows, outboxId),
      ],
    );
    return res.length;
  }

  /**
   * Soft-deletes by id at the given version, keeping the stored fields (or erasing them for a
   * privacy deletion). Unknown ids get a field-less tombstone so an older snapshot arriving later
   * cannot create the contact.
   */
  async markDeleted(
    sql: Sql,
    source: 'hubspot',
    tombstones: readonly ContactTombstone[],
    outboxId: string | null = null,
  ): Promise<number> {
    const rows = newestPerKey(tombstones, (t) => t.externalId);
    let changed = 0;
    for (const erase of [true, false]) {
      const group = rows.filter((t) => t.erase === erase);
      if (group.length === 0) continue;
      const res = await sql.query(
        `INSERT INTO contacts AS c (source, external_id, deleted_at, version_at, version_rank, version_tiebreak, outbox_id)
         SELECT $1, t.external_id, t.at, t.at, t.rank, t.tiebreak, $6::bigint
           FROM unnest($2::text[], $3::timestamptz[], $4::int[], $5::text[]) AS t(external_id, at, rank, tiebreak)
         ON CONFLICT (source, external_id) DO UPDATE SET
           deleted_at = excluded.deleted_at, version_at = excluded.version_at, version_rank = excluded.version_rank,
           version_tiebreak = excluded.version_tiebreak, outbox_id = excluded.outbox_id, updated_at = now(),
           email = CASE WHEN $7::boolean THEN NULL ELSE c.email END,
           phone = CASE WHEN $7::boolean THEN NULL ELSE c.phone END,
           first_name = CASE WHEN $7::boolean THEN NULL ELSE c.first_name END,
           last_name = CASE WHEN $7::boolean THEN NULL ELSE c.last_name END
         WHERE ${VERSION_IS_NEWER}
         RETURNING c.id`,
        [
          source,
          group.map((t) => t.externalId),
          group.map((t) => t.version.at.toISOString()),
          group.map((t) => t.version.rank),
          group.map((t) => t.version.tiebreak),
          outboxId,
          erase,
        ],
      );
      changed += res.length;
    }
    return changed;
  }

  /** Of these HubSpot contact ids, those stored as live (not deleted): the deletion sweep's work list. */
  async liveContacts(sql: Sql, externalIds: readonly string[]): Promise<string[]> {
    if (externalIds.length === 0) return [];
    const rows = await sql.query<{ external_id: string }>(
      `SELECT external_id FROM contacts WHERE source = 'hubspot' AND external_id = ANY($1::text[]) AND deleted_at IS NULL`,
      [externalIds],
    );
    return rows.map((r) => r.external_id);
  }
}
