import { Injectable } from '@nestjs/common';
import { Database, type Sql } from '../database/database.sql.js';
import { EventLinksRepository } from '../records/event-links.repository.js';
import { PaymentLinksRepository, type UnlinkedChild } from '../records/payment-links.repository.js';

export interface GivenUpOrphan {
  source: string;
  externalId: string;
  kind: string;
  parentExternalId: string;
  firstSeenAt: Date;
}

export interface OrphanSweep {
  /** Distinct children looked at: those still waiting plus those newly found without a parent. */
  scanned: number;
  /** Newly found children without a parent, older than the grace window. */
  flagged: number;
  /** Waiting children whose parent has arrived (or that were deleted). */
  linked: number;
  givenUp: GivenUpOrphan[];
}

export interface OrphanCounts {
  /** Flagged and still waiting for their parent. */
  unreconciled: number;
  /** Waited longer than the give-up window and still unlinked; kept visible until the parent arrives. */
  givenUp: number;
  /** Age of the oldest unreconciled child, from when it was stored. */
  oldestAgeS: number | null;
}

/** The report's view of one source: every child ever flagged is in exactly one of these. */
export interface OrphanStates {
  open: number;
  linked: number;
  givenUp: number;
}

/** One entry of the append-only audit. */
export interface OrphanEvent {
  id: string;
  source: string;
  externalId: string;
  kind: string;
  parentExternalId: string;
  event: 'flagged' | 'linked' | 'given_up';
  reason: string | null;
  outboxId: string | null;
  at: Date;
}

/** A child without its parent, as the ledger's link repositories report it. */
type Child = UnlinkedChild;

const key = (source: string, externalId: string) => `${source}\u0000${externalId}`;
/** Google Calendar children are keyed `<calendarId>/<eventId>`: event ids repeat across calendars. */
const gcalId = (calendarId: string, eventId: string) => `${calendarId}/${eventId}`;
function splitGcalId(id: string): { calendarId: string; eventId: string } {
  const at = id.lastIndexOf('/');
  return { calendarId: id.slice(0, at), eventId: id.slice(at + 1) };
}

/**
 * Children that arrived before their parent, as seed 002 asks: flagged after a grace window,
 * linked when the parent comes, given up visibly after seven days. Covered: Stripe refunds and
 * disputes before their charge, Google Calendar exception occurrences before their series master.
 * HubSpot has no such case in this ledger: a deal webhook fetches the whole current deal (an
 * update never arrives without its object) and deals store no contact associations.
 *
 * payment_orphans is the current state (a link sets linked_at, nothing is deleted); every change
 * of state also appends a row to orphan_events, in the same statement, and that table refuses
 * UPDATE, DELETE and TRUNCATE. The ledger rows themselves are untouched: a refund counts in
 * revenue on its own amount either way.
 */
@Injectable()
export class OrphansRepository {
  constructor(
    private readonly db: Database,
    private readonly links: PaymentLinksRepository,
    private readonly eventLinks: EventLinksRepository = new EventLinksRepository(),
  ) {}

