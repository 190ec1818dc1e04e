import { Injectable } from '@nestjs/common';
import { dateOrNull, type Sql } from '../database/database.sql.js';
import type { CalendarEventRecord } from './record.types.js';
import { newestPerKey, versionParams } from './record.version.js';

export interface StoredCalendarEvent extends CalendarEventRecord {
  dataVersionAt: Date | null;
}

const ISO = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * Write path of the `events` table, last-write-wins and order-independent with two versions:
 *  - the row version (status, deleted_at) follows the newest payload of any kind;
 *  - the data version (summary, times, …) follows the newest payload that carried data, i.e.
 *    not a cancellation. A deletion therefore never blanks fields, and a late older update
 *    still fills the data of a row whose deletion arrived first, so every order converges.
 * A row seen only as deleted takes whatever fields its deletions carried (ids of the series).
 */
@Injectable()
export class EventsRepository {
  /** Returns how many rows were inserted or changed. */
  async upsertMany(
    sql: Sql,
    records: readonly (CalendarEventRecord & { outboxId?: string | null })[],
  ): Promise<number> {
    const key = (r: CalendarEventRecord) => `${r.calendarId}\u0000${r.eventId}`;
    const rows = newestPerKey(records, key);
    // A batch can hold an event's update and its later deletion: the update's data must not be lost.
    const newest = new Set(rows);
    const dataRows = newestPerKey(
      records.filter((r) => r.status !== 'cancelled'),
      key,
    ).filter((d) => !newest.has(d));
    let changed = 0;
    for (const batch of [dataRows, rows]) {
      if (batch.length === 0) continue;
      const res = await sql.query(UPSERT, [
        batch.map((r) => r.calendarId),
        batch.map((r) => r.eventId),
        batch.map((r) => r.status),
        batch.map((r) => r.summary),
        batch.map((r) => r.description),
        batch.map((r) => r.location),
        batch.map((r) => ISO(r.startAt)),
        batch.map((r) => ISO(r.endAt)),
        batch.map((r) => r.startDate),
        batch.map((r) => r.endDate),
        batch.map((r) => r.timeZone),
        batch.map((r) => r.organizerEmail),
        batch.map((r) => r.recurringEventId),
        batch.map((r) => r.originalStartTime),
        batch.map((r) => r.htmlLink),
        batch.map((r) => (r.recurrence ? JSON.stringify(r.recurrence) : null)),
        ...versionParams(batch),
      ]);
      changed += res.length;
    }
    return changed;
  }

  async findByCalendar(sql: Sql, calendarId: string): Promise<StoredCalendarEvent[]> {
    const rows = await sql.query(`SELECT * FROM events WHERE calendar_id = $1 ORDER BY event_id`, [calendarId]);
    return rows.map(toStored);
  }

  async find(sql: Sql, calendarId: string, eventId: string): Promise<StoredCalendarEvent | null> {
    const rows = await sql.query(`SELECT * FROM events WHERE calendar_id = $1 AND event_id = $2`, [
      calendarId,
      eventId,
    ]);
    return rows.length ? toStored(rows[0]) : null;
  }
}

/** `date` columns come back as strings or Dates depending on the driver's parsers. */
const day = (v: unknown) =>
  v === null || v === undefined ? null : v instanceof Date ? v.toISOString().slice(0, 10) : String(v).slice(0, 10);

function toStored(r: Record<string, any>): StoredCalendarEvent {
  return {
    calendarId: r.calendar_id,
    eventId: r.event_id,
    status: r.status,
    summary: r.summary,
    description: r.description,
    location: r.location,
    startAt: dateOrNull(r.start_at),
    endAt: dateOrNull(r.end_at),
    startDate: day(r.start_date),
    endDate: day(r.end_date),
    timeZone: r.time_zone,
    organizerEmail: r.organizer_email,
    recurringEventId: r.recurring_event_id,
    originalStartTime: r.original_start_time,
    recurrence: r.recurrence ?? null,
    htmlLink: r.html_link,
    deletedAt: dateOrNull(r.deleted_at),
    version: { at: new Date(r.version_at), rank: Number(r.version_rank), tiebreak: r.version_tiebreak },
    dataVersionAt: dateOrNull(r.data_version_at),
  };
}

/*
 * `newer`      the incoming payload is the newest state of the row (status, deletion, version);
 * `data_newer` it carries data (not cancelled) newer than the data version.
 * For each data field: take it when data_newer; keep the stored value otherwise, except that a
 * row without any data version yet fills its gaps from whatever arrives (a deletion's series ids).
 * Start and end are taken as pairs (date or dateTime), so a row never mixes the two forms.
 */
