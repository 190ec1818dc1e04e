/**
 * Stripe payloads as Stripe documents them (API reference examples), with the fields a case needs
 * changed through `with`. Kept as plain JSON so the mappers see exactly what the wire carries.
 */
export const CHARGE = {
  id: 'ch_3MmlLrLkdIwHu7ix0snN0B15',
  object: 'charge',
  amount: 1099,
  amount_captured: 1099,
  amount_refunded: 0,
  application: null,
  application_fee: null,
  application_fee_amount: null,
  balance_transaction: 'txn_3MmlLrLkdIwHu7ix0uke3Ezy',
  billing_details: {
    address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
    email: null,
    name: null,
    phone: null,
  },
  calculated_statement_descriptor: 'Stripe',
  captured: true,
  created: 1679090539,
  currency: 'usd',
  customer: 'cus_NffrFeUfNV2Hib',
  description: 'Order #1001',
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
    risk_score: 32,
    seller_message: 'Payment complete.',
    type: 'authorized',
  },
  paid: true,
  payment_intent: 'pi_3MmlLrLkdIwHu7ix0Kv8mmnf',
  payment_method: 'card_1MmlLrLkdIwHu7ixIJwEWSNR',
  payment_method_details: {
    card: {
      brand: 'visa',
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: null },
      country: 'US',
      exp_month: 3,
      exp_year: 2024,
      fingerprint: 'mToisGZ01V71BCos',
      funding: 'credit',
      last4: '4242',
      network: 'visa',
    },
    type: 'card',
  },
  receipt_email: null,
  receipt_number: null,
  receipt_url:
    'https://pay.stripe.com/receipts/payment/CAcaFwoVYWNjdF8xTTJKVGtMa2RJd0h1N2l4KOvG06AGMgZfBXyr1aw6LBa9vaaSRWU96d8qBwz9z2J_CObiV_H2-e8RezSK_sw0KISesp4czsOUlVKY',
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

export const REFUND = {
  id: 're_1Nispe2eZvKYlo2Cd31jOCgZ',
  object: 'refund',
  amount: 1000,
  balance_transaction: 'txn_1Nispe2eZvKYlo2CYezqFhEx',
  charge: 'ch_1NirD82eZvKYlo2CIvbtLWuY',
  created: 1692942318,
  currency: 'usd',
  destination_details: {
    card: {
      reference: '123456789012',
      reference_status: 'available',
      reference_type: 'acquirer_reference_number',
      type: 'refund',
    },
    type: 'card',
  },
  metadata: {},
  payment_intent: 'pi_1GszsK2eZvKYlo2CfhZyoZLp',
  reason: null,
  receipt_number: null,
  source_transfer_reversal: null,
  status: 'succeeded',
  transfer_reversal: null,
};

export const DISPUTE = {
  id: 'du_1MtJUT2eZvKYlo2CNaw2HvEv',
  object: 'dispute',
  amount: 1000,
  balance_transactions: [],
  charge: 'ch_1AZtxr2eZvKYlo2CJDX8whov',
  created: 1680651737,
  currency: 'usd',
  evidence: {
    access_activity_log: null,
    billing_address: null,
    customer_name: null,
    product_description: null,
    uncategorized_text: null,
  },
  evidence_details: { due_by: 1682294399, has_evidence: false, past_due: false, submission_count: 0 },
  is_charge_refundable: true,
  livemode: false,
  metadata: {},
  payment_intent: null,
  reason: 'general',
  status: 'warning_needs_response',
};

export function event(type: string, object: Record<string, unknown>, over: Record<string, unknown> = {}) {
  return {
    id: 'evt_1NG8Du2eZvKYlo2CUI79vXWy',
    object: 'event',
    api_version: '2026-10-28.endive',
    created: 1686089970,
    data: { object },
    livemode: false,
    pending_webhooks: 0,
    request: { id: null, idempotency_key: null },
    type,
    ...over,
  };
}

export function withFields<T extends Record<string, unknown>>(base: T, over: Record<string, unknown>): T {
  return { ...structuredClone(base), ...over };
}
