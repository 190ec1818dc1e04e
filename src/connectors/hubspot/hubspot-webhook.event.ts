import type { Issue } from '../../common/app.errors.js';
import type { OutboxInsert } from '../../outbox/outbox.types.js';
import { digestKey, unparsedBody } from '../../webhooks/webhook.json.js';

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
 * The shape we rely on in one event (eventId to dedupe, objectId to fetch, occurredAt as version of
 * a deletion, subscriptionType to route), as issues on its fields; empty when usable. Other fields
 * are kept as sent, and unknown subscription types pass (they are later marked `ignored`).
 */
export function webhookEventIssues(e: unknown): { field: string; message: string }[] {
  if (!e || typeof e !== 'object' || Array.isArray(e)) return [{ field: '', message: 'The event must be an object.' }];
  const out: { field: string; message: string }[] = [];
  const fail = (field: string, message: string) => out.push({ field, message });
  const ev = e as Record<string, unknown>;
  if (!isId(ev.eventId)) fail('eventId', 'eventId must be a non-negative integer.');
  if (!isId(ev.objectId)) fail('objectId', 'objectId must be a non-negative integer.');
  if (!isId(ev.portalId)) fail('portalId', 'portalId must be a non-negative integer.');
  // Bounded to year 9999 like every stored instant: a larger value cannot become a timestamptz.
  if (!isEpochMs(ev.occurredAt)) fail('occurredAt', 'occurredAt must be epoch milliseconds.');
  if (typeof ev.subscriptionType !== 'string' || ev.subscriptionType.length === 0 || ev.subscriptionType.length > 100) {
    fail('subscriptionType', 'subscriptionType must be a non-empty string.');
  }
  return out;
}

const isEpochMs = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v > 0 && v <= LAST_EPOCH_MS;

/**
 * A verified webhook body as outbox rows, whatever its shape (DESIGN invariant 6): each element of
 * the batch (a body that is not an array counts as one element) is stored as sent, deduped by its
 * eventId when it has one, else by a hash of its JSON; a body that is not JSON is stored once,
 * base64, deduped by a hash of its bytes. The worker parks what it cannot use as dead
 * `invalid_payload`. HubSpot never sends more than 100 events, but a signed batch is kept whole.
 */
export function signedBatchRows(
  raw: Buffer,
  body: { ok: true; value: unknown } | { ok: false; reason: string },
): OutboxInsert[] {
  const base = { source: 'hubspot' as const, kind: 'hubspot.webhook' as const, origin: 'webhook' as const };
  if (!body.ok)
    return [
      {
        ...base,
        dedupeKey: digestKey(raw),
        eventType: 'unknown',
        payload: unparsedBody(raw, body.reason),
        vendorTime: null,
      },
    ];
  const items: unknown[] = Array.isArray(body.value) ? (body.value as unknown[]) : [body.value];
  return items.map((item) => {
    const ev =
      item !== null && typeof item === 'object' && !Array.isArray(item) ? (item as Record<string, unknown>) : {};
    const type = ev.subscriptionType;
    return {
      ...base,
      dedupeKey: isId(ev.eventId) ? String(ev.eventId) : digestKey(JSON.stringify(item) ?? 'null'),
      eventType: typeof type === 'string' && type.length > 0 && type.length <= 100 ? type : 'unknown',
      payload: item,
      vendorTime: isEpochMs(ev.occurredAt) ? new Date(ev.occurredAt) : null,
    };
  });
}

/**
 * The whole batch's shape, as issues on its fields (kept for tools and tests; the endpoint now
 * stores a verified batch whatever its shape, see signedBatchRows).
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
    for (const { field, message } of webhookEventIssues(e)) fail(`[${i}]${field ? `.${field}` : ''}`, message);
  });
  return { events: issues.length ? [] : (body as HubspotWebhookEvent[]), issues };
}
