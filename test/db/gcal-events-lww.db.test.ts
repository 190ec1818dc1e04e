import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb } from '../support/db.js';
import type { Database } from '../../src/database/database.sql.js';
import { EventsRepository } from '../../src/records/events.repository.js';
import { mapGcalEvent } from '../../src/connectors/gcal/gcal-event.mapper.js';
import type { CalendarEventRecord } from '../../src/records/record.types.js';

const CAL = 'ops@example.com';
const received = new Date('2026-03-01T00:00:00Z');

/** Real Calendar v3 payload shapes: a live event, an edit of it, and its deletion (few fields, no `updated`). */
const v1 = {
  kind: 'calendar#event',
  etag: '"3181161784712000"',
  id: 'evt1',
  status: 'confirmed',
  htmlLink: 'https://www.google.com/calendar/event?eid=ZXZ0MQ',
  created: '2026-02-01T10:00:00.000Z',
  updated: '2026-02-01T10:00:00.000Z',
  summary: 'Kickoff',
  description: 'First call',
  location: 'Zoom',
  organizer: { email: CAL, self: true },
  start: { dateTime: '2026-03-02T09:00:00-05:00', timeZone: 'America/Bogota' },
  end: { dateTime: '2026-03-02T10:00:00-05:00', timeZone: 'America/Bogota' },
};
const v2 = {
  ...v1,
  etag: '"3181161784799000"',
  updated: '2026-02-03T12:00:00.000Z',
  summary: 'Kickoff (moved)',
  start: { date: '2026-03-04' },
  end: { date: '2026-03-05' },
};
const gone = { kind: 'calendar#event', etag: '"3181161785000000"', id: 'evt1', status: 'cancelled' };

const rec = (event: object, fetchedAt?: string) => mapGcalEvent({ calendarId: CAL, event, fetchedAt }, received);

describe('EventsRepository (LWW with a separate data version)', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  let db: Database;
  const repo = new EventsRepository();
  beforeAll(async () => {
    t = await openTestDb();
    db = t.db;
  });
  afterAll(async () => t?.close());

  const reset = () => db.query('DELETE FROM events');
  const apply = (records: CalendarEventRecord[]) => db.tx((sql) => repo.upsertMany(sql, records));
  const snapshot = async () =>
    db.query(
      `SELECT event_id, status, summary, description, location, start_at, end_at, start_date::text, end_date::text, time_zone, organizer_email,
              recurring_event_id, original_start_time, recurrence, deleted_at, version_at, version_rank, version_tiebreak, data_version_at
         FROM events ORDER BY calendar_id, event_id`,
    );

  it('a cancellation keeps summary, start and the rest of the stored event', async () => {
    await reset();
    await apply([rec(v1)]);
    await apply([rec(gone, '2026-02-10T00:00:00.000Z')]);
    const e = (await repo.find(db, CAL, 'evt1'))!;
    expect(e.status).toBe('cancelled');
    expect(e.deletedAt?.toISOString()).toBe('2026-02-10T00:00:00.000Z');
    expect(e.summary).toBe('Kickoff');
    expect(e.description).toBe('First call');
    expect(e.startAt?.toISOString()).toBe('2026-03-02T14:00:00.000Z');
    expect(e.endAt?.toISOString()).toBe('2026-03-02T15:00:00.000Z');
    expect(e.timeZone).toBe('America/Bogota');
    expect(e.organizerEmail).toBe(CAL);
  });

  it('an older update is refused; a newer one replaces data, including timed → all-day', async () => {
    await reset();
    await apply([rec(v2)]);
    expect(await apply([rec(v1)])).toBe(0);
    let e = (await repo.find(db, CAL, 'evt1'))!;
    expect(e.summary).toBe('Kickoff (moved)');
    expect(e.startAt).toBeNull();
    expect(e.startDate).toBe('2026-03-04');
    await reset();
    await apply([rec(v1)]);
    await apply([rec(v2)]);
    e = (await repo.find(db, CAL, 'evt1'))!;
    expect([e.summary, e.startAt, e.startDate, e.endDate]).toEqual([
      'Kickoff (moved)',
      null,
      '2026-03-04',
      '2026-03-05',
    ]);
  });

  it('a restored event (newer confirmed after a deletion) is live again', async () => {
    await reset();
    const restored = { ...v2, etag: '"3181161786000000"', updated: '2026-02-20T00:00:00.000Z', summary: 'Back' };
    await apply([rec(v1)]);
    await apply([rec(gone, '2026-02-10T00:00:00.000Z')]);
    await apply([rec(restored)]);
    const e = (await repo.find(db, CAL, 'evt1'))!;
    expect([e.status, e.deletedAt, e.summary]).toEqual(['confirmed', null, 'Back']);
  });

  it('every order and duplication of a stream ends in the same table', async () => {
    const other = { ...v1, id: 'evt2', etag: '"1"', summary: 'Other' };
    const otherGone = {
      kind: 'calendar#event',
      etag: '"2"',
      id: 'evt2',
      status: 'cancelled',
      updated: '2026-02-05T00:00:00.000Z',
    };
    const cancelledOccurrence = {
      kind: 'calendar#event',
      etag: '"9"',
      id: 'series_20260309T150000Z',
      status: 'cancelled',
      recurringEventId: 'series',
      originalStartTime: { dateTime: '2026-03-09T15:00:00Z', timeZone: 'UTC' },
    };
    const stream = [
      rec(v1),
      rec(v2),
      rec(gone, '2026-02-10T00:00:00.000Z'),
      rec(other),
      rec(otherGone),
      rec(cancelledOccurrence, '2026-02-11T00:00:00.000Z'),
    ];
    await reset();
    for (const r of stream) await apply([r]);
    const expected = await snapshot();
    expect(expected.find((r) => r.event_id === 'evt1')).toMatchObject({
      status: 'cancelled',
      summary: 'Kickoff (moved)',
      start_date: '2026-03-04',
    });
    expect(expected.find((r) => r.event_id === 'series_20260309T150000Z')).toMatchObject({
      status: 'cancelled',
      recurring_event_id: 'series',
      original_start_time: '2026-03-09T15:00:00Z',
      summary: null,
    });

    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 25; round++) {
      const shuffled = [...stream, ...stream.filter(() => rand() < 0.4)].sort(() => rand() - 0.5);
      await reset();
      // Mix single-row and whole-batch application (a batch may hold an update and its deletion).
      if (round % 2 === 0) for (const r of shuffled) await apply([r]);
      else await apply(shuffled);
      expect(await snapshot()).toEqual(expected);
    }
  });
});
