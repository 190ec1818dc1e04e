import type { Source } from '../records/record.types.js';

/**
 * Which vendor objects an outbox payload shows, read leniently and purely: this runs on every
 * polled page and claimed webhook, before any mapper, so a payload it cannot read yields no
 * sighting instead of an error (the mapper dead-letters it later, visibly).
 */
export interface Sighting {
  source: Source;
  /** charge | refund | dispute (Stripe), deal | contact (HubSpot), event (Google Calendar). */
  objectType: string;
  /** Google Calendar: `<calendarId>/<eventId>` (one event id can live in several calendars). */
  externalId: string;
  /** Google Calendar: the calendar id. */
  scope: string | null;
  /** Creation at the vendor, when the payload says; `exact` false for a stand-in (see below). */
  createdAt: Date | null;
  createdExact: boolean;
}

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
// Vendors were founded after 1970; anything outside 1970–9999 is a forged or broken time, and
// outside Postgres's range it would fail the statement that records it, batch after batch.
const validDate = (d: Date): Date | null =>
  Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1970 || d.getUTCFullYear() > 9999 ? null : d;
const STRIPE_OBJECTS = new Set(['charge', 'refund', 'dispute']);

function fromUnix(v: unknown): Date | null {
  return typeof v === 'number' && Number.isFinite(v) ? validDate(new Date(v * 1000)) : null;
}

/** HubSpot times: ISO 8601 or epoch milliseconds (as a number or digits). */
function fromHubspot(v: unknown): Date | null {
  if (typeof v === 'number') return validDate(new Date(v));
  if (typeof v !== 'string' || v.trim() === '') return null;
  const s = v.trim();
  if (/^\d{10,16}$/.test(s)) return validDate(new Date(Number(s)));
  return /^\d{4}-\d{2}-\d{2}T/.test(s) ? validDate(new Date(s)) : null;
}

function stripeObject(o: unknown): Sighting[] {
  if (!isObj(o) || typeof o.id !== 'string' || o.id === '' || !STRIPE_OBJECTS.has(String(o.object))) return [];
  const created = fromUnix(o.created);
  const own: Sighting = {
    source: 'stripe',
    objectType: String(o.object),
    externalId: o.id,
    scope: null,
    createdAt: created,
    createdExact: created !== null,
  };
  // Older API versions embed a charge's refunds, and such an event may be a refund's only webhook.
  const embedded = o.object === 'charge' && isObj(o.refunds) && Array.isArray(o.refunds.data) ? o.refunds.data : [];
  return [own, ...embedded.flatMap(stripeObject)];
}

function hubspotSnapshot(objectType: 'deal' | 'contact', o: unknown): Sighting[] {
  if (!isObj(o) || typeof o.id !== 'string' || !/^\d{1,20}$/.test(o.id)) return [];
  const props = isObj(o.properties) ? o.properties : {};
  const created = fromHubspot(props.createdate) ?? fromHubspot(o.createdAt);
  return [
    {
      source: 'hubspot',
      objectType,
      externalId: o.id,
      scope: null,
      createdAt: created,
      createdExact: created !== null,
    },
  ];
}

/**
 * A HubSpot webhook names the object and what happened. Its creation event's occurredAt stands in
 * for the creation time until a snapshot brings `createdate`.
 */
function hubspotWebhook(e: unknown): Sighting[] {
  if (!isObj(e) || typeof e.subscriptionType !== 'string') return [];
  const [objectType, action] = e.subscriptionType.split('.', 2);
  if (objectType !== 'deal' && objectType !== 'contact') return [];
  const id = typeof e.objectId === 'number' || typeof e.objectId === 'string' ? String(e.objectId) : '';
  if (!/^\d{1,20}$/.test(id)) return [];
  const at = action === 'creation' ? fromHubspot(e.occurredAt) : null;
  return [{ source: 'hubspot', objectType, externalId: id, scope: null, createdAt: at, createdExact: false }];
}

function gcalEvent(p: unknown): Sighting[] {
  if (!isObj(p) || typeof p.calendarId !== 'string' || p.calendarId === '' || !isObj(p.event)) return [];
  const e = p.event;
  if (typeof e.id !== 'string' || e.id === '') return [];
  const created = typeof e.created === 'string' ? validDate(new Date(e.created)) : null;
  return [
    {
      source: 'gcal',
      objectType: 'event',
      externalId: `${p.calendarId}/${e.id}`,
      scope: p.calendarId,
      createdAt: created,
      createdExact: created !== null,
    },
  ];
}

/** The objects one outbox payload (of an OutboxKind) shows; none for kinds that carry no object. */
export function sightingsOf(kind: string, payload: unknown): Sighting[] {
  switch (kind) {
    case 'stripe.event':
      return isObj(payload) && isObj(payload.data) ? stripeObject(payload.data.object) : [];
    case 'stripe.charge':
    case 'stripe.refund':
    case 'stripe.dispute':
      return stripeObject(payload);
    case 'hubspot.deal':
      return hubspotSnapshot('deal', payload);
    case 'hubspot.contact':
      return hubspotSnapshot('contact', payload);
    case 'hubspot.webhook':
      return hubspotWebhook(payload);
    case 'gcal.event':
      return gcalEvent(payload);
    default:
      return [];
  }
}

/**
 * The calendar a Google push notification says changed. `sync` is the handshake sent when a
 * channel opens, not a change; `not_exists` means the calendar is gone.
 */
export function pushedCalendarOf(kind: string, payload: unknown): string | null {
  if (kind !== 'gcal.notification' || !isObj(payload)) return null;
  return payload.resourceState === 'exists' && typeof payload.calendarId === 'string' && payload.calendarId !== ''
    ? payload.calendarId
    : null;
}
