/**
 * The Stripe sandbox used by tests and `npm run demo`:
 *
 *   const dataset = generateStripeDataset({ seed: 42, charges: 3000 });
 *   const sim = await startStripeSimulator({ apiKey: 'sk_test_…', dataset });
 *   // STRIPE_API_BASE=sim.url STRIPE_API_KEY=sk_test_…
 *   const fwd = sim.forwardEventsTo({ url: 'http://localhost:3000/webhooks/stripe', secret: 'whsec_…' });
 *   sim.state.refundCharge(dataset.charges[0].id);   // emits charge.refunded + refund.created, forwarded
 *   await fwd.flush();
 *   await sendStripeWebhook({ url, secret, event: dataset.events.at(-1)! }); // (re)deliver any event
 */
export {
  startStripeSimulator,
  type StripeSimulator,
  type StripeSimulatorOptions,
  type SimulatedRequest,
  type FailOptions,
} from './stripe-simulator.js';
export { generateStripeDataset, type StripeDataset, type StripeDatasetOptions } from './stripe-dataset.js';
export { StripeSimState, type StripeSimData, type CreateChargeOptions, type RefundOptions } from './stripe-state.js';
export { SyntheticCharges, type SyntheticChargesOptions } from './stripe-synthetic.js';
export {
  sendStripeWebhook,
  signStripePayload,
  StripeWebhookForwarder,
  type SendWebhookOptions,
  type WebhookDelivery,
} from './stripe-webhook-sender.js';
export {
  SIMULATOR_API_VERSION,
  type StripeCharge,
  type StripeRefund,
  type StripeDispute,
  type StripeEvent,
  type StripeList,
} from './stripe-objects.js';
