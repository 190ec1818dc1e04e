import { Prng } from '../prng.js';
import {
  clone,
  SIMULATOR_API_VERSION,
  type DisputeStatus,
  type StripeCharge,
  type StripeDispute,
  type StripeEvent,
  type StripeObject,
  type StripeRefund,
} from './stripe-objects.js';

/** Everything a simulator account holds, each list in creation order (oldest first). */
export interface StripeSimData {
  charges: StripeCharge[];
  refunds: StripeRefund[];
  disputes: StripeDispute[];
  events: StripeEvent[];
}

export type ResourceName = 'charges' | 'refunds' | 'disputes' | 'events';
type AnyResource = StripeObject | StripeEvent;

interface Entry<T> {
  obj: T;
  /** Creation order; breaks ties between objects created in the same second, like Stripe's ids do. */
  seq: number;
}

export interface CreateChargeOptions {
  amount: number;
  currency: string;
  /** Card charges: false leaves an authorization (captured: false) that is not revenue. */
  capture?: boolean;
  /** pending = bank debit still clearing; failed = declined. */
  outcome?: 'succeeded' | 'failed' | 'pending';
  customer?: string | null;
  description?: string | null;
}

export interface RefundOptions {
  /** Defaults to what is left to refund. */
  amount?: number;
  status?: 'succeeded' | 'pending';
  reason?: StripeRefund['reason'];
}

/**
 * The simulated Stripe account: objects plus the Events feed. Every mutation changes the objects
 * the way Stripe does and emits the events Stripe would send (with a snapshot of the object as of
 * that moment), so list endpoints, the Events API and webhooks always tell one consistent story.
 */
export class StripeSimState {
  /** Unix seconds; tests and the dataset generator move it. */
  clock: () => number;
  private readonly rng: Prng;
  private seq = 0;
  private readonly tables: Record<ResourceName, Map<string, Entry<AnyResource>>> = {
    charges: new Map(),
    refunds: new Map(),
    disputes: new Map(),
    events: new Map(),
  };
  private readonly listeners = new Set<(e: StripeEvent) => void>();
  /** Sorted views, rebuilt only after an insert (mutations never change created or seq). */
  private readonly sorted = new Map<ResourceName, AnyResource[]>();

  constructor(opts: { seed?: number; clock?: () => number } = {}) {
    this.rng = new Prng(opts.seed ?? 0x5eed);
    this.clock = opts.clock ?? (() => Math.floor(Date.now() / 1000));
  }

  /** Replaces the account's contents with a generated dataset. */
  load(data: StripeSimData): void {
    for (const t of Object.values(this.tables)) t.clear();
    this.sorted.clear();
    const put = (name: ResourceName, objs: AnyResource[]) => {
      for (const o of objs) this.tables[name].set(o.id, { obj: clone(o), seq: ++this.seq });
    };
    put('charges', data.charges);
    put('refunds', data.refunds);
    put('disputes', data.disputes);
    put('events', data.events);
  }

  /** Deep copy of everything, oldest first. */
  snapshot(): StripeSimData {
    const all = <T>(name: ResourceName) =>
      [...this.tables[name].values()].sort((a, b) => a.seq - b.seq).map((e) => clone(e.obj) as T);
    return { charges: all('charges'), refunds: all('refunds'), disputes: all('disputes'), events: all('events') };
  }

  /** Newest first, as Stripe lists: created descending, then creation order descending. Read-only. */
  list<T extends AnyResource>(name: ResourceName): T[] {
    let view = this.sorted.get(name);
    if (!view) {
      view = [...this.tables[name].values()]
        .sort(
          (a, b) => (b.obj as { created: number }).created - (a.obj as { created: number }).created || b.seq - a.seq,
        )
        .map((e) => e.obj);
      this.sorted.set(name, view);
    }
    return view as T[];
  }

  get<T extends AnyResource>(name: ResourceName, id: string): T | undefined {
    return this.tables[name].get(id)?.obj as T | undefined;
  }

  count(name: ResourceName): number {
    return this.tables[name].size;
  }

