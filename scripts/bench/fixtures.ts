import type { OutboxInsert } from '../../src/outbox/outbox.types.js';
import type { PaymentRecord } from '../../src/records/record.types.js';
import { snapshotRow } from '../../src/connectors/stripe/stripe.outbox-rows.js';

/** Deterministic bench data (LCG), shaped like real Stripe objects. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

export function stripeCharge(id: string, amount: number, created: number, currency = 'usd') {
  return {
    id,
    object: 'charge',
    amount,
    amount_captured: amount,
    amount_refunded: 0,
    captured: true,
    currency,
    status: 'succeeded',
    created,
    paid: true,
    refunded: false,
    disputed: false,
    customer: null,
    description: 'bench',
    livemode: false,
    metadata: {},
  };
}

export function chargeEvent(eventId: string, chargeId: string, amount: number) {
  const created = Math.floor(Date.now() / 1000);
  return {
    id: eventId,
    object: 'event',
    api_version: '2025-01-27.acacia',
    created,
    type: 'charge.succeeded',
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object: stripeCharge(chargeId, amount, created) },
  };
}

/** n polled charge snapshots as outbox rows. */
export function syntheticCharges(n: number): OutboxInsert[] {
  const rnd = lcg(11);
  const now = Math.floor(Date.now() / 1000);
  const fetchedAt = new Date();
  return Array.from({ length: n }, (_, i) =>
    snapshotRow(
      stripeCharge(
        `ch_bench_q_${i}`,
        500 + Math.floor(rnd() * 50_000),
        now - Math.floor(rnd() * 365 * 86_400),
        rnd() < 0.8 ? 'usd' : 'eur',
      ),
      fetchedAt,
    ),
  );
}

/** n ledger rows spread over the last two years; `from..to` is the most recent full year. */
export function syntheticLedger(n: number, prefix: string): { records: PaymentRecord[]; from: string; to: string } {
  const rnd = lcg(23);
  const now = Date.now();
  const records: PaymentRecord[] = Array.from({ length: n }, (_, i) => {
    const refund = rnd() < 0.1;
    const at = new Date(now - Math.floor(rnd() * 730 * 86_400_000));
    return {
      source: rnd() < 0.85 ? 'stripe' : 'hubspot',
      kind: refund ? 'refund' : 'charge',
      externalId: `${prefix}_${i}`,
      parentExternalId: null,
      amountCents: BigInt(100 + Math.floor(rnd() * 100_000)),
      currency: rnd() < 0.75 ? 'USD' : 'EUR',
      status: 'SUCCEEDED',
      rawStatus: 'succeeded',
      effect: refund ? 'refund' : 'gross',
      occurredAt: at,
      customerRef: null,
      description: null,
      deletedAt: null,
      version: { at, rank: 2, tiebreak: '' },
    };
  });
  const to = new Date(now - 86_400_000).toISOString().slice(0, 10);
  const from = new Date(now - 366 * 86_400_000).toISOString().slice(0, 10);
  return { records, from, to };
}
