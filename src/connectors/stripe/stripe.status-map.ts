import type { PaymentStatus } from '../../records/record.types.js';

/**
 * Allow-lists from Stripe's raw statuses to ledger statuses. Anything not listed (a status Stripe
 * adds tomorrow) becomes UNKNOWN: stored, visible on /metrics/unmapped-statuses, counted nowhere.
 * Maps (not object literals) so a raw status like "constructor" cannot hit a prototype key.
 *
 * Ranks order lifecycle states so two versions with the same timestamp resolve to the later
 * state (a refund's `pending` and `succeeded` events can share a second).
 */
export interface StatusEntry {
  status: PaymentStatus;
  rank: number;
}

type Entry = StatusEntry;

const CHARGE = new Map<string, Entry>([
  ['pending', { status: 'PENDING', rank: 10 }],
  ['succeeded', { status: 'SUCCEEDED', rank: 30 }],
  ['failed', { status: 'FAILED', rank: 40 }],
]);

const REFUND = new Map<string, Entry>([
  ['pending', { status: 'PENDING', rank: 10 }],
  ['requires_action', { status: 'PENDING', rank: 11 }],
  ['succeeded', { status: 'SUCCEEDED', rank: 20 }],
  // A succeeded refund can still fail later (the card was closed): failure outranks success.
  ['failed', { status: 'FAILED', rank: 30 }],
  ['canceled', { status: 'CANCELED', rank: 30 }],
]);

const DISPUTE = new Map<string, Entry>([
  ['warning_needs_response', { status: 'OPEN', rank: 10 }],
  ['warning_under_review', { status: 'OPEN', rank: 11 }],
  ['needs_response', { status: 'OPEN', rank: 20 }],
  ['under_review', { status: 'OPEN', rank: 21 }],
  ['lost', { status: 'LOST', rank: 40 }],
  // An appeal follows a loss; the money stays with the cardholder until the appeal is won.
  ['appeal_needs_response', { status: 'LOST', rank: 41 }],
  ['appeal_under_review', { status: 'LOST', rank: 42 }],
  // Closed in the merchant's favour, or never escalated: the claim is void, nothing is owed.
  ['won', { status: 'CANCELED', rank: 50 }],
  ['warning_closed', { status: 'CANCELED', rank: 50 }],
  ['prevented', { status: 'CANCELED', rank: 50 }],
]);

const UNKNOWN: Entry = { status: 'UNKNOWN', rank: 0 };

/** A succeeded charge that is not captured is only an authorization: UNCAPTURED, never revenue. */
export function chargeStatus(raw: string, captured: boolean): Entry {
  const e = CHARGE.get(raw) ?? UNKNOWN;
  return e.status === 'SUCCEEDED' && !captured ? { status: 'UNCAPTURED', rank: 20 } : e;
}

export function refundStatus(raw: string): Entry {
  return REFUND.get(raw) ?? UNKNOWN;
}

export function disputeStatus(raw: string): Entry {
  return DISPUTE.get(raw) ?? UNKNOWN;
}