  /**
   * Runs inside the caller's transaction (which holds the reconciler's advisory lock). The ledger
   * side (which children lack a parent, which are settled) comes from the records module.
   */
  async sweep(sql: Sql, graceMs: number, giveUpMs: number): Promise<OrphanSweep> {
    const waiting = await sql.query<{ source: string; external_id: string }>(
      'SELECT source, external_id FROM payment_orphans WHERE linked_at IS NULL',
    );
    const paymentRefs = waiting
      .filter((o) => o.source !== 'gcal')
      .map((o) => ({ source: o.source, externalId: o.external_id }));
    const eventRefs = waiting.filter((o) => o.source === 'gcal').map((o) => splitGcalId(o.external_id));
    const settled = [
      ...(await this.links.settledChildren(sql, paymentRefs)),
      ...(await this.eventLinks.settledOccurrences(sql, eventRefs)).map((e) => ({
        source: 'gcal',
        externalId: gcalId(e.calendarId, e.eventId),
        reason: e.reason,
      })),
    ];
    const linked = settled.length
      ? await sql.query(
          `WITH l AS (
             UPDATE payment_orphans po SET linked_at = now()
               FROM unnest($1::text[], $2::text[], $3::text[]) AS s(source, external_id, reason)
              WHERE po.source = s.source AND po.external_id = s.external_id AND po.linked_at IS NULL
             RETURNING po.source, po.external_id, po.kind, po.parent_external_id, po.outbox_id, s.reason)
           INSERT INTO orphan_events (source, external_id, kind, parent_external_id, event, reason, outbox_id)
           SELECT source, external_id, kind, parent_external_id, 'linked', reason, outbox_id FROM l
            ORDER BY source, external_id
           RETURNING external_id`,
          [settled.map((c) => c.source), settled.map((c) => c.externalId), settled.map((c) => c.reason)],
        )
      : [];

    const candidates: Child[] = [
      ...(await this.links.unlinkedChildren(sql, graceMs)),
      ...(await this.eventLinks.unlinkedOccurrences(sql, graceMs)).map((o) => ({
        source: 'gcal',
        externalId: gcalId(o.calendarId, o.eventId),
        kind: 'occurrence',
        parentExternalId: gcalId(o.calendarId, o.recurringEventId),
        outboxId: o.outboxId,
        storedAt: o.storedAt,
      })),
    ];
    const flagged = candidates.length
      ? await sql.query(
          `WITH f AS (
             INSERT INTO payment_orphans (source, external_id, kind, parent_external_id, outbox_id, first_seen_at)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::timestamptz[])
             ON CONFLICT (source, external_id) DO NOTHING
             RETURNING source, external_id, kind, parent_external_id, outbox_id)
           INSERT INTO orphan_events (source, external_id, kind, parent_external_id, event, outbox_id)
           SELECT source, external_id, kind, parent_external_id, 'flagged', outbox_id FROM f
            ORDER BY source, external_id
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
      `WITH g AS (
         UPDATE payment_orphans SET given_up_at = now()
          WHERE given_up_at IS NULL AND linked_at IS NULL
            AND first_seen_at < now() - $1::bigint * interval '1 millisecond'
         RETURNING source, external_id, kind, parent_external_id, outbox_id, first_seen_at),
       e AS (
         INSERT INTO orphan_events (source, external_id, kind, parent_external_id, event, outbox_id)
         SELECT source, external_id, kind, parent_external_id, 'given_up', outbox_id FROM g ORDER BY source, external_id)
       SELECT source, external_id, kind, parent_external_id, first_seen_at FROM g ORDER BY source, external_id`,
      [giveUpMs],
    );

    const scanned = new Set([
      ...waiting.map((o) => key(o.source, o.external_id)),
      ...candidates.map((c) => key(c.source, c.externalId)),
    ]).size;
    return {
      scanned,
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

  /** Outbox rows whose payload a child still waiting for its parent needs (retention keeps them). */
  async heldOutboxIds(): Promise<string[]> {
    const rows = await this.db.query<{ outbox_id: string }>(
      'SELECT outbox_id::text AS outbox_id FROM payment_orphans WHERE outbox_id IS NOT NULL AND linked_at IS NULL',
    );
    return rows.map((r) => r.outbox_id);
  }

  async counts(): Promise<OrphanCounts> {
    const rows = await this.db.query<{ open: string; given_up: string; oldest_s: string | null }>(
      `SELECT count(*) FILTER (WHERE given_up_at IS NULL) AS open,
              count(*) FILTER (WHERE given_up_at IS NOT NULL) AS given_up,
              extract(epoch FROM now() - min(first_seen_at) FILTER (WHERE given_up_at IS NULL)) AS oldest_s
         FROM payment_orphans WHERE linked_at IS NULL`,
    );
    const r = rows[0];
    return {
      unreconciled: Number(r?.open ?? 0),
      givenUp: Number(r?.given_up ?? 0),
      oldestAgeS:
        r?.oldest_s === null || r?.oldest_s === undefined ? null : Math.max(0, Math.floor(Number(r.oldest_s))),
    };
  }

  /** One source's children by state; a child given up and linked later counts as linked. */
  async states(sql: Sql, source: string): Promise<OrphanStates> {
    const rows = await sql.query<{ open: string; linked: string; given_up: string }>(
      `SELECT count(*) FILTER (WHERE linked_at IS NULL AND given_up_at IS NULL) AS open,
              count(*) FILTER (WHERE linked_at IS NOT NULL) AS linked,
              count(*) FILTER (WHERE linked_at IS NULL AND given_up_at IS NOT NULL) AS given_up
         FROM payment_orphans WHERE source = $1`,
      [source],
    );
    const r = rows[0];
    return { open: Number(r?.open ?? 0), linked: Number(r?.linked ?? 0), givenUp: Number(r?.given_up ?? 0) };
  }

  /** Children given up and still unlinked, oldest first (at most `limit`), with their total. */
  async givenUp(limit: number): Promise<{ count: number; orphans: GivenUpOrphan[] }> {
    const rows = await this.db.query<{
      source: string;
      external_id: string;
      kind: string;
      parent_external_id: string;
      first_seen_at: string;
      total: string;
    }>(
      `SELECT source, external_id, kind, parent_external_id, first_seen_at, count(*) OVER () AS total
         FROM payment_orphans WHERE given_up_at IS NOT NULL AND linked_at IS NULL
        ORDER BY first_seen_at, source, external_id LIMIT $1`,
      [limit],
    );
    return {
      count: Number(rows[0]?.total ?? 0),
      orphans: rows.map((r) => ({
        source: r.source,
        externalId: r.external_id,
        kind: r.kind,
        parentExternalId: r.parent_external_id,
        firstSeenAt: new Date(r.first_seen_at),
      })),
    };
  }

  /** The audit trail of one child, oldest first. */
  async history(source: string, externalId: string): Promise<OrphanEvent[]> {
    const rows = await this.db.query<{
      id: string;
      source: string;
      external_id: string;
      kind: string;
      parent_external_id: string;
      event: OrphanEvent['event'];
      reason: string | null;
      outbox_id: string | null;
      at: string;
    }>(
      `SELECT id::text AS id, source, external_id, kind, parent_external_id, event, reason, outbox_id::text AS outbox_id, at
         FROM orphan_events o WHERE source = $1 AND external_id = $2 ORDER BY o.id`,
      [source, externalId],
    );
    return rows.map((r) => ({
      id: r.id,
      source: r.source,
      externalId: r.external_id,
      kind: r.kind,
      parentExternalId: r.parent_external_id,
      event: r.event,
      reason: r.reason,
      outboxId: r.outbox_id,
      at: new Date(r.at),
    }));
  }
}
