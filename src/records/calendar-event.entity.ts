import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { TextArrayType } from '../database/database.types.js';

/**
 * events: Google Calendar events (migrations 20261121000000 and 20261121001500). The data_version_*
 * columns are the version of the newest payload that carried data (see that migration).
 */
export const CalendarEventEntity = defineEntity({
  name: 'CalendarEvent',
  tableName: 'events',
  properties: {
    id: p.bigint('string').primary(),
    calendarId: p.text(),
    eventId: p.text(),
    status: p.text(),
    summary: p.text().nullable(),
    description: p.text().nullable(),
    location: p.text().nullable(),
    startAt: p.datetime().nullable(),
    endAt: p.datetime().nullable(),
    startDate: p.date().nullable(),
    endDate: p.date().nullable(),
    timeZone: p.text().nullable(),
    organizerEmail: p.text().nullable(),
    recurringEventId: p.text().nullable(),
    originalStartTime: p.text().nullable(),
    htmlLink: p.text().nullable(),
    deletedAt: p.datetime().nullable(),
    versionAt: p.datetime(),
    versionRank: p.integer().default(0),
    versionTiebreak: p.text().default(''),
    outboxId: p.bigint('string').nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
    recurrence: p.type(TextArrayType).nullable(),
    dataVersionAt: p.datetime().nullable(),
    dataVersionRank: p.integer().nullable(),
    dataVersionTiebreak: p.text().nullable(),
  },
  uniques: [{ name: 'events_calendar_event', properties: ['calendarId', 'eventId'] }],
  indexes: [
    { name: 'events_start', properties: ['calendarId', 'startAt'] },
    { name: 'events_series', properties: ['calendarId', 'recurringEventId'], where: 'recurring_event_id IS NOT NULL' },
  ],
});

export type CalendarEventRecord = InferEntity<typeof CalendarEventEntity>;
