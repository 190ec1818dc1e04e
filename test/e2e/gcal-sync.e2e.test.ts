import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import { bootGcalApp, expectedRows, gcalRuns, storedRows } from '../support/gcal-kit.js';
import { startGcalSimulator, type GcalSimulator } from '../../scripts/sandbox/gcal/gcal-simulator.js';
import type { SimEvent } from '../../scripts/sandbox/gcal/gcal-store.js';

const SALES = 'sales@example.com';
const OPS = 'ops@example.com';
const PAGE = 7;

/** Calendar sync through @googleapis/calendar against the simulator, checked against its state. */
describe('Google Calendar sync through the SDK against the simulator', () => {
  let sim: GcalSimulator;
  let t: TestApp;
  let h: ReturnType<typeof gcalRuns>;
  /** Ids synced while live, and their last live state: deletions must keep that data. */
  const seenLive = new Set<string>();
  const lastLive = new Map<string, SimEvent>();

  const remember = () => {
    for (const { event } of sim.state.calendar(SALES)!.events.values()) {
      if (event.status !== 'cancelled') {
        seenLive.add(event.id);
        lastLive.set(event.id, structuredClone(event));
      }
    }
  };
  const listRequests = (calendarId: string) =>
    sim.requests.filter((r) => r.path === `/calendar/v3/calendars/${encodeURIComponent(calendarId)}/events`);
  const liveIds = (calendarId: string) =>
    [...sim.state.calendar(calendarId)!.events.values()]
      .filter((s) => s.event.status !== 'cancelled' && !s.event.recurrence && !s.event.recurringEventId)
      .map((s) => s.event.id);

  beforeAll(async () => {
    sim = await startGcalSimulator({ calendars: [SALES, OPS], dataset: { seed: 11, eventsPerCalendar: 30 } });
    t = await bootGcalApp(sim, [SALES, OPS], { GCAL_PAGE_SIZE: String(PAGE) });
    h = gcalRuns(t);
  });
  afterAll(async () => {
    await t?.close();
    await sim?.stop();
  });

  it('first run lists everything in full and stores only the nextSyncToken of the last page', async () => {
    const n = sim.state.calendar(SALES)!.events.size;
    const run = await h.run(SALES);
    expect(run).toMatchObject({
      status: 'succeeded',
      entity: `calendar:${SALES}`,
      fullBackfillTriggered: true,
      staleCursorDetected: false,
      error: null,
    });
    expect(run.counts).toMatchObject({ recordsFetched: n, recordsUpserted: n, pagesFetched: Math.ceil(n / PAGE) });

    const cursor = await h.cursor(SALES);
    expect(cursor).toEqual({ v: 1, syncToken: sim.tokens.syncTokens.at(-1) });
    expect(sim.tokens.pageTokens).not.toContain(cursor!.syncToken);
    expect(run.cursorAfter).toEqual(cursor);

    const reqs = listRequests(SALES);
    expect(reqs).toHaveLength(Math.ceil(n / PAGE));
    expect(reqs[0].query.syncToken).toBeUndefined();
    expect(reqs[0].query.pageToken).toBeUndefined();
    for (const r of reqs)
      expect(r.query).toMatchObject({ showDeleted: 'true', singleEvents: 'false', maxResults: String(PAGE) });
    expect(sim.tokenGrants()).toBe(1);
  });

  it('processing yields the events table computed from the simulator state', async () => {
    await h.drain();
    expect(await storedRows(t, SALES)).toEqual(expectedRows(sim, SALES, seenLive));
    remember();
    const dead = await t.db.query(`SELECT id FROM ingest_outbox WHERE kind = 'gcal.event' AND status <> 'done'`);
    expect(dead).toHaveLength(0);
  });

  it('recurring series: the master keeps its rule, moved and cancelled occurrences are their own rows', async () => {
    const series = sim.dataset!.series.find((s) => s.calendarId === SALES && s.modified)!;
    const rows = await t.db.query<Record<string, any>>(
      `SELECT event_id, status, summary, start_at, recurrence, recurring_event_id, original_start_time FROM events
        WHERE calendar_id = $1 AND (event_id = $2 OR recurring_event_id = $2) ORDER BY original_start_time NULLS FIRST`,
      [SALES, series.seriesId],
    );
    expect(rows).toHaveLength(3);
    const [master, moved, cancelled] = rows;
    expect(master).toMatchObject({
      status: 'confirmed',
      summary: 'Weekly revenue sync',
      recurrence: ['RRULE:FREQ=WEEKLY;COUNT=10'],
      recurring_event_id: null,
    });
    expect(moved).toMatchObject({
      status: 'confirmed',
      summary: 'Weekly revenue sync (moved)',
      recurring_event_id: series.seriesId,
      original_start_time: series.modified!.dateTime,
    });
    expect(new Date(moved.start_at).getTime()).toBe(Date.parse(series.modified!.dateTime!) + 3_600_000);
    expect(cancelled).toMatchObject({
      status: 'cancelled',
      recurring_event_id: series.seriesId,
      original_start_time: series.cancelled!.dateTime,
      summary: null,
    });
  });

  it('an incremental run sends the stored syncToken and sees updates, new events and cancellations', async () => {
    const before = await h.cursor(SALES);
    const [a, b] = liveIds(SALES);
    const daily = sim.dataset!.series.find((s) => s.calendarId === SALES && !s.modified)!;
    const dailyStart = sim.state.calendar(SALES)!.events.get(daily.seriesId)!.event.start;
    sim.mutate.update(SALES, a, { summary: 'Renamed after the first sync' });
    sim.mutate.cancel(SALES, b);
    sim.mutate.insert(SALES, {
      summary: 'Brand new',
      start: { dateTime: '2026-07-01T09:00:00Z' },
      end: { dateTime: '2026-07-01T09:30:00Z' },
    });
    sim.mutate.cancelInstance(SALES, daily.seriesId, { date: dailyStart.date });

    const run = await h.run(SALES);
    expect(run).toMatchObject({
      status: 'succeeded',
      fullBackfillTriggered: false,
      staleCursorDetected: false,
      cursorBefore: before,
    });
    expect(run.counts).toMatchObject({ recordsFetched: 4, recordsUpserted: 4, pagesFetched: 1 });
    expect(listRequests(SALES).at(-1)!.query.syncToken).toBe(before!.syncToken);
    expect(await h.cursor(SALES)).toEqual({ v: 1, syncToken: sim.tokens.syncTokens.at(-1) });

    await h.drain();
    expect(await storedRows(t, SALES)).toEqual(expectedRows(sim, SALES, seenLive, lastLive));
    const gone = (await storedRows(t, SALES)).find((r) => r.event_id === b)!;
    expect(gone.status).toBe('cancelled');
    expect(gone.summary).toBe(lastLive.get(b)!.summary);
    expect(gone.start_at ?? gone.start_date).not.toBeNull();
    remember();
  });

  it('a failure between pages loses nothing: the cursor stays, the next run repeats the listing', async () => {
    const before = await h.cursor(SALES);
    const changed = liveIds(SALES).slice(0, 10);
    for (const id of changed) sim.mutate.update(SALES, id, { summary: `Edited ${id}` });
    sim.failNext(1, 503, { after: 1 });
    const broken = await h.run(SALES);
    expect(broken).toMatchObject({
      status: 'partial',
      staleCursorDetected: false,
      cursorBefore: before,
      cursorAfter: before,
    });
    expect(broken.counts).toMatchObject({ pagesFetched: 1, recordsFetched: PAGE });
    expect(await h.cursor(SALES)).toEqual(before);

    const again = await h.run(SALES);
    expect(again).toMatchObject({ status: 'succeeded', cursorBefore: before });
    expect(again.counts).toMatchObject({ recordsFetched: 10, recordsDeduped: PAGE, recordsUpserted: 10 - PAGE });
    await h.drain();
    const stored = await storedRows(t, SALES);
    for (const id of changed) expect(stored.find((r) => r.event_id === id)!.summary).toBe(`Edited ${id}`);
    expect(stored).toEqual(expectedRows(sim, SALES, seenLive, lastLive));
    remember();
  });

  it('an interrupted first listing stores no cursor at all (a page token is never a cursor)', async () => {
    sim.failNext(1, 500, { after: 2 });
    const run = await h.run(OPS);
    expect(run).toMatchObject({ status: 'partial', cursorBefore: null, cursorAfter: null });
    expect(run.counts.pagesFetched).toBe(2);
    expect(await h.cursor(OPS)).toBeNull();
    const retry = await h.run(OPS);
    expect(retry).toMatchObject({ status: 'succeeded', fullBackfillTriggered: true });
    expect((await h.cursor(OPS))!.syncToken).toBe(sim.tokens.syncTokens.at(-1));
    await h.drain();
    expect(await storedRows(t, OPS)).toEqual(expectedRows(sim, OPS, new Set()));
  });

  it('410 in the middle of an incremental listing wipes the cursor and resyncs in full, flagged on the run', async () => {
    const before = await h.cursor(SALES);
    for (const id of liveIds(SALES).slice(10, 20)) sim.mutate.update(SALES, id, { location: 'Moved online' });
    sim.failNext(1, 410, { after: 1 });
    const n = sim.state.calendar(SALES)!.events.size;
    const run = await h.run(SALES);
    expect(run).toMatchObject({
      status: 'succeeded',
      staleCursorDetected: true,
      fullBackfillTriggered: true,
      cursorBefore: before,
    });
    expect(run.counts.pagesFetched).toBe(1 + Math.ceil(n / PAGE));
    const after = await h.cursor(SALES);
    expect(after!.syncToken).toBe(sim.tokens.syncTokens.at(-1));
    expect(after).not.toEqual(before);
    const reqs = listRequests(SALES);
    const fullStart = reqs.findIndex(
      (r, i) =>
        i > 0 && r.query.syncToken === undefined && r.query.pageToken === undefined && reqs[i - 1].status === 410,
    );
    expect(fullStart).toBeGreaterThan(0);
    await h.drain();
    expect(await storedRows(t, SALES)).toEqual(expectedRows(sim, SALES, seenLive, lastLive));
  });

  it('a stored syncToken that Google expired (410 on the first request) also resyncs in full', async () => {
    sim.expireSyncTokens(SALES);
    const run = await h.run(SALES);
    expect(run).toMatchObject({ status: 'succeeded', staleCursorDetected: true, fullBackfillTriggered: true });
    expect(listRequests(SALES).some((r) => r.status === 410)).toBe(true);
  });

  it('an auth failure fails the run and keeps the cursor; the next run resumes from it', async () => {
    const before = await h.cursor(SALES);
    sim.revokeServiceAccount();
    const run = await h.run(SALES);
    expect(run).toMatchObject({
      status: 'failed',
      errorClass: 'auth',
      staleCursorDetected: false,
      fullBackfillTriggered: false,
    });
    expect(run.error).toMatch(/invalid_grant|401|authError/);
    expect(await h.cursor(SALES)).toEqual(before);

    sim.restoreServiceAccount();
    const id = liveIds(SALES)[0];
    sim.mutate.update(SALES, id, { summary: 'After the key came back' });
    const ok = await h.run(SALES);
    expect(ok).toMatchObject({ status: 'succeeded', cursorBefore: before, staleCursorDetected: false });
    expect(ok.counts.recordsFetched).toBe(1);
    expect(listRequests(SALES).at(-1)!.query.syncToken).toBe(before!.syncToken);
  });

  it('a full trigger ignores the cursor and relists everything, deduping unchanged events', async () => {
    const n = sim.state.calendar(SALES)!.events.size;
    const run = await h.run(SALES, 'full');
    expect(run).toMatchObject({ status: 'succeeded', mode: 'full', fullBackfillTriggered: true });
    expect(run.counts).toMatchObject({ recordsFetched: n, recordsUpserted: 0, recordsDeduped: n });
  });
});
