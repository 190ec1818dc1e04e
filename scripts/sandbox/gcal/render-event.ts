import type { SimCalendar, SimEvent, StoredEvent } from './gcal-store.js';

/**
 * An Events resource as Calendar v3 returns it. Cancelled events carry only the fields Google
 * guarantees (kind, etag, id, status; plus recurringEventId/originalStartTime for a cancelled
 * occurrence): no summary, no start, no `updated`. Clients must not read missing as "now empty".
 */
export function renderEvent(cal: SimCalendar, stored: StoredEvent): Record<string, unknown> {
  const e = stored.event;
  if (e.status === 'cancelled') {
    return {
      kind: 'calendar#event',
      etag: stored.etag,
      id: e.id,
      status: 'cancelled',
      ...(e.recurringEventId ? { recurringEventId: e.recurringEventId, originalStartTime: e.originalStartTime } : {}),
    };
  }
  return renderFull(cal, e, stored.etag);
}

export function renderFull(cal: SimCalendar, e: SimEvent, etag: string): Record<string, unknown> {
  const eid = Buffer.from(`${e.id} ${cal.id}`).toString('base64url');
  return {
    kind: 'calendar#event',
    etag,
    id: e.id,
    status: e.status,
    htmlLink: `https://www.google.com/calendar/event?eid=${eid}`,
    created: e.created,
    updated: e.updated,
    ...(e.summary !== undefined ? { summary: e.summary } : {}),
    ...(e.description !== undefined ? { description: e.description } : {}),
    ...(e.location !== undefined ? { location: e.location } : {}),
    creator: { email: e.organizerEmail },
    organizer: { email: e.organizerEmail, ...(e.organizerEmail === cal.id ? { self: true } : {}) },
    start: e.start,
    end: e.end,
    ...(e.recurrence ? { recurrence: e.recurrence } : {}),
    ...(e.recurringEventId ? { recurringEventId: e.recurringEventId, originalStartTime: e.originalStartTime } : {}),
    iCalUID: `${e.recurringEventId ?? e.id}@google.com`,
    sequence: e.sequence,
    reminders: { useDefault: true },
    eventType: 'default',
  };
}
