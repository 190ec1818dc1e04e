import type { PaymentRecord } from '../../records/record.types.js';
import {
  asObject,
  bool,
  currency,
  int,
  optStr,
  ref,
  seconds,
  str,
  StripePayloadError,
  type Json,
} from './stripe.payload.js';
import { chargeStatus, disputeStatus, refundStatus, type StatusEntry } from './stripe.status-map.js';

/**
 * Pure mappers from raw Stripe objects to ledger rows. The revenue rules live here, once:
 *  - a charge is gross only when it succeeded AND was captured, for `amount_captured`;
 *  - a refund subtracts only when it succeeded (pending, failed, canceled subtract nothing);
 *  - a lost dispute subtracts its amount (kind `dispute`, effect `refund`);
 *  - `amount_refunded` on the charge is never used: refunds are their own rows (keyed by refund
 *    id, including those embedded in older-version charge events), so a refund is counted once
 *    whether we learn of it from the charge's events or from the refund itself.
 * Rows carry the money's own date (`created` of the charge/refund/dispute), so every version of
 * an object lands on the same day no matter which event or poll delivered it.
 */

/**
 * Revision of the rules below and of the status maps (see derivationRev in src/records). Bump it
 * with every change that alters a derived ledger row, so `POST /outbox/replay` repairs the rows
 * that change: the same Stripe version derived by the new code then wins last-write-wins, and
 * rows it derives identically are left untouched.
 */
export const STRIPE_DERIVATION_REV = 0;

/** The revision and the status maps a mapping runs with: the shipped ones unless a test injects others. */
export interface StripeRules {
  rev: number;
  chargeStatus: (raw: string, captured: boolean) => StatusEntry;
  refundStatus: (raw: string) => StatusEntry;
  disputeStatus: (raw: string) => StatusEntry;
}

export const STRIPE_RULES: StripeRules = Object.freeze({
  rev: STRIPE_DERIVATION_REV,
  chargeStatus,
  refundStatus,
  disputeStatus,
});

/** Where a version comes from; the rank is derived from the object's lifecycle state. */
export interface VersionHint {
  /** Event `created`, or the fetch time of a polled snapshot. */
  at: Date;
  /** Event id, or the snapshot's state key: equal (at, rank) still resolve deterministically. */
  tiebreak: string;
}

export function chargeRecord(raw: unknown, v: VersionHint, rules: StripeRules = STRIPE_RULES): PaymentRecord {
  const c = asObject(raw, 'charge');
  if (c.object !== 'charge') throw new StripePayloadError(`expected a charge, got object "${String(c.object)}"`);
  const rawStatus = str(c, 'status', 'charge');
  const captured = bool(c, 'captured', 'charge');
  const amount = int(c, 'amount', 'charge');
  // API versions before amount_captured existed: a captured charge captured its full amount.
  const amountCaptured =
    c.amount_captured === undefined ? (captured ? amount : 0) : int(c, 'amount_captured', 'charge');
  const st = rules.chargeStatus(rawStatus, captured);
  return {
    source: 'stripe',
    kind: 'charge',
    externalId: str(c, 'id', 'charge'),
    parentExternalId: null,
    amountCents: BigInt(amountCaptured),
    currency: currency(c, 'charge'),
    status: st.status,
    rawStatus,
    effect: st.status === 'SUCCEEDED' ? 'gross' : 'none',
    occurredAt: seconds(int(c, 'created', 'charge')),
    customerRef: ref(c, 'customer'),
    description: optStr(c, 'description'),
    deletedAt: null,
    version: { at: v.at, rank: st.rank, tiebreak: v.tiebreak },
  };
}

export function refundRecord(raw: unknown, v: VersionHint, rules: StripeRules = STRIPE_RULES): PaymentRecord {
  const r = asObject(raw, 'refund');
  if (r.object !== 'refund') throw new StripePayloadError(`expected a refund, got object "${String(r.object)}"`);
  // Stripe documents refund.status as nullable; a missing status is not a success.
  const rawStatus = typeof r.status === 'string' && r.status ? r.status : 'null';
  const st = rules.refundStatus(rawStatus);
  return reversal('refund', r, rawStatus, st, st.status === 'SUCCEEDED', v);
}

export function disputeRecord(raw: unknown, v: VersionHint, rules: StripeRules = STRIPE_RULES): PaymentRecord {
  const d = asObject(raw, 'dispute');
  if (d.object !== 'dispute') throw new StripePayloadError(`expected a dispute, got object "${String(d.object)}"`);
  const rawStatus = str(d, 'status', 'dispute');
  const st = rules.disputeStatus(rawStatus);
  // Only a lost dispute takes money back; won or open ones change nothing.
  return reversal('dispute', d, rawStatus, st, st.status === 'LOST', v);
}