const NEWER = `(x.version_at, x.version_rank, x.version_tiebreak) > (e.version_at, e.version_rank, e.version_tiebreak)`;
const DATA_NEWER = `(x.status <> 'cancelled' AND (e.data_version_at IS NULL OR (x.version_at, x.version_rank, x.version_tiebreak) > (e.data_version_at, e.data_version_rank, e.data_version_tiebreak)))`;
const FILL = `(e.data_version_at IS NULL)`;
const field = (c: string) =>
  `${c} = CASE WHEN ${DATA_NEWER} THEN x.${c} WHEN ${FILL} THEN COALESCE(e.${c}, x.${c}) ELSE e.${c} END`;
const pair = (at: string, d: string) => [
  `${at} = CASE WHEN ${DATA_NEWER} THEN x.${at} WHEN ${FILL} AND e.${at} IS NULL AND e.${d} IS NULL THEN x.${at} ELSE e.${at} END`,
  `${d} = CASE WHEN ${DATA_NEWER} THEN x.${d} WHEN ${FILL} AND e.${at} IS NULL AND e.${d} IS NULL THEN x.${d} ELSE e.${d} END`,
];
const DATA_FIELDS = [
  'summary',
  'description',
  'location',
  'time_zone',
  'organizer_email',
  'recurring_event_id',
  'original_start_time',
  'html_link',
  'recurrence',
];

const UPSERT = `
  INSERT INTO events AS e (calendar_id, event_id, status, summary, description, location, start_at, end_at, start_date, end_date,
                           time_zone, organizer_email, recurring_event_id, original_start_time, html_link, recurrence, deleted_at,
                           version_at, version_rank, version_tiebreak, data_version_at, data_version_rank, data_version_tiebreak, outbox_id)
  SELECT t.calendar_id, t.event_id, t.status, t.summary, t.description, t.location, t.start_at, t.end_at, t.start_date, t.end_date,
         t.time_zone, t.organizer_email, t.recurring_event_id, t.original_start_time, t.html_link,
         CASE WHEN t.recurrence IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(t.recurrence::jsonb)) END,
         t.deleted_at, t.version_at, t.version_rank, t.version_tiebreak,
         CASE WHEN t.status <> 'cancelled' THEN t.version_at END, CASE WHEN t.status <> 'cancelled' THEN t.version_rank END,
         CASE WHEN t.status <> 'cancelled' THEN t.version_tiebreak END, t.outbox_id
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[],
                $9::date[], $10::date[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
                $17::timestamptz[], $18::timestamptz[], $19::int[], $20::text[], $21::bigint[])
         AS t(calendar_id, event_id, status, summary, description, location, start_at, end_at, start_date, end_date, time_zone,
              organizer_email, recurring_event_id, original_start_time, html_link, recurrence, deleted_at, version_at, version_rank,
              version_tiebreak, outbox_id)
  ON CONFLICT (calendar_id, event_id) DO UPDATE SET
    ${DATA_FIELDS.map(field).join(',\n    ')},
    ${[...pair('start_at', 'start_date'), ...pair('end_at', 'end_date')].join(',\n    ')},
    status = CASE WHEN ${NEWER} THEN x.status ELSE e.status END,
    deleted_at = CASE WHEN ${NEWER} THEN x.deleted_at ELSE e.deleted_at END,
    data_version_at = CASE WHEN ${DATA_NEWER} THEN x.version_at ELSE e.data_version_at END,
    data_version_rank = CASE WHEN ${DATA_NEWER} THEN x.version_rank ELSE e.data_version_rank END,
    data_version_tiebreak = CASE WHEN ${DATA_NEWER} THEN x.version_tiebreak ELSE e.data_version_tiebreak END,
    outbox_id = CASE WHEN ${NEWER} THEN x.outbox_id ELSE e.outbox_id END,
    version_at = CASE WHEN ${NEWER} THEN x.version_at ELSE e.version_at END,
    version_rank = CASE WHEN ${NEWER} THEN x.version_rank ELSE e.version_rank END,
    version_tiebreak = CASE WHEN ${NEWER} THEN x.version_tiebreak ELSE e.version_tiebreak END,
    updated_at = now()
  WHERE ${NEWER} OR ${DATA_NEWER} OR (${FILL} AND x.status = 'cancelled')
  RETURNING e.id`.replace(/\bx\./g, 'excluded.');
