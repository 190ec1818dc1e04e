import type { OutboxInsert, OutboxKind } from '../../outbox/outbox.types.js';
import type { Json } from './stripe.payload.js';
import { chargeStatus, disputeStatus, refundStatus } from './stripe.status-map.js';

const SNAPSHOT_KIND: Record<string, OutboxKind> = {
  charge: 'stripe.charge',
  refund: 'stripe.refund',
  dispute: 'stripe.dispute',
};

/**
 * Dedupe key of a polled snapshot: the object id plus every field that changes its ledger row.
 * Re-polling an unchanged object (the overlap window, a resync) yields the same key and is a
 * duplicate; a capture, refund, status change or dispute yields a new key and a new outbox row.
 */
export function snapshotKey(o: Json): string {
  switch (o.object) {
    case 'charge':
      return `charge:${o.id}:${o.status}:${o.captured ? 'captured' : 'uncaptured'}:${o.amount_captured}:${o.amount_refunded}:${o.disputed ? 'disputed' : 'undisputed'}`;
    case 'refund':
      return `refund:${o.id}:${o.status}:${o.amount}`;
    case 'dispute':
      return `dispute:${o.id}:${o.status}:${o.amount}`;
    default:
      throw new Error(`no snapshot key for object ${String(o.object)}`);
  }
}

/** A polled object as an outbox row; its version time is the fetch time (stored as vendor_time). */
export function snapshotRow(o: Json, fetchedAt: Date): OutboxInsert {
  const kind = SNAPSHOT_KIND[String(o.object)];
  if (!kind) throw new Error(`cannot store a polled ${String(o.object)}`);
  return {
    source: 'stripe',
    kind,
    dedupeKey: snapshotKey(o),
    origin: 'poll',
    eventType: `${String(o.object)}.snapshot`,
    payload: o,
    vendorTime: fetchedAt,
  };
}

/** An Event (webhook or Events API) as an outbox row, keyed by the event id so both paths dedupe. */
export function eventRow(e: { id: string; type: string; created: number }, origin: 'webhook' | 'poll'): OutboxInsert {
  return {
    source: 'stripe',
    kind: 'stripe.event',
    dedupeKey: e.id,
    origin,
    eventType: e.type,
    payload: e,
    vendorTime: new Date(e.created * 1000),
  };
}

/** The raw status when the allow-list does not know it (reported on the run), else null. */
export function unmappedStatus(o: Json): string | null {
  const raw = typeof o.status === 'string' ? o.status : 'null';
  const st =
    o.object === 'charge'
      ? chargeStatus(raw, o.captured === true)
      : o.object === 'refund'
        ? refundStatus(raw)
        : o.object === 'dispute'
          ? disputeStatus(raw)
          : null;
  return st && st.status === 'UNKNOWN' ? `${String(o.object)}:${raw}` : null;
}