/** Refunds and disputes: money going back on a charge, counted on their own date when `counts`. */
function reversal(
  kind: 'refund' | 'dispute',
  o: Record<string, unknown>,
  rawStatus: string,
  st: { status: PaymentRecord['status']; rank: number },
  counts: boolean,
  v: VersionHint,
): PaymentRecord {
  return {
    source: 'stripe',
    kind,
    externalId: str(o, 'id', kind),
    parentExternalId: ref(o, 'charge'),
    amountCents: BigInt(int(o, 'amount', kind)),
    currency: currency(o, kind),
    status: st.status,
    rawStatus,
    effect: counts ? 'refund' : 'none',
    occurredAt: seconds(int(o, 'created', kind)),
    customerRef: null,
    description: optStr(o, 'reason'),
    deletedAt: null,
    version: { at: v.at, rank: st.rank, tiebreak: v.tiebreak },
  };
}

/** Dispatches on the object's own `object` field. */
export function objectRecord(raw: unknown, v: VersionHint, rules: StripeRules = STRIPE_RULES): PaymentRecord {
  const o = asObject(raw, 'object');
  switch (o.object) {
    case 'charge':
      return chargeRecord(o, v, rules);
    case 'refund':
      return refundRecord(o, v, rules);
    case 'dispute':
      return disputeRecord(o, v, rules);
    default:
      throw new StripePayloadError(`unsupported object "${String(o.object)}"`);
  }
}

/** Event types that change the ledger, by the object their `data.object` must be. */
const EVENT_OBJECT = new Map<string, 'charge' | 'refund' | 'dispute'>([
  ['charge.succeeded', 'charge'],
  ['charge.captured', 'charge'],
  ['charge.failed', 'charge'],
  ['charge.pending', 'charge'],
  ['charge.updated', 'charge'],
  ['charge.refunded', 'charge'],
  ['charge.expired', 'charge'],
  ['charge.refund.updated', 'refund'],
  ['refund.created', 'refund'],
  ['refund.updated', 'refund'],
  ['refund.failed', 'refund'],
  ['charge.dispute.created', 'dispute'],
  ['charge.dispute.updated', 'dispute'],
  ['charge.dispute.closed', 'dispute'],
  ['charge.dispute.funds_withdrawn', 'dispute'],
  ['charge.dispute.funds_reinstated', 'dispute'],
]);

/** What the Events API sync asks for (Stripe accepts up to 20 names in `types`). */
export const LEDGER_EVENT_TYPES: readonly string[] = [...EVENT_OBJECT.keys()];

export type EventMapping = { handled: true; records: PaymentRecord[] } | { handled: false; reason: string };

export interface StripeEventHead {
  id: string;
  type: string;
  created: number;
  object: Json;
}

/** The envelope fields every Stripe event has; throws StripePayloadError when it is not one. */
export function eventHead(raw: unknown): StripeEventHead {
  const e = asObject(raw, 'event');
  if (e.object !== undefined && e.object !== 'event')
    throw new StripePayloadError(`expected an event, got object "${String(e.object)}"`);
  const id = str(e, 'id', 'event');
  const type = str(e, 'type', 'event');
  const created = int(e, 'created', 'event');
  const data = asObject(e.data, 'event.data');
  return { id, type, created, object: asObject(data.object, 'event.data.object') };
}

/**
 * Event → ledger rows, versioned at the event's `created` (tiebreak: event id), so a replayed,
 * duplicated or reordered stream converges on the newest state of each object.
 */
export function eventRecords(raw: unknown, rules: StripeRules = STRIPE_RULES): EventMapping {
  const head = eventHead(raw);
  const expected = EVENT_OBJECT.get(head.type);
  if (!expected) return { handled: false, reason: `event type ${head.type} does not affect the ledger` };
  if (head.object.object !== expected) {
    throw new StripePayloadError(`${head.type} must carry a ${expected}, got "${String(head.object.object)}"`);
  }
  const v: VersionHint = { at: seconds(head.created), tiebreak: head.id };
  return { handled: true, records: [objectRecord(head.object, v, rules), ...embeddedRefunds(head.object, v, rules)] };
}

/**
 * Charges in API versions before 2022-11-15 embed their refunds (`refunds.data`), and a
 * `charge.refunded` event may be the only news of a refund an account sends. Each embedded refund
 * becomes its own row keyed by its refund id, so it merges (last-write-wins) with the same refund
 * seen through refund events or polling instead of counting twice. Newer versions omit the list.
 */
function embeddedRefunds(o: Json, v: VersionHint, rules: StripeRules): PaymentRecord[] {
  if (o.object !== 'charge' || !o.refunds || typeof o.refunds !== 'object') return [];
  const data = (o.refunds as Json).data;
  if (!Array.isArray(data)) return [];
  return data.map((r) => refundRecord(r, v, rules));
}
