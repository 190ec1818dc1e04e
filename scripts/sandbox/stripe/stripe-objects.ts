/**
 * Stripe v1 wire objects as the simulator serves them: the fields Stripe really returns for a
 * Charge, Refund, Dispute and Event (a faithful subset, same names, same types, same nullability).
 */

/** The API version the simulator stamps on events; the SDK pins the same one. */
export const SIMULATOR_API_VERSION = '2026-10-28.endive';

export interface StripeCharge {
  id: string;
  object: 'charge';
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  application: string | null;
  application_fee_amount: number | null;
  balance_transaction: string | null;
  billing_details: { address: null; email: string | null; name: string | null; phone: string | null };
  calculated_statement_descriptor: string | null;
  captured: boolean;
  created: number;
  currency: string;
  customer: string | null;
  description: string | null;
  disputed: boolean;
  failure_balance_transaction: string | null;
  failure_code: string | null;
  failure_message: string | null;
  fraud_details: Record<string, string>;
  livemode: boolean;
  metadata: Record<string, string>;
  on_behalf_of: string | null;
  outcome: {
    network_status: string;
    reason: string | null;
    risk_level: string;
    risk_score: number;
    seller_message: string;
    type: string;
  } | null;
  paid: boolean;
  payment_intent: string | null;
  payment_method: string | null;
  payment_method_details: {
    type: 'card';
    card: { brand: string; country: string; exp_month: number; exp_year: number; last4: string; funding: string };
  } | null;
  receipt_email: string | null;
  receipt_number: string | null;
  receipt_url: string | null;
  refunded: boolean;
  review: string | null;
  shipping: null;
  source_transfer: string | null;
  statement_descriptor: string | null;
  statement_descriptor_suffix: string | null;
  status: 'succeeded' | 'pending' | 'failed';
  transfer_data: null;
  transfer_group: string | null;
}

export interface StripeRefund {
  id: string;
  object: 'refund';
  amount: number;
  balance_transaction: string | null;
  charge: string | null;
  created: number;
  currency: string;
  destination_details: {
    type: 'card';
    card: { reference: string | null; reference_status: string; reference_type: string; type: 'refund' };
  } | null;
  failure_balance_transaction?: string;
  failure_reason?: string;
  metadata: Record<string, string>;
  payment_intent: string | null;
  reason: 'duplicate' | 'fraudulent' | 'requested_by_customer' | null;
  receipt_number: string | null;
  source_transfer_reversal: string | null;
  status: 'succeeded' | 'pending' | 'failed' | 'canceled' | 'requires_action';
  transfer_reversal: string | null;
}

export type DisputeStatus =
  | 'warning_needs_response'
  | 'warning_under_review'
  | 'warning_closed'
  | 'needs_response'
  | 'under_review'
  | 'won'
  | 'lost';

export interface StripeDispute {
  id: string;
  object: 'dispute';
  amount: number;
  balance_transactions: Array<{
    id: string;
    object: 'balance_transaction';
    amount: number;
    currency: string;
    type: 'adjustment';
  }>;
  charge: string;
  created: number;
  currency: string;
  evidence: Record<string, string | null>;
  evidence_details: { due_by: number | null; has_evidence: boolean; past_due: boolean; submission_count: number };
  is_charge_refundable: boolean;
  livemode: boolean;
  metadata: Record<string, string>;
  payment_intent: string | null;
  reason: 'fraudulent' | 'product_not_received' | 'duplicate' | 'subscription_canceled' | 'general';
  status: DisputeStatus;
}

export type StripeObject = StripeCharge | StripeRefund | StripeDispute;

export interface StripeEvent {
  id: string;
  object: 'event';
  account?: string;
  api_version: string;
  created: number;
  data: { object: StripeObject; previous_attributes?: Record<string, unknown> };
  livemode: boolean;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

export interface StripeList<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

export function clone<T>(o: T): T {
  return structuredClone(o);
}
