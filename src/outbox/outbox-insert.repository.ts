import { Injectable, Optional } from '@nestjs/common';
import type { Sql } from '../database/database.sql.js';
import { SightingsRepository } from '../reconciler/sightings.repository.js';
import type { OutboxInsert } from './outbox.types.js';

export interface InsertResult {
  inserted: number;
  duplicates: number;
  /** Dedupe keys that were new, as the rows gave them (in input order). */
  insertedKeys: Set<string>;
}

/**
 * The single write path into ingest_outbox, used by webhooks (one event) and connectors (a page).
 * Duplicates (same source + dedupe key) are skipped by the unique constraint, never updated:
 * the first stored copy of a raw event is the evidence. Runs on the caller's transaction, so a
 * page's rows and its cursor advance commit together. Notifies the worker on commit.
 */
@Injectable()
export class OutboxInsertRepository {
  constructor(@Optional() private readonly sightings?: SightingsRepository) {}

  async insertMany(sql: Sql, rows: readonly OutboxInsert[]): Promise<InsertResult> {
    if (rows.length === 0) return { inserted: 0, duplicates: 0, insertedKeys: new Set() };
    // What a poll saw, duplicates included (dedupe must not hide that a poll found an object), on
    // the page's transaction. Webhook rows are recorded when the worker claims them, which keeps
    // webhook receipt one statement.
    if (rows.some((r) => r.origin === 'poll')) await this.sightings?.recordPolled(sql, rows);
    // One statement (one round trip, atomic even outside a transaction): arrays unnested
    // server-side in order, and the worker's NOTIFY raised only when something new was stored
    // (delivered at commit).
    const res = await sql.query<{ dedupe_key: string }>(
      `WITH ins AS (
       INSERT INTO ingest_outbox (source, kind, dedupe_key, origin, event_type, payload, vendor_time, run_id)
       SELECT t.source, t.kind, t.dedupe_key, t.origin, t.event_type, t.payload::jsonb, t.vendor_time::timestamptz, t.run_id::bigint
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
              WITH ORDINALITY AS t(source, kind, dedupe_key, origin, event_type, payload, vendor_time, run_id, ord)
        ORDER BY t.ord
       ON CONFLICT (source, dedupe_key) DO NOTHING
       RETURNING dedupe_key),
       wake AS (SELECT pg_notify('buffalo_outbox', '') WHERE EXISTS (SELECT 1 FROM ins))
       SELECT ins.dedupe_key FROM ins LEFT JOIN wake ON true`,
      [
        rows.map((r) => r.source),
        rows.map((r) => r.kind),
        rows.map((r) => storableText(r.dedupeKey)),
        rows.map((r) => r.origin),
        rows.map((r) => storableText(r.eventType)),
        rows.map((r) => jsonbText(r.payload)),
        rows.map((r) => (r.vendorTime ? r.vendorTime.toISOString() : null)),
        rows.map((r) => r.runId ?? null),
      ],
    );
    const stored = new Set(res.map((r) => r.dedupe_key));
    const insertedKeys = new Set(rows.map((r) => r.dedupeKey).filter((k) => stored.has(storableText(k))));
    return { inserted: res.length, duplicates: rows.length - res.length, insertedKeys };
  }
}

export const OUTBOX_NOTIFY_CHANNEL = 'buffalo_outbox';

/**
 * JSON text a jsonb column accepts. jsonb refuses \u0000 and unpaired surrogates, and one such
 * character in a vendor's free text would fail the whole insert on every retry (a webhook answered
 * 503 forever, a sync page that never commits). JSON.stringify writes exactly those two as \uXXXX
 * escapes (paired surrogates it writes raw), so each escape not itself escaped becomes \ufffd:
 * the event is kept, with U+FFFD where the unstorable character was.
 */
export function jsonbText(value: unknown): string {
  return JSON.stringify(value).replace(/(?<!\\)((?:\\\\)*)\\u(0000|d[89a-f][0-9a-f]{2})/gi, '$1\\ufffd');
}

/** Postgres text cannot hold U+0000 either (unpaired surrogates the driver already encodes as U+FFFD). */
function storableText(s: string): string {
  return s.includes('\u0000') ? s.replaceAll('\u0000', '\ufffd') : s;
}
