import type { OutboxInsert } from '../../outbox/outbox.types.js';
import { gcalEventDedupeKey, type GcalEventPayload } from './gcal-event.mapper.js';

/** A polled Events resource as an outbox row, kept verbatim with the time we fetched it. */
export function eventRow(calendarId: string, event: Record<string, any>, fetchedAt: Date): OutboxInsert {
  const updated = typeof event.updated === 'string' ? new Date(event.updated) : null;
  const payload: GcalEventPayload = { calendarId, event, fetchedAt: fetchedAt.toISOString() };
  return {
    source: 'gcal',
    kind: 'gcal.event',
    dedupeKey: gcalEventDedupeKey(calendarId, event),
    origin: 'poll',
    eventType: `event.${typeof event.status === 'string' ? event.status : 'unknown'}`,
    payload,
    vendorTime: updated && !Number.isNaN(updated.getTime()) ? updated : null,
  };
}
