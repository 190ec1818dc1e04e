import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Sql } from '../database/database.sql.js';
import type { RevenueSource, Version } from './record.types.js';

/** The stored vendor event a ledger write came from, as lineage keeps it. */
export interface LineageEvent {
  outboxId: string;
  origin: 'webhook' | 'poll' | 'replay' | 'internal';
  /** The event's dedupe key: the vendor event id (webhooks, Stripe Events API) or the snapshot key (polls). */
  vendorEventId: string;
  eventType: string;
  receivedAt: Date;
  /** sha256 of the payload; see lineageEvent. Null only for rows backfilled by the migration. */
  payloadSha256: string | null;
}

/**
 * The lineage of one claimed outbox row, for every ledger record mapped from it. The hash is
 * sha256 over `JSON.stringify(payload)` of the payload exactly as the worker read it from
 * ingest_outbox (jsonb, so key order and spacing are Postgres's): anyone holding a copy of the
 * payload can recompute it after retention purged ours.
 */
export function lineageEvent(row: {
  id: string;
  origin: LineageEvent['origin'];
  dedupeKey: string;
  eventType: string;
  receivedAt: Date;
  payload: unknown;
}): LineageEvent {
  return {
    outboxId: row.id,
    origin: row.origin,
    vendorEventId: row.dedupeKey,
    eventType: row.eventType,
    receivedAt: row.receivedAt,
    payloadSha256: createHash('sha256')
      .update(JSON.stringify(row.payload) ?? 'null')
      .digest('hex'),
  };
}

/** One write (or attempted write) of a ledger row, as PaymentsRepository.upsertMany reports it. */
export interface LineageWrite {
  source: RevenueSource;
  externalId: string;
  event: LineageEvent;
  version: Version;
  derivationRev: number;
  won: boolean;
}

/** A lineage row as the read side returns it. */
export interface LineageEntry extends LineageEvent {
  paymentId: string;
  derivationRev: number;
  replayed: boolean;
  version: Version;
  won: boolean;
}

interface EntryRow {
  payment_id: string;
  outbox_id: string;
  derivation_rev: number;
  origin: LineageEvent['origin'];
  replayed: boolean;
  vendor_event_id: string;
  event_type: string;
  received_at: string;
  payload_sha256: string | null;
  version_at: string;
  version_rank: number;
  version_tiebreak: string;
  won: boolean;
}

/**
 * payment_lineage: which stored vendor events wrote or touched each ledger row. Written only by
 * PaymentsRepository.upsertMany, in the transaction of the ledger write, with one set-based
 * statement per batch; read by payment id (the primary key's leading column) for the trace.
 */
@Injectable()
export class PaymentLineageRepository {
  /**
   * Records the writes of one upsert batch. Run after the upsert in its transaction: every row
   * exists by then (inserted, updated, or the one a loser lost to). A write already recorded for
   * the same (row, event, revision) adds nothing, so a worker's redo after a crash and a replay
   * through the same code leave the lineage as it was; a replay through newer code adds a row,
   * marked `replayed`.
   */
  async record(sql: Sql, writes: readonly LineageWrite[]): Promise<void> {
    if (writes.length === 0) return;
    await sql.query(
      `INSERT INTO payment_lineage (payment_id, outbox_id, derivation_rev, origin, replayed, vendor_event_id, event_type,
                                    received_at, payload_sha256, version_at, version_rank, version_tiebreak, won)
       SELECT p.id, e.outbox_id, e.rev, e.origin,
              EXISTS (SELECT 1 FROM payment_lineage x WHERE x.payment_id = p.id AND x.outbox_id = e.outbox_id),
              e.vendor_event_id, e.event_type, e.received_at, decode(e.sha, 'hex'), e.version_at, e.version_rank,
              NULLIF(e.tiebreak, e.vendor_event_id), e.won
         FROM unnest($1::text[], $2::text[], $3::bigint[], $4::int[], $5::text[], $6::text[], $7::text[], $8::timestamptz[],
                     $9::text[], $10::timestamptz[], $11::int[], $12::text[], $13::boolean[])
              AS e(source, external_id, outbox_id, rev, origin, vendor_event_id, event_type, received_at, sha, version_at,
                   version_rank, tiebreak, won)
         JOIN payments p ON p.source = e.source AND p.external_id = e.external_id
       ON CONFLICT (payment_id, outbox_id, derivation_rev) DO NOTHING`,
      [
        writes.map((w) => w.source),
        writes.map((w) => w.externalId),
        writes.map((w) => w.event.outboxId),
        writes.map((w) => w.derivationRev),
        writes.map((w) => w.event.origin),
        writes.map((w) => w.event.vendorEventId),
        writes.map((w) => w.event.eventType),
        writes.map((w) => w.event.receivedAt.toISOString()),
        writes.map((w) => w.event.payloadSha256),
        writes.map((w) => w.version.at.toISOString()),
        writes.map((w) => w.version.rank),
        writes.map((w) => w.version.tiebreak),
        writes.map((w) => w.won),
      ],
    );
  }

  /** Every lineage row of these ledger rows, per row in order of receipt (one index range per row). */
  async forPayments(sql: Sql, paymentIds: readonly string[]): Promise<Map<string, LineageEntry[]>> {
    const out = new Map<string, LineageEntry[]>();
    if (paymentIds.length === 0) return out;
    const rows = await sql.query<EntryRow>(
      `SELECT l.payment_id::text AS payment_id, l.outbox_id::text AS outbox_id, derivation_rev, origin, replayed, vendor_event_id, event_type, received_at,
              encode(payload_sha256, 'hex') AS payload_sha256, version_at, version_rank,
              COALESCE(version_tiebreak, vendor_event_id) AS version_tiebreak, won
         FROM payment_lineage l
        WHERE l.payment_id = ANY($1::bigint[])
        ORDER BY l.payment_id, l.received_at, l.outbox_id, l.derivation_rev`,
      [paymentIds],
    );
    for (const r of rows) {
      const entry: LineageEntry = {
        paymentId: String(r.payment_id),
        outboxId: String(r.outbox_id),
        derivationRev: Number(r.derivation_rev),
        origin: r.origin,
        replayed: r.replayed,
        vendorEventId: r.vendor_event_id,
        eventType: r.event_type,
        receivedAt: new Date(r.received_at),
        payloadSha256: r.payload_sha256,
        version: { at: new Date(r.version_at), rank: Number(r.version_rank), tiebreak: r.version_tiebreak },
        won: r.won,
      };
      const list = out.get(entry.paymentId);
      if (list) list.push(entry);
      else out.set(entry.paymentId, [entry]);
    }
    return out;
  }
}
