import type { CalendarEventRecord } from '../../records/record.types.js';

/** A payload that cannot become a record: the worker parks it as dead with `invalid_payload`. */
export class GcalPayloadError extends Error {}

/** Outbox payload of kind 'gcal.event'. */
export interface GcalEventPayload {
  calendarId: string;
  /** The Events resource exactly as events.list returned it. */
  event: Record<string, unknown>;
  /** When we fetched it: the version of a deletion that came without `updated`. */
  fetchedAt?: string;
}

const STATUSES = new Set(['confirmed', 'tentative', 'cancelled']);
const OFFSET_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((r) => typeof r === 'string');
}

function optString(v: unknown, field: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new GcalPayloadError(`${field} must be a string`);
  return v;
}

function instant(v: unknown, field: string): Date {
  if (typeof v !== 'string' || !OFFSET_DATETIME.test(v) || Number.isNaN(Date.parse(v)))
    throw new GcalPayloadError(`${field} must be an RFC 3339 timestamp with an offset`);
  return new Date(v);
}

/** EventDateTime: `{dateTime, timeZone?}` for timed events, `{date}` for all-day ones. */
function when(v: unknown, field: string): { at: Date | null; date: string | null; timeZone: string | null } | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object') throw new GcalPayloadError(`${field} must be an object`);
  const o = v as Record<string, unknown>;
  const timeZone = optString(o.timeZone, `${field}.timeZone`);
  if (o.dateTime !== undefined) return { at: instant(o.dateTime, `${field}.dateTime`), date: null, timeZone };
  if (typeof o.date === 'string' && DATE.test(o.date) && !Number.isNaN(Date.parse(`${o.date}T00:00:00Z`)))
    return { at: null, date: o.date, timeZone };
  throw new GcalPayloadError(`${field} needs dateTime or a YYYY-MM-DD date`);
}

/**
 * Calendar v3 Event → CalendarEventRecord. Recurring series are stored as Google lists them with
 * singleEvents=false: the master (with its RRULE in `recurrence`) plus one row per exception
 * (a moved/edited occurrence, or a cancelled one), keyed by its instance id and carrying
 * recurringEventId + originalStartTime. Occurrences are not expanded into rows: a series edit
 * is one row change instead of hundreds, and open-ended series stay finite.
 *
 * A cancelled event is a deletion and comes with almost no fields: every missing field maps to
 * null, which the repository reads as "unknown" (it keeps the stored value), never as "empty".
 * Version = `updated`; deletions often lack it, so they fall back to the fetch time.
 */
export function mapGcalEvent(payload: unknown, receivedAt: Date): CalendarEventRecord {
  const p = payload as Partial<GcalEventPayload> | null;
  if (!p || typeof p !== 'object') throw new GcalPayloadError('payload must be an object');
  if (typeof p.calendarId !== 'string' || p.calendarId === '') throw new GcalPayloadError('calendarId is missing');
  const e = p.event;
  if (!e || typeof e !== 'object') throw new GcalPayloadError('event is missing');
  if (typeof e.id !== 'string' || e.id === '') throw new GcalPayloadError('event.id is missing');
  if (typeof e.status !== 'string' || !STATUSES.has(e.status))
    throw new GcalPayloadError(`event.status "${String(e.status)}" is not confirmed, tentative or cancelled`);
  const cancelled = e.status === 'cancelled';

  const fetchedAt = p.fetchedAt !== undefined ? instant(p.fetchedAt, 'fetchedAt') : receivedAt;
  const at = e.updated !== undefined ? instant(e.updated, 'event.updated') : fetchedAt;
  const start = when(e.start, 'event.start');
  const end = when(e.end, 'event.end');
  if (!cancelled && (!start || !end)) throw new GcalPayloadError('a live event needs start and end');
  const original = when(e.originalStartTime, 'event.originalStartTime');
  const recurrence = e.recurrence === undefined || e.recurrence === null ? null : e.recurrence;
  if (recurrence !== null && !isStringList(recurrence)) {
    throw new GcalPayloadError('event.recurrence must be a list of strings');
  }
  const organizer =
    e.organizer !== null && typeof e.organizer === 'object' ? (e.organizer as { email?: unknown }) : null;

  return {
    calendarId: p.calendarId,
    eventId: e.id,
    status: e.status,
    summary: optString(e.summary, 'event.summary'),
    description: optString(e.description, 'event.description'),
    location: optString(e.location, 'event.location'),
    startAt: start?.at ?? null,
    endAt: end?.at ?? null,
    startDate: start?.date ?? null,
    endDate: end?.date ?? null,
    timeZone: start?.timeZone ?? null,
    organizerEmail: optString(organizer?.email, 'event.organizer.email'),
    recurringEventId: optString(e.recurringEventId, 'event.recurringEventId'),
    originalStartTime: original
      ? original.at
        ? (e.originalStartTime as { dateTime: string }).dateTime
        : original.date
      : null,
    recurrence,
    htmlLink: optString(e.htmlLink, 'event.htmlLink'),
    deletedAt: cancelled ? at : null,
    // Same `updated`: the deletion is the later state. Etag orders anything else deterministically.
    version: { at, rank: cancelled ? 1 : 0, tiebreak: typeof e.etag === 'string' ? e.etag : '' },
  };
}

/** Outbox dedupe key: a re-poll of an unchanged event is a duplicate, any change is new. */
export function gcalEventDedupeKey(calendarId: string, event: Record<string, unknown>): string {
  const version =
    typeof event.updated === 'string'
      ? event.updated
      : typeof event.etag === 'string'
        ? `etag:${event.etag}`
        : 'unversioned';
  // The sync driver only queues events whose id and status are strings.
  const id = typeof event.id === 'string' ? event.id : 'unknown';
  const status = typeof event.status === 'string' ? event.status : 'unknown';
  return `${calendarId}:${id}:${version}:${status}`;
}
