import Stripe from 'stripe';
import type { Issue } from '../../common/app.errors.js';

/** Stripe's own default, and the contract's: signatures older than 5 minutes are refused. */
export const SIGNATURE_TOLERANCE_S = 300;

export type SignatureVerdict = 'ok' | 'stale' | 'future' | 'malformed' | 'mismatch';

/** The signed `t=` as the SDK reads it (the last one, parseInt), in unix seconds. */
function signedAtS(header: string): number {
  let t = Number.NaN;
  for (const item of header.split(',')) {
    const [k, v] = item.split('=');
    if (k === 't') t = parseInt(v, 10);
  }
  return t;
}

/**
 * Verifies `Stripe-Signature` over the exact raw bytes with the official SDK. Several secrets
 * (comma-separated STRIPE_WEBHOOK_SECRET) are tried in turn so a secret can be rolled without
 * dropping deliveries signed with the old one.
 */
export function verifyStripeSignature(
  rawBody: Buffer,
  header: string,
  secrets: readonly string[],
  nowMs?: number,
): SignatureVerdict {
  let verdict: SignatureVerdict = 'mismatch';
  for (const secret of secrets) {
    try {
      Stripe.webhooks.signature!.verifyHeader(rawBody, header, secret, SIGNATURE_TOLERANCE_S, undefined, nowMs);
      // The SDK only bounds the age; a genuine signature dated ahead would stay replayable until
      // that date, so the tolerance applies in both directions.
      return signedAtS(header) - Math.floor((nowMs ?? Date.now()) / 1000) > SIGNATURE_TOLERANCE_S ? 'future' : 'ok';
    } catch (err) {
      const msg = String((err as Error)?.message ?? '');
      if (/tolerance/i.test(msg)) verdict = 'stale';
      else if (/Unable to extract|expected scheme/i.test(msg) && verdict === 'mismatch') verdict = 'malformed';
    }
  }
  return verdict;
}

/** 9999-12-31T23:59:59Z. */
const LAST_UNIX_S = 253_402_300_799;

export interface StripeEventEnvelope {
  id: string;
  type: string;
  created: number;
  [k: string]: unknown;
}

/** Issues that make a body not a Stripe v1 event; empty when it is one. */
export function stripeEventIssues(body: unknown): Issue[] {
  const issue = (field: string, message: string): Issue => ({ in: 'body', field, message });
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return [issue('', 'Body must be a Stripe event object.')];
  const e = body as Record<string, unknown>;
  const out: Issue[] = [];
  if (typeof e.id !== 'string' || !/^evt_[A-Za-z0-9_]{1,250}$/.test(e.id))
    out.push(issue('id', 'id must be a Stripe event id (evt_…).'));
  if (typeof e.type !== 'string' || !/^[a-z0-9_]+(\.[a-z0-9_]+)+$/.test(e.type) || e.type.length > 100) {
    out.push(issue('type', 'type must be a Stripe event type such as charge.succeeded.'));
  }
  // Bounded to what a timestamptz round-trips through JS (year 9999): a larger value would fail in
  // the insert and be answered 503, which Stripe would retry for days.
  if (typeof e.created !== 'number' || !Number.isSafeInteger(e.created) || e.created <= 0 || e.created > LAST_UNIX_S) {
    out.push(issue('created', 'created must be a unix timestamp in seconds.'));
  }
  if (e.object !== undefined && e.object !== 'event') out.push(issue('object', 'object must be "event".'));
  const data = e.data as Record<string, unknown> | undefined;
  if (
    !data ||
    typeof data !== 'object' ||
    Array.isArray(data) ||
    !data.object ||
    typeof data.object !== 'object' ||
    Array.isArray(data.object)
  ) {
    out.push(issue('data.object', 'data.object must be the event’s object.'));
  }
  return out;
}
