import { StripeApiError, queryValue, type Query } from './stripe-list.js';
import type { StripeCharge, StripeList } from './stripe-objects.js';

export interface SyntheticChargesOptions {
  /** How many charges the account holds (1M is fine: nothing is stored). */
  count: number;
  /** Unix seconds of the oldest and newest charge. */
  start: number;
  end: number;
  seed?: number;
}

const CURRENCIES = ['usd', 'usd', 'usd', 'eur', 'jpy'] as const;

/** A small integer hash (deterministic per seed and index). */
function mix(seed: number, i: number): number {
  let h = (Math.imul(i ^ seed, 0x9e3779b1) ^ (i >>> 16)) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b) >>> 0;
  return (h ^ (h >>> 13)) >>> 0;
}

/**
 * A read-only account of `count` paid charges made on demand from their index, for backfills far
 * larger than the replayed dataset can hold (1M charges would be gigabytes of objects and events;
 * here a page costs its 100 objects and nothing is kept). Index 0 is the newest; `created` does
 * not increase with the index, so Stripe's newest-first order, `created` filters and
 * `starting_after` / `ending_before` anchors are binary searches and index arithmetic.
 */
export class SyntheticCharges {
  private readonly seed: number;
  private readonly prefix: string;

  constructor(private readonly o: SyntheticChargesOptions) {
    if (!(o.count > 0 && o.start < o.end)) throw new Error('synthetic charges need count > 0 and start < end');
    this.seed = o.seed ?? 1;
    this.prefix = `ch_syn${this.seed.toString(36)}_`;
  }

  created(i: number): number {
    return this.o.end - Math.floor((i * (this.o.end - this.o.start)) / this.o.count);
  }

  id(i: number): string {
    return `${this.prefix}${i.toString(36).padStart(7, '0')}`;
  }

  indexOf(id: string): number | undefined {
    if (!id.startsWith(this.prefix)) return undefined;
    const i = parseInt(id.slice(this.prefix.length), 36);
    return Number.isInteger(i) && i >= 0 && i < this.o.count && this.id(i) === id ? i : undefined;
  }

  charge(i: number): StripeCharge {
    const h = mix(this.seed, i);
    const currency = CURRENCIES[h % CURRENCIES.length];
    const amount = currency === 'jpy' ? 500 + (h % 300) * 100 : 500 + (h % 2000) * 25;
    return {
      id: this.id(i),
      object: 'charge',
      amount,
      amount_captured: amount,
      amount_refunded: 0,
      application: null,
      application_fee_amount: null,
      balance_transaction: `txn_syn_${i.toString(36)}`,
      billing_details: { address: null, email: null, name: null, phone: null },
      calculated_statement_descriptor: 'BUFFALO DEMO',
      captured: true,
      created: this.created(i),
      currency,
      customer: `cus_${String(h % 900).padStart(6, '0')}`,
      description: `Order #${i}`,
      disputed: false,
      failure_balance_transaction: null,
      failure_code: null,
      failure_message: null,
      fraud_details: {},
      livemode: false,
      metadata: {},
      on_behalf_of: null,
      outcome: {
        network_status: 'approved_by_network',
        reason: null,
        risk_level: 'normal',
        risk_score: h % 60,
        seller_message: 'Payment complete.',
        type: 'authorized',
      },
      paid: true,
      payment_intent: null,
      payment_method: null,
      payment_method_details: {
        type: 'card',
        card: {
          brand: 'visa',
          country: 'US',
          exp_month: 1 + (h % 12),
          exp_year: 2030,
          last4: '4242',
          funding: 'credit',
        },
      },
      receipt_email: null,
      receipt_number: null,
      receipt_url: null,
      refunded: false,
      review: null,
      shipping: null,
      source_transfer: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status: 'succeeded',
      transfer_data: null,
      transfer_group: null,
    };
  }

  /** First index whose created is <= t (created does not increase with the index). */
  private firstAtOrBefore(t: number): number {
    let lo = 0;
    let hi = this.o.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.created(mid) <= t) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** GET /v1/charges with Stripe's list semantics (limit, created filters, anchors). */
  list(q: Query): StripeList<StripeCharge> {
    for (const key of q.keys()) {
      if (!/^(limit|starting_after|ending_before|created(\[(gt|gte|lt|lte)\])?|expand)$/.test(key))
        throw new StripeApiError(
          400,
          'invalid_request_error',
          `Received unknown parameter: ${key}`,
          'parameter_unknown',
          key,
        );
    }
    const int = (k: string) => {
      const v = queryValue(q, k);
      if (v === undefined) return undefined;
      if (!/^-?\d+$/.test(v))
        throw new StripeApiError(400, 'invalid_request_error', `Invalid integer: ${v}`, 'parameter_invalid_integer', k);
      return Number(v);
    };
    const limit = int('limit') ?? 10;
    if (limit < 1 || limit > 100)
      throw new StripeApiError(
        400,
        'invalid_request_error',
        'This value must be greater than or equal to 1 and less than or equal to 100.',
        'parameter_invalid_integer',
        'limit',
      );
    // The index range [from, to) whose created lies inside the filters.
    let from = 0;
    let to = this.o.count;
    const exact = int('created');
    const lte = Math.min(int('created[lte]') ?? Infinity, (int('created[lt]') ?? Infinity) - 1, exact ?? Infinity);
    const gte = Math.max(int('created[gte]') ?? -Infinity, (int('created[gt]') ?? -Infinity) + 1, exact ?? -Infinity);
    if (Number.isFinite(lte)) from = this.firstAtOrBefore(lte);
    if (Number.isFinite(gte)) to = this.firstAtOrBefore(gte - 1);
    const anchorId = queryValue(q, 'starting_after') ?? queryValue(q, 'ending_before');
    const url = '/v1/charges';
    if (anchorId !== undefined) {
      const anchor = this.indexOf(anchorId);
      if (anchor === undefined)
        throw new StripeApiError(400, 'invalid_request_error', `No such charge: '${anchorId}'`, 'resource_missing');
      if (queryValue(q, 'ending_before') !== undefined) {
        const end = Math.min(to, anchor);
        const begin = Math.max(from, end - limit);
        return { object: 'list', data: this.range(begin, end), has_more: begin > from, url };
      }
      from = Math.max(from, anchor + 1);
    }
    const end = Math.min(to, from + limit);
    return { object: 'list', data: this.range(from, end), has_more: end < to, url };
  }

  private range(from: number, to: number): StripeCharge[] {
    const out: StripeCharge[] = [];
    for (let i = from; i < to; i++) out.push(this.charge(i));
    return out;
  }
}