  /** Subscribes to emitted events (the webhook forwarder uses it); returns an unsubscribe. */
  onEvent(cb: (e: StripeEvent) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  // ---- mutations ---------------------------------------------------------------------------

  createCharge(o: CreateChargeOptions): StripeCharge {
    if (!Number.isInteger(o.amount) || o.amount < 1) throw new Error('amount must be a positive integer');
    const outcome = o.outcome ?? 'succeeded';
    const capture = o.capture ?? true;
    const now = this.clock();
    const id = this.rng.id('ch');
    const succeeded = outcome === 'succeeded';
    const charge: StripeCharge = {
      id,
      object: 'charge',
      amount: o.amount,
      // A pending bank debit is captured up front and settles later; a card auth is not captured.
      amount_captured: outcome === 'failed' || (succeeded && !capture) ? 0 : o.amount,
      amount_refunded: 0,
      application: null,
      application_fee_amount: null,
      balance_transaction: succeeded && capture ? this.rng.id('txn') : null,
      billing_details: { address: null, email: null, name: null, phone: null },
      calculated_statement_descriptor: 'BUFFALO DEMO',
      captured: outcome === 'failed' ? false : outcome === 'pending' ? true : capture,
      created: now,
      currency: o.currency.toLowerCase(),
      customer: o.customer ?? null,
      description: o.description ?? null,
      disputed: false,
      failure_balance_transaction: null,
      failure_code: outcome === 'failed' ? 'card_declined' : null,
      failure_message: outcome === 'failed' ? 'Your card was declined.' : null,
      fraud_details: {},
      livemode: false,
      metadata: {},
      on_behalf_of: null,
      outcome: {
        network_status: outcome === 'failed' ? 'declined_by_network' : 'approved_by_network',
        reason: outcome === 'failed' ? 'generic_decline' : null,
        risk_level: 'normal',
        risk_score: this.rng.int(0, 60),
        seller_message:
          outcome === 'failed' ? 'The bank did not return any further details with this decline.' : 'Payment complete.',
        type: outcome === 'failed' ? 'issuer_declined' : 'authorized',
      },
      paid: succeeded,
      payment_intent: this.rng.id('pi'),
      payment_method: this.rng.id('pm'),
      payment_method_details: {
        type: 'card',
        card: {
          brand: this.rng.pick(['visa', 'mastercard', 'amex']),
          country: 'US',
          exp_month: this.rng.int(1, 12),
          exp_year: 2030,
          last4: String(this.rng.int(1000, 9999)),
          funding: 'credit',
        },
      },
      receipt_email: null,
      receipt_number: null,
      receipt_url: succeeded ? `https://pay.stripe.com/receipts/${id}` : null,
      refunded: false,
      review: null,
      shipping: null,
      source_transfer: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status: outcome,
      transfer_data: null,
      transfer_group: null,
    };
    this.insert('charges', charge);
    this.emit(
      outcome === 'succeeded' ? 'charge.succeeded' : outcome === 'failed' ? 'charge.failed' : 'charge.pending',
      charge,
      undefined,
      true,
    );
    return clone(charge);
  }

  /** Captures an authorization; a partial capture releases the rest (shown as amount_refunded, no Refund object). */
  captureCharge(id: string, amount?: number): StripeCharge {
    const c = this.mustGet<StripeCharge>('charges', id);
    if (c.status !== 'succeeded' || c.captured || c.refunded) throw new Error(`charge ${id} cannot be captured`);
    const amt = amount ?? c.amount;
    if (!Number.isInteger(amt) || amt < 1 || amt > c.amount) throw new Error('capture amount out of range');
    const prev = { amount_captured: c.amount_captured, captured: false, balance_transaction: null };
    c.captured = true;
    c.amount_captured = amt;
    c.amount_refunded = c.amount - amt;
    c.balance_transaction = this.rng.id('txn');
    this.emit('charge.captured', c, prev, true);
    return clone(c);
  }

  /** An authorization not captured in time (7 days): Stripe marks it refunded, no money moved. */
  expireCharge(id: string): StripeCharge {
    const c = this.mustGet<StripeCharge>('charges', id);
    if (c.status !== 'succeeded' || c.captured) throw new Error(`charge ${id} is not an open authorization`);
    const prev = { refunded: false, amount_refunded: c.amount_refunded };
    c.refunded = true;
    c.amount_refunded = c.amount;
    this.emit('charge.expired', c, prev, false);
    return clone(c);
  }

  /** A pending bank debit clears or bounces. */
  settleCharge(id: string, outcome: 'succeeded' | 'failed'): StripeCharge {
    const c = this.mustGet<StripeCharge>('charges', id);
    if (c.status !== 'pending') throw new Error(`charge ${id} is not pending`);
    const prev = { status: 'pending', paid: false };
    c.status = outcome;
    c.paid = outcome === 'succeeded';
    if (outcome === 'succeeded') c.balance_transaction = this.rng.id('txn');
    else {
      c.failure_code = 'insufficient_funds';
      c.failure_message = 'The customer’s account has insufficient funds to cover this payment.';
    }
    this.emit(outcome === 'succeeded' ? 'charge.succeeded' : 'charge.failed', c, prev, false);
    return clone(c);
  }

  refundCharge(chargeId: string, o: RefundOptions = {}): StripeRefund {
    const c = this.mustGet<StripeCharge>('charges', chargeId);
    if (c.status !== 'succeeded' || !c.captured) throw new Error(`charge ${chargeId} has no captured funds to refund`);
    const left = c.amount_captured - this.refundedSoFar(chargeId);
    const amount = o.amount ?? left;
    if (!Number.isInteger(amount) || amount < 1 || amount > left)
      throw new Error(`refund amount out of range (left ${left})`);
    const refund: StripeRefund = {
      id: this.rng.id('re'),
      object: 'refund',
      amount,
      balance_transaction: this.rng.id('txn'),
      charge: chargeId,
      created: this.clock(),
      currency: c.currency,
      destination_details: {
        type: 'card',
        card: {
          reference: null,
          reference_status: 'pending',
          reference_type: 'acquirer_reference_number',
          type: 'refund',
        },
      },
      metadata: {},
      payment_intent: c.payment_intent,
      reason: o.reason ?? 'requested_by_customer',
      receipt_number: null,
      source_transfer_reversal: null,
      status: o.status ?? 'succeeded',
      transfer_reversal: null,
    };
    this.insert('refunds', refund);
    const prev = { amount_refunded: c.amount_refunded, refunded: c.refunded };
    c.amount_refunded += amount;
    c.refunded = this.refundedSoFar(chargeId) >= c.amount_captured;
    this.emit('charge.refunded', c, prev, true);
    this.emit('refund.created', refund, undefined, true);
    return clone(refund);
  }

  /** A refund settles, fails (money comes back to the balance) or is canceled. */
  updateRefund(id: string, status: 'succeeded' | 'failed' | 'canceled'): StripeRefund {
    const r = this.mustGet<StripeRefund>('refunds', id);
    if (r.status === status) return clone(r);
    const prev = { status: r.status };
    r.status = status;
    if (status === 'succeeded' && r.destination_details) r.destination_details.card.reference_status = 'available';
    if (status === 'failed' || status === 'canceled') {
      if (status === 'failed') {
        r.failure_reason = 'expired_or_canceled_card';
        r.failure_balance_transaction = this.rng.id('txn');
      }
      const c = r.charge ? this.get<StripeCharge>('charges', r.charge) : undefined;
      if (c) {
        c.amount_refunded = Math.max(0, c.amount_refunded - r.amount);
        c.refunded = false;
      }
    }
    this.emit('charge.refund.updated', r, prev, false);
    this.emit('refund.updated', r, prev, false);
    if (status === 'failed') this.emit('refund.failed', r, prev, false);
    return clone(r);
  }

  openDispute(chargeId: string, o: { amount?: number; reason?: StripeDispute['reason'] } = {}): StripeDispute {
    const c = this.mustGet<StripeCharge>('charges', chargeId);
    if (c.status !== 'succeeded' || !c.captured || c.disputed) throw new Error(`charge ${chargeId} cannot be disputed`);
    const amount = o.amount ?? c.amount_captured;
    const now = this.clock();
    const dispute: StripeDispute = {
      id: this.rng.id('dp'),
      object: 'dispute',
      amount,
      balance_transactions: [
        {
          id: this.rng.id('txn'),
          object: 'balance_transaction',
          amount: -amount,
          currency: c.currency,
          type: 'adjustment',
        },
      ],
      charge: chargeId,
      created: now,
      currency: c.currency,
      evidence: { customer_name: null, product_description: null, uncategorized_text: null },
      evidence_details: { due_by: now + 21 * 86_400, has_evidence: false, past_due: false, submission_count: 0 },
      is_charge_refundable: false,
      livemode: false,
      metadata: {},
      payment_intent: c.payment_intent,
      reason: o.reason ?? 'fraudulent',
      status: 'needs_response',
    };
    this.insert('disputes', dispute);
    c.disputed = true;
    this.emit('charge.dispute.created', dispute, undefined, false);
    this.emit('charge.dispute.funds_withdrawn', dispute, undefined, false);
    return clone(dispute);
  }

  /** Evidence submitted: the dispute goes under review. */
  submitDisputeEvidence(id: string): StripeDispute {
    const d = this.mustGet<StripeDispute>('disputes', id);
    if (d.status !== 'needs_response') throw new Error(`dispute ${id} is not awaiting a response`);
    const prev = { status: d.status };
    d.status = 'under_review';
    d.evidence.uncategorized_text = 'Customer received the goods.';
    d.evidence_details.has_evidence = true;
    d.evidence_details.submission_count += 1;
    this.emit('charge.dispute.updated', d, prev, true);
    return clone(d);
  }

  closeDispute(id: string, outcome: Extract<DisputeStatus, 'won' | 'lost'>): StripeDispute {
    const d = this.mustGet<StripeDispute>('disputes', id);
    if (d.status === 'won' || d.status === 'lost') throw new Error(`dispute ${id} is already closed`);
    const prev = { status: d.status };
    d.status = outcome;
    if (outcome === 'won') {
      d.balance_transactions.push({
        id: this.rng.id('txn'),
        object: 'balance_transaction',
        amount: d.amount,
        currency: d.currency,
        type: 'adjustment',
      });
    }
    this.emit('charge.dispute.closed', d, prev, false);
    if (outcome === 'won') this.emit('charge.dispute.funds_reinstated', d, undefined, false);
    return clone(d);
  }

  // ---- internals ---------------------------------------------------------------------------

  private refundedSoFar(chargeId: string): number {
    let sum = 0;
    for (const { obj } of this.tables.refunds.values()) {
      const r = obj as StripeRefund;
      if (
        r.charge === chargeId &&
        (r.status === 'succeeded' || r.status === 'pending' || r.status === 'requires_action')
      )
        sum += r.amount;
    }
    return sum;
  }

  private insert(name: ResourceName, obj: AnyResource): void {
    this.tables[name].set(obj.id, { obj, seq: ++this.seq });
    this.sorted.delete(name);
  }

  private mustGet<T extends AnyResource>(name: ResourceName, id: string): T {
    const o = this.get<T>(name, id);
    if (!o) throw new Error(`no such ${name.slice(0, -1)}: ${id}`);
    return o;
  }

  private emit(
    type: string,
    obj: StripeObject,
    previous: Record<string, unknown> | undefined,
    byApiRequest: boolean,
  ): StripeEvent {
    const event: StripeEvent = {
      id: this.rng.id('evt'),
      object: 'event',
      api_version: SIMULATOR_API_VERSION,
      created: this.clock(),
      data: previous ? { object: clone(obj), previous_attributes: previous } : { object: clone(obj) },
      livemode: false,
      pending_webhooks: 1,
      request: byApiRequest
        ? { id: this.rng.id('req', 14), idempotency_key: null }
        : { id: null, idempotency_key: null },
      type,
    };
    this.insert('events', event);
    for (const l of this.listeners) l(clone(event));
    return event;
  }
}
