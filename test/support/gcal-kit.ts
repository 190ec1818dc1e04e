import { bootTestApp, type TestApp } from './app.js';
import { RunsService } from '../../src/runs/runs.service.js';
import { RunsRepository } from '../../src/runs/runs.repository.js';
import { OutboxWorker } from '../../src/outbox/outbox.worker.js';
import type { SyncRun } from '../../src/runs/run.types.js';
import type { SyncMode } from '../../src/runs/sync.drivers.js';
import type { GcalSimulator } from '../../scripts/sandbox/gcal/gcal-simulator.js';
import type { SimEvent } from '../../scripts/sandbox/gcal/gcal-store.js';

/** The whole app pointed at a Google Calendar simulator: its service account, its root URL, no retries. */
export function bootGcalApp(
  sim: GcalSimulator,
  calendars: string[],
  env: Record<string, string> = {},
): Promise<TestApp> {
  return bootTestApp({
    GCAL_SERVICE_ACCOUNT_JSON: sim.serviceAccountJson,
    GCAL_CALENDAR_IDS: calendars.join(','),
    GCAL_API_BASE: sim.url,
    GCAL_RATE_LIMIT_PER_S: '100',
    GCAL_MAX_RETRIES: '0',
    ...env,
  });
}

export function gcalRuns(t: TestApp) {
  const runs = t.app.get(RunsService);
  const repo = t.app.get(RunsRepository);
  return {
    /** One run of one calendar through the real trigger path (lock, SyncContext, counts); waits for it. */
    async run(calendarId: string, mode: SyncMode = 'incremental'): Promise<SyncRun> {
      const { runIds } = await runs.trigger('gcal', mode, { entities: [`calendar:${calendarId}`] });
      // The test is the worker: WORKER=off apps only queue runs.
      await runs.drain();
      return (await repo.get(runIds[0]))!;
    },
    cursor: (calendarId: string) =>
      repo.loadCursor('gcal', `calendar:${calendarId}`) as Promise<{ v: number; syncToken: string } | null>,
    drain: () => t.app.get(OutboxWorker).drain(),
    /** Executes the runs queued so far (e.g. by push notifications) and waits for them. */
    waitForIdle: () => runs.drain(),
  };
}

export interface ExpectedEventRow {
  event_id: string;
  status: string;
  summary: string | null;
  start_at: string | null;
  start_date: string | null;
  end_at: string | null;
  end_date: string | null;
  recurring_event_id: string | null;
  recurrence: string[] | null;
}

const instantOf = (t: SimEvent['start']) =>
  t.dateTime !== undefined ? new Date(Date.parse(t.dateTime)).toISOString() : null;

/**
 * What the events table must hold for a calendar, computed straight from the simulator's state:
 * every event it lists (showDeleted), with the fields Google would have shown us. `seenLive`
 * lists ids that were synced while live: a later deletion keeps their data; an event we only
 * ever saw deleted has none.
 */
export function expectedRows(
  sim: GcalSimulator,
  calendarId: string,
  seenLive: ReadonlySet<string>,
  before: ReadonlyMap<string, SimEvent> = new Map(),
): ExpectedEventRow[] {
  const cal = sim.state.calendar(calendarId)!;
  return [...cal.events.values()]
    .map(({ event: e }) => {
      const cancelled = e.status === 'cancelled';
      // For a deletion, the data is that of the last live state we synced (if any).
      const data = cancelled ? (seenLive.has(e.id) ? (before.get(e.id) ?? null) : null) : e;
      return {
        event_id: e.id,
        status: e.status,
        summary: data?.summary ?? null,
        start_at: data ? instantOf(data.start) : null,
        start_date: data?.start.date ?? null,
        end_at: data ? instantOf(data.end) : null,
        end_date: data?.end.date ?? null,
        recurring_event_id: e.recurringEventId ?? null,
        recurrence: data?.recurrence ?? null,
      };
    })
    .sort((a, b) => (a.event_id < b.event_id ? -1 : 1));
}

export async function storedRows(t: TestApp, calendarId: string): Promise<ExpectedEventRow[]> {
  const rows = await t.db.query<Record<string, any>>(
    `SELECT event_id, status, summary, start_at, start_date::text AS start_date, end_at, end_date::text AS end_date, recurring_event_id, recurrence
       FROM events WHERE calendar_id = $1 ORDER BY event_id`,
    [calendarId],
  );
  // Sorted here, not by the database collation, to compare with expectedRows' code-point order.
  return rows
    .map((r) => ({
      event_id: r.event_id,
      status: r.status,
      summary: r.summary,
      start_at: r.start_at ? new Date(r.start_at).toISOString() : null,
      start_date: r.start_date,
      end_at: r.end_at ? new Date(r.end_at).toISOString() : null,
      end_date: r.end_date,
      recurring_event_id: r.recurring_event_id,
      recurrence: r.recurrence,
    }))
    .sort((a, b) => (a.event_id < b.event_id ? -1 : 1));
}
