import type { GcalStore, SimCalendar, StoredEvent } from './gcal-store.js';
import { timeMs } from './gcal-store.js';
import { fullSyncRequired, googleError, type GoogleErrorBody } from './google-errors.js';
import { expandSeries, instanceId } from './recurrence.js';
import { renderEvent, renderFull } from './render-event.js';
import { newOpaqueToken } from './service-account.js';

export interface ListQuery {
  syncToken?: string;
  pageToken?: string;
  maxResults?: number;
  showDeleted?: boolean;
  singleEvents?: boolean;
  updatedMin?: string;
  timeMin?: string;
  timeMax?: string;
  /** Parameters that Google refuses next to a syncToken. */
  otherFilters?: string[];
}

export type ListResult = { status: 200; body: Record<string, unknown> } | { status: number; body: GoogleErrorBody };

/** Where a listing resumes; page tokens are opaque to clients and resolved here. */
interface PageState {
  calendarId: string;
  afterId: string;
  /** Change sequence when the listing began: the sync token handed out at its end. */
  snapSeq: number;
  sinceSeq: number | null;
  epoch: number;
  showDeleted: boolean;
  singleEvents: boolean;
  updatedMinMs: number | null;
  timeMinMs: number | null;
  timeMaxMs: number | null;
}

interface Entry {
  id: string;
  seq: number;
  cancelled: boolean;
  cancelledOccurrence: boolean;
  updatedMs: number;
  startMs: number;
  endMs: number;
  render(): Record<string, unknown>;
}

const DEFAULT_PAGE = 250;
const MAX_PAGE = 2500;

/**
 * events.list semantics: pages in a stable order (by id) resumed by nextPageToken; nextSyncToken
 * ONLY on the last page; a syncToken lists what changed after the position it encodes, cancelled
 * events included; tokens of an expired epoch answer 410 fullSyncRequired.
 */
export class EventLister {
  private readonly syncTokens = new Map<string, { calendarId: string; seq: number; epoch: number }>();
  private readonly pageTokens = new Map<string, PageState>();
  /** Every token handed out, in order (tests check which one a client stored). */
  readonly issued = { syncTokens: [] as string[], pageTokens: [] as string[] };

  constructor(private readonly store: GcalStore) {}

  list(cal: SimCalendar, q: ListQuery): ListResult {
    const bad = (message: string): ListResult => ({
      status: 400,
      body: googleError(400, 'invalid', message, 'INVALID_ARGUMENT'),
    });
    if (q.maxResults !== undefined && (!Number.isInteger(q.maxResults) || q.maxResults < 1))
      return bad('Invalid value for: maxResults');
    const pageSize = Math.min(q.maxResults ?? DEFAULT_PAGE, MAX_PAGE);
    let state: PageState;
    if (q.pageToken !== undefined) {
      const s = this.pageTokens.get(q.pageToken);
      if (!s || s.calendarId !== cal.id) return bad('Invalid page token value.');
      if (s.sinceSeq !== null && s.epoch !== cal.epoch) return { status: 410, body: fullSyncRequired() };
      state = s;
    } else {
      let sinceSeq: number | null = null;
      if (q.syncToken !== undefined) {
        const forbidden = [
          ...(q.otherFilters ?? []),
          ...(q.updatedMin ? ['updatedMin'] : []),
          ...(q.timeMin ? ['timeMin'] : []),
          ...(q.timeMax ? ['timeMax'] : []),
        ];
        if (forbidden.length) return bad(`The syncToken parameter cannot be combined with: ${forbidden.join(', ')}.`);
        const t = this.syncTokens.get(q.syncToken);
        if (!t || t.calendarId !== cal.id) return bad('Invalid sync token value.');
        if (t.epoch !== cal.epoch) return { status: 410, body: fullSyncRequired() };
        sinceSeq = t.seq;
      }
      const ms = (v: string | undefined): number | null | 'bad' => {
        if (v === undefined) return null;
        const n = Date.parse(v);
        return Number.isNaN(n) || !/(Z|[+-]\d{2}:\d{2})$/i.test(v) ? 'bad' : n;
      };
      const updatedMinMs = ms(q.updatedMin);
      const timeMinMs = ms(q.timeMin);
      const timeMaxMs = ms(q.timeMax);
      if (updatedMinMs === 'bad' || timeMinMs === 'bad' || timeMaxMs === 'bad')
        return bad('Bad Request: timestamps must be RFC3339 with an offset.');
      state = {
        calendarId: cal.id,
        afterId: '',
        snapSeq: this.store.currentSeq(),
        sinceSeq,
        epoch: cal.epoch,
        showDeleted: q.showDeleted ?? false,
        singleEvents: q.singleEvents ?? false,
        updatedMinMs,
        timeMinMs,
        timeMaxMs,
      };
    }

    const all = this.entries(cal, state).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const rest = all.filter((e) => e.id > state.afterId);
    const page = rest.slice(0, pageSize);
    const body: Record<string, unknown> = {
      kind: 'calendar#events',
      etag: `"p${state.snapSeq}"`,
      summary: cal.summary,
      description: '',
      updated: new Date(Math.max(0, ...all.map((e) => e.updatedMs))).toISOString(),
      timeZone: cal.timeZone,
      accessRole: 'reader',
      defaultReminders: [],
    };
    if (rest.length > page.length) {
      const token = newOpaqueToken('');
      this.pageTokens.set(token, { ...state, afterId: page[page.length - 1].id });
      this.issued.pageTokens.push(token);
      body.nextPageToken = token;
    } else {
      const token = newOpaqueToken('');
      this.syncTokens.set(token, { calendarId: cal.id, seq: state.snapSeq, epoch: cal.epoch });
      this.issued.syncTokens.push(token);
      body.nextSyncToken = token;
    }
    body.items = page.map((e) => e.render());
    return { status: 200, body };
  }

