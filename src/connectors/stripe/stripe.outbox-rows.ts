import type { OutboxInsert, OutboxKind } from '../../outbox/outbox.types.js';
import { digestKey, unparsedBody } from '../../webhooks/webhook.json.js';
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

/** 9999-12-31T23:59:59Z: later `created` values cannot become a timestamptz. */
const LAST_UNIX_S = 253_402_300_799;

/**
 * A verified webhook body as an outbox row, whatever its shape: the signature makes it evidence
 * (DESIGN invariant 6). Deduped by the event id when it has one, else by a hash of the raw bytes;
 * typed and versioned by `type` and `created` when they are usable. The worker parks whatever is
 * not a Stripe event it can map as dead `invalid_payload`, to be redriven after a fix.
 */
export function signedWebhookRow(
  raw: Buffer,
  body: { ok: true; value: unknown } | { ok: false; reason: string },
): OutboxInsert {
  const base = { source: 'stripe' as const, kind: 'stripe.event' as const, origin: 'webhook' as const };
  if (!body.ok)
    return {
      ...base,
      dedupeKey: digestKey(raw),
      eventType: 'unknown',
      payload: unparsedBody(raw, body.reason),
      vendorTime: null,
    };
  const e =
    body.value !== null && typeof body.value === 'object' && !Array.isArray(body.value)
      ? (body.value as Record<string, unknown>)
      : {};
  const usable = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 255;
  const created = e.created;
  return {
    ...base,
    dedupeKey: usable(e.id) ? e.id : digestKey(raw),
    eventType: usable(e.type) ? e.type : 'unknown',
    payload: body.value,
    vendorTime:
      typeof created === 'number' && Number.isSafeInteger(created) && created > 0 && created <= LAST_UNIX_S
        ? new Date(created * 1000)
        : null,
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
