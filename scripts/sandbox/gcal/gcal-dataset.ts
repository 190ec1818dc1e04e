import type { EventTime, GcalStore, SimEvent } from './gcal-store.js';
import { prng } from '../prng.js';

export interface GcalDatasetOptions {
  seed?: number;
  /** Single (non-recurring) events per calendar, before the two recurring series. */
  eventsPerCalendar?: number;
  /** First day events may start on (YYYY-MM-DD); they spread over `days`. */
  from?: string;
  days?: number;
}

export interface SeededSeries {
  calendarId: string;
  seriesId: string;
  /** Original start of the modified occurrence and of the cancelled one. */
  modified: EventTime | null;
  cancelled: EventTime | null;
}

export interface GcalDatasetSummary {
  events: number;
  cancelled: number;
  allDay: number;
  series: SeededSeries[];
}

const TOPICS = [
  'Pipeline review',
  'Customer call',
  'Onboarding',
  'Quarterly planning',
  'Invoice follow-up',
  'Demo',
  'Renewal check-in',
  '1:1',
  'Board prep',
  'Support escalation',
];
const PLACES = ['Room Bison', 'Zoom', 'Google Meet', 'HQ 3rd floor', 'Client office', undefined, undefined];
/** Zones without daylight saving, so an offset in dateTime is exact for every date. */
const ZONES: Array<{ tz: string; offset: string; minutes: number }> = [
  { tz: 'UTC', offset: 'Z', minutes: 0 },
  { tz: 'America/Bogota', offset: '-05:00', minutes: -300 },
  { tz: 'Asia/Kolkata', offset: '+05:30', minutes: 330 },
  { tz: 'Asia/Tokyo', offset: '+09:00', minutes: 540 },
];
const DAY = 86_400_000;

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Local wall time in a fixed-offset zone, written as Google does: `2026-03-02T09:00:00-05:00`. */
function localDateTime(utcMs: number, zone: (typeof ZONES)[number]): string {
  const local = new Date(utcMs + zone.minutes * 60_000).toISOString().slice(0, 19);
  return `${local}${zone.offset}`;
}

/**
 * Seeds realistic calendars: timed events in several zones, all-day and multi-day events, some
 * already deleted, and per calendar a weekly timed series (one occurrence moved and renamed,
 * one cancelled) and a daily all-day series. `created`/`updated` lie in February 2026, so any
 * later change made through the simulator is newer. Deterministic for a given seed.
 */
export function seedGcalDataset(store: GcalStore, opts: GcalDatasetOptions = {}): GcalDatasetSummary {
  const rnd = prng(opts.seed ?? 42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const idOf = () =>
    Array.from({ length: 26 }, () => '0123456789abcdefghijklmnopqrstuv'[Math.floor(rnd() * 32)]).join('');
  const fromMs = Date.parse(`${opts.from ?? '2026-03-02'}T00:00:00Z`);
  const days = opts.days ?? 120;
  const stampBase = Date.parse('2026-02-01T08:00:00Z');
  let stamp = 0;
  // Distinct, increasing `updated` values across the dataset.
  const nextStamp = () => new Date(stampBase + ++stamp * 61_000 + Math.floor(rnd() * 60_000)).toISOString();
  const summary: GcalDatasetSummary = { events: 0, cancelled: 0, allDay: 0, series: [] };

  for (const cal of store.calendars.values()) {
    const n = opts.eventsPerCalendar ?? 40;
    for (let i = 0; i < n; i++) {
      const day = fromMs + Math.floor(rnd() * days) * DAY;
      const allDay = rnd() < 0.15;
      let start: EventTime;
      let end: EventTime;
      if (allDay) {
        const len = rnd() < 0.3 ? 3 : 1;
        start = { date: isoDate(day) };
        end = { date: isoDate(day + len * DAY) };
        summary.allDay++;
      } else {
        const zone = pick(ZONES);
        const startMs = day + (8 + Math.floor(rnd() * 9)) * 3_600_000 + pick([0, 15, 30, 45]) * 60_000;
        const durMs = pick([30, 45, 60, 90]) * 60_000;
        start = { dateTime: localDateTime(startMs, zone), timeZone: zone.tz };
        end = { dateTime: localDateTime(startMs + durMs, zone), timeZone: zone.tz };
      }
      const created = nextStamp();
      const location = pick(PLACES);
      const ev: Partial<SimEvent> & { start: EventTime; end: EventTime } = {
        id: idOf(),
        summary: `${pick(TOPICS)} #${i + 1}`,
        ...(rnd() < 0.4 ? { description: `Agenda for ${cal.id} item ${i + 1}` } : {}),
        ...(location ? { location } : {}),
        ...(rnd() < 0.1 ? { status: 'tentative' as const } : {}),
        organizerEmail: rnd() < 0.8 ? cal.id : `partner${Math.floor(rnd() * 5)}@example.com`,
        start,
        end,
        created,
        updated: created,
      };
      store.insert(cal.id, ev, false);
      summary.events++;
      if (rnd() < 0.07) {
        store.cancel(cal.id, ev.id!, { updated: nextStamp(), notify: false });
        summary.cancelled++;
      }
    }

    const weeklyStart = fromMs + 7 * DAY + 10 * 3_600_000;
    const weeklyCreated = nextStamp();
    const weekly = store.insert(
      cal.id,
      {
        id: idOf(),
        summary: 'Weekly revenue sync',
        location: 'Zoom',
        start: { dateTime: new Date(weeklyStart).toISOString().replace('.000Z', 'Z'), timeZone: 'UTC' },
        end: { dateTime: new Date(weeklyStart + 3_600_000).toISOString().replace('.000Z', 'Z'), timeZone: 'UTC' },
        recurrence: ['RRULE:FREQ=WEEKLY;COUNT=10'],
        created: weeklyCreated,
        updated: weeklyCreated,
      },
      false,
    );
    const third = { dateTime: new Date(weeklyStart + 14 * DAY).toISOString().replace('.000Z', 'Z'), timeZone: 'UTC' };
    const fifth = { dateTime: new Date(weeklyStart + 28 * DAY).toISOString().replace('.000Z', 'Z'), timeZone: 'UTC' };
    store.modifyInstance(
      cal.id,
      weekly.id,
      third,
      {
        summary: 'Weekly revenue sync (moved)',
        start: {
          dateTime: new Date(weeklyStart + 14 * DAY + 3_600_000).toISOString().replace('.000Z', 'Z'),
          timeZone: 'UTC',
        },
        end: {
          dateTime: new Date(weeklyStart + 14 * DAY + 7_200_000).toISOString().replace('.000Z', 'Z'),
          timeZone: 'UTC',
        },
      },
      { updated: nextStamp(), notify: false },
    );
    store.cancelInstance(cal.id, weekly.id, fifth, { updated: nextStamp(), notify: false });
    summary.series.push({ calendarId: cal.id, seriesId: weekly.id, modified: third, cancelled: fifth });

    const dailyStart = fromMs + 30 * DAY;
    const dailyCreated = nextStamp();
    const daily = store.insert(
      cal.id,
      {
        id: idOf(),
        summary: 'Month-end close',
        start: { date: isoDate(dailyStart) },
        end: { date: isoDate(dailyStart + DAY) },
        recurrence: ['RRULE:FREQ=DAILY;COUNT=5'],
        created: dailyCreated,
        updated: dailyCreated,
      },
      false,
    );
    summary.series.push({ calendarId: cal.id, seriesId: daily.id, modified: null, cancelled: null });
    summary.events += 4; // two series + two exceptions
    summary.allDay += 1;
    summary.cancelled += 1;
  }
  return summary;
}
