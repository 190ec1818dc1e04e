import { Injectable } from '@nestjs/common';
import type { Sql } from '../database/database.sql.js';

/** A changed or cancelled occurrence of a recurring series whose master is not in `events`. */
export interface UnlinkedOccurrence {
  calendarId: string;
  eventId: string;
  recurringEventId: string;
  outboxId: string | null;
  storedAt: Date;
}

export interface OccurrenceRef {
  calendarId: string;
  eventId: string;
}

/**
 * Series links inside `events` (an exception occurrence → its series master), read for the orphan
 * reconciler. Google lists a series' master and exceptions in one listing, but across pages an
 * exception can come first, and an invitation to one occurrence of someone else's series never
 * brings the master at all: both are children waiting for a parent.
 */
@Injectable()
export class EventLinksRepository {
  /** Live occurrences stored more than `graceMs` ago whose master row does not exist. */
  async unlinkedOccurrences(sql: Sql, graceMs: number): Promise<UnlinkedOccurrence[]> {
    // The anti-join walks the partial index events_series (rows with a recurring_event_id only).
    const rows = await sql.query<{
      calendar_id: string;
      event_id: string;
      recurring_event_id: string;
      outbox_id: string | null;
      created_at: string;
    }>(
      `SELECT c.calendar_id, c.event_id, c.recurring_event_id, c.outbox_id::text AS outbox_id, c.created_at
         FROM events c
        WHERE c.recurring_event_id IS NOT NULL AND c.deleted_at IS NULL
          AND c.created_at < now() - $1::bigint * interval '1 millisecond'
          AND NOT EXISTS (SELECT 1 FROM events m WHERE m.calendar_id = c.calendar_id AND m.event_id = c.recurring_event_id)`,
      [graceMs],
    );
    return rows.map((r) => ({
      calendarId: r.calendar_id,
      eventId: r.event_id,
      recurringEventId: r.recurring_event_id,
      outboxId: r.outbox_id,
      storedAt: new Date(r.created_at),
    }));
  }

  /**
   * Of the given occurrences, those that no longer wait: the master has arrived
   * (`parent_arrived`), or the occurrence itself is gone or cancelled (`child_deleted`).
   */
  async settledOccurrences(
    sql: Sql,
    refs: readonly OccurrenceRef[],
  ): Promise<(OccurrenceRef & { reason: 'parent_arrived' | 'child_deleted' })[]> {
    if (refs.length === 0) return [];
    const rows = await sql.query<{ calendar_id: string; event_id: string; parent_arrived: boolean }>(
      `SELECT k.calendar_id, k.event_id,
              c.id IS NOT NULL AND EXISTS (SELECT 1 FROM events m WHERE m.calendar_id = c.calendar_id AND m.event_id = c.recurring_event_id) AS parent_arrived
         FROM unnest($1::text[], $2::text[]) AS k(calendar_id, event_id)
         LEFT JOIN events c ON c.calendar_id = k.calendar_id AND c.event_id = k.event_id
        WHERE c.id IS NULL OR c.deleted_at IS NOT NULL OR c.recurring_event_id IS NULL
           OR EXISTS (SELECT 1 FROM events m WHERE m.calendar_id = c.calendar_id AND m.event_id = c.recurring_event_id)`,
      [refs.map((r) => r.calendarId), refs.map((r) => r.eventId)],
    );
    return rows.map((r) => ({
      calendarId: r.calendar_id,
      eventId: r.event_id,
      reason: r.parent_arrived ? 'parent_arrived' : 'child_deleted',
    }));
  }
}