  private entries(cal: SimCalendar, s: PageState): Entry[] {
    const out: Entry[] = [];
    for (const stored of cal.events.values()) {
      if (s.singleEvents && stored.event.recurrence) out.push(...this.instancesOf(cal, stored));
      else out.push(this.entryOf(cal, stored));
    }
    const incremental = s.sinceSeq !== null;
    return out.filter((e) => {
      if (incremental && e.seq <= s.sinceSeq!) return false;
      if (s.updatedMinMs !== null && e.updatedMs < s.updatedMinMs) return false;
      if (s.timeMinMs !== null && e.endMs <= s.timeMinMs) return false;
      if (s.timeMaxMs !== null && e.startMs >= s.timeMaxMs) return false;
      if (!e.cancelled) return true;
      // Deleted entries: always in incremental listings and with updatedMin; with showDeleted;
      // and cancelled occurrences of a series are listed even without it when singleEvents=false.
      return incremental || s.updatedMinMs !== null || s.showDeleted || (!s.singleEvents && e.cancelledOccurrence);
    });
  }

  private entryOf(cal: SimCalendar, stored: StoredEvent): Entry {
    const e = stored.event;
    let endMs = timeMs(e.end);
    if (e.recurrence) {
      const occ = expandSeries(e.start, e.recurrence);
      endMs =
        timeMs(
          occ[occ.length - 1].allDay ? { date: occ[occ.length - 1].start } : { dateTime: occ[occ.length - 1].start },
        ) +
        (timeMs(e.end) - timeMs(e.start));
    }
    return {
      id: e.id,
      seq: stored.seq,
      cancelled: e.status === 'cancelled',
      cancelledOccurrence: e.status === 'cancelled' && e.recurringEventId !== undefined,
      updatedMs: Date.parse(e.updated),
      startMs: timeMs(e.start),
      endMs,
      render: () => renderEvent(cal, stored),
    };
  }

  /** singleEvents=true: a series becomes its occurrences; stored exceptions replace theirs. */
  private instancesOf(cal: SimCalendar, stored: StoredEvent): Entry[] {
    const series = stored.event;
    const durMs = timeMs(series.end) - timeMs(series.start);
    const out: Entry[] = [];
    for (const occ of expandSeries(series.start, series.recurrence)) {
      const original = occ.allDay ? { date: occ.start } : { dateTime: occ.start, timeZone: series.start.timeZone };
      const id = instanceId(series.id, original);
      if (cal.events.has(id)) continue;
      const startMs = timeMs(original);
      const end = occ.allDay
        ? { date: new Date(startMs + durMs).toISOString().slice(0, 10) }
        : { dateTime: new Date(startMs + durMs).toISOString().replace('.000Z', 'Z'), timeZone: series.end.timeZone };
      const cancelled = series.status === 'cancelled';
      const { recurrence: _r, ...rest } = series;
      out.push({
        id,
        seq: stored.seq,
        cancelled,
        cancelledOccurrence: cancelled,
        updatedMs: Date.parse(series.updated),
        startMs,
        endMs: startMs + durMs,
        render: () =>
          cancelled
            ? {
                kind: 'calendar#event',
                etag: stored.etag,
                id,
                status: 'cancelled',
                recurringEventId: series.id,
                originalStartTime: original,
              }
            : renderFull(
                cal,
                { ...rest, id, start: original, end, recurringEventId: series.id, originalStartTime: original },
                stored.etag,
              ),
      });
    }
    return out;
  }
}
