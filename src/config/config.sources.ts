import type { AppConfig } from './app.config.js';
import type { Source } from '../records/record.types.js';

/** A vendor is enabled when it can be polled or can receive webhooks. */
export function enabledSources(c: AppConfig): Source[] {
  const out: Source[] = [];
  if (c.stripe.apiKey || c.stripe.webhookSecret) out.push('stripe');
  if (c.hubspot.accessToken || c.hubspot.clientSecret) out.push('hubspot');
  if (c.gcal.serviceAccountJson && c.gcal.calendarIds.length) out.push('gcal');
  return out;
}

/** Polling (triggers, schedules) needs credentials, not just a webhook secret. */
export function pollableSources(c: AppConfig): Source[] {
  const out: Source[] = [];
  if (c.stripe.apiKey) out.push('stripe');
  if (c.hubspot.accessToken) out.push('hubspot');
  if (c.gcal.serviceAccountJson && c.gcal.calendarIds.length) out.push('gcal');
  return out;
}
