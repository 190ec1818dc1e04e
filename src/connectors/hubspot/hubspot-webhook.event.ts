import type { Issue } from '../../common/app.errors.js';
import type { OutboxInsert } from '../../outbox/outbox.types.js';

/** HubSpot sends at most this many events per webhook request. */
export const MAX_EVENTS_PER_BATCH = 100;

/** One event of a HubSpot webhook batch, as HubSpot sends it (ids are numbers on the wire). */
export interface HubspotWebhookEvent {
  eventId: number | string;
  subscriptionId?: number;
  portalId: number | string;
  appId?: number;
  occurredAt: number;
  subscriptionType: string;
  attemptNumber?: number;
  objectId: number | string;
  propertyName?: string;
  propertyValue?: string;
  changeSource?: string;
  [extra: string]: unknown;
}

/** 9999-12-31T23:59:59.999Z. */
const LAST_EPOCH_MS = 253_402_300_799_999;

const isId = (v: unknown) =>
  (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) || (typeof v === 'string' && /^\d{1,20}$/.test(v));

/**
 * Checks the shape we rely on (eventId to dedupe, objectId to fetch, occurredAt as version of a
 * deletion, subscriptionType to route); other fields are kept as sent. Unknown subscription types
 * pass: they are stored and later marked `ignored`, so a new HubSpot event type never bounces.
 */
export function validateWebhookBatch(body: unknown): { events: HubspotWebhookEvent[]; issues: Issue[] } {
  const issues: Issue[] = [];
  const fail = (field: string, message: string) => issues.push({ in: 'body', field, message });
  if (!Array.isArray(body)) {
    fail('', 'Body must be a JSON array of HubSpot webhook events.');
    return { events: [], issues };
  }
  if (body.length === 0 || body.length > MAX_EVENTS_PER_BATCH) {
    fail('', `A batch holds 1 to ${MAX_EVENTS_PER_BATCH} events, got ${body.length}.`);
    return { events: [], issues };
  }
  body.forEach((e, i) => {
    if (issues.length >= 20) return;
    if (!e || typeof e !== 'object' || Array.isArray(e)) return void fail(`[${i}]`, `Event ${i} must be an object.`);
    const ev = e as Record<string, unknown>;
    if (!isId(ev.eventId)) fail(`[${i}].eventId`, 'eventId must be a non-negative integer.');
    if (!isId(ev.objectId)) fail(`[${i}].objectId`, 'objectId must be a non-negative integer.');
    if (!isId(ev.portalId)) fail(`[${i}].portalId`, 'portalId must be a non-negative integer.');
    // Bounded to year 9999 like every stored instant: a larger value cannot become a timestamptz,
    // and a 503 for it would be retried by HubSpot without end.
    if (
      typeof ev.occurredAt !== 'number' ||
      !Number.isSafeInteger(ev.occurredAt) ||
      ev.occurredAt <= 0 ||
      ev.occurredAt > LAST_EPOCH_MS
    ) {
      fail(`[${i}].occurredAt`, 'occurredAt must be epoch milliseconds.');
    }
    if (
      typeof ev.subscriptionType !== 'string' ||
      ev.subscriptionType.length === 0 ||
      ev.subscriptionType.length > 100
    ) {
      fail(`[${i}].subscriptionType`, 'subscriptionType must be a non-empty string.');
    }
  });
  return { events: issues.length ? [] : (body as HubspotWebhookEvent[]), issues };
}

export function webhookInsert(ev: HubspotWebhookEvent): OutboxInsert {
  return {
    source: 'hubspot',
    kind: 'hubspot.webhook',
    dedupeKey: String(ev.eventId),
    origin: 'webhook',
    eventType: ev.subscriptionType,
    payload: ev,
    vendorTime: new Date(ev.occurredAt),
  };
}
