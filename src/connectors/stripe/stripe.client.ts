import Stripe from 'stripe';
import type { AppConfig } from '../../config/app.config.js';

/**
 * The API version every request is pinned to, so object shapes do not change under us when the
 * account's default version moves. Events and webhooks may still arrive in the version the
 * endpoint was created with; the mappers read only fields stable across versions.
 */
export const STRIPE_API_VERSION: Stripe.LatestApiVersion = '2026-10-28.endive';

/** SDK options: STRIPE_API_BASE (a simulator) becomes host/port/protocol; no telemetry headers. */
export function stripeClientOptions(config: AppConfig): Stripe.StripeConfig {
  const opts: Stripe.StripeConfig = {
    apiVersion: STRIPE_API_VERSION,
    // The SDK retries connection errors, 409 and 5xx itself with backoff; 429s are ours (see StripeGateway).
    maxNetworkRetries: config.stripe.maxRetries,
    telemetry: false,
    timeout: 30_000,
    appInfo: { name: 'buffalo', version: '0.1.0' },
  };
  if (config.stripe.apiBase) {
    const u = new URL(config.stripe.apiBase);
    const protocol = u.protocol === 'https:' ? 'https' : 'http';
    opts.host = u.hostname;
    opts.port = u.port ? Number(u.port) : protocol === 'https' ? 443 : 80;
    opts.protocol = protocol;
  }
  return opts;
}

export function createStripeClient(config: AppConfig): Stripe {
  if (!config.stripe.apiKey) throw new Error('STRIPE_API_KEY is not set');
  return new Stripe(config.stripe.apiKey, stripeClientOptions(config));
}
