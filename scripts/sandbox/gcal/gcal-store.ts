import { createHash, randomBytes } from 'node:crypto';
import { instanceId } from './recurrence.js';

export interface EventTime {
  dateTime?: string;
  date?: string;
  timeZone?: string;
}

/** An event's full state as the simulator keeps it (also kept after cancellation). */
export interface SimEvent {
  id: string;
  status: 'confirmed' | 'tentative' | 'cancelled';
  summary?: string;
  description?: string;
  location?: string;
  start: EventTime;
  end: EventTime;
  recurrence?: string[];
  recurringEventId?: string;
  originalStartTime?: EventTime;
  created: string;
  updated: string;
  organizerEmail: string;
  sequence: number;
}

export interface StoredEvent {
  event: SimEvent;
  /** Store-wide change sequence of the last write; sync tokens are positions in it. */
  seq: number;
  etag: string;
}

export interface SimCalendar {
  id: string;
  summary: string;
  timeZone: string;
  events: Map<string, StoredEvent>;
  /** Bumped by expireSyncTokens: tokens (and incremental page tokens) of older epochs get 410. */
  epoch: number;
  /** Opaque id of the watched events collection (same for every channel on it). */
  resourceId: string;
}

export type EventInput = Partial<Omit<SimEvent, 'id' | 'created' | 'updated' | 'sequence'>> & {
  id?: string;
  start: EventTime;
  end: EventTime;
  created?: string;
  updated?: string;
};

/** Google event ids are base32hex (a-v, 0-9), 5-1024 characters. */
export function newEventId(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuv';
  return [...randomBytes(26)].map((b) => alphabet[b & 31]).join('');
}

/**
 * In-memory calendars with a change log. Every write takes the next sequence number and a
 * strictly increasing `updated` (real clock, never going backwards), like Google's.
 */
export class GcalStore {
  readonly calendars = new Map<string, SimCalendar>();
  private seq = 0;
  private lastUpdatedMs = 0;
  /** Called after each write (the simulator sends `exists` push notifications from here). */
  onChange: (calendarId: string) => void = () => undefined;

  addCalendar(id: string, opts: { summary?: string; timeZone?: string } = {}): SimCalendar {
    const cal: SimCalendar = {
      id,
      summary: opts.summary ?? id,
      timeZone: opts.timeZone ?? 'UTC',
      events: new Map(),
      epoch: 0,
      resourceId: createHash('sha1').update(`resource:${id}`).digest('base64url').slice(0, 27),
    };
    this.calendars.set(id, cal);
    return cal;
  }

  calendar(id: string): SimCalendar | undefined {
    return this.calendars.get(id);
  }

  currentSeq(): number {
    return this.seq;
  }

  /** Next `updated` value: wall clock, but strictly after the previous write. */
  private nextUpdated(explicit?: string): string {
    if (explicit) {
      this.lastUpdatedMs = Math.max(this.lastUpdatedMs, Date.parse(explicit));
      return explicit;
    }
    const ms = Math.max(Date.now(), this.lastUpdatedMs + 1);
    this.lastUpdatedMs = ms;
    return new Date(ms).toISOString();
  }

  private write(cal: SimCalendar, event: SimEvent): SimEvent {
    this.seq += 1;
    const etag = `"${Date.parse(event.updated)}${String(this.seq).padStart(3, '0')}"`;
    cal.events.set(event.id, { event, seq: this.seq, etag });
    return event;
  }

  private need(calendarId: string): SimCalendar {
    const cal = this.calendars.get(calendarId);
    if (!cal) throw new Error(`unknown simulator calendar ${calendarId}`);
    return cal;
  }

  /** Seeds or creates an event. Seeding passes explicit created/updated times (the dataset's past). */
  insert(calendarId: string, input: EventInput, notify = true): SimEvent {
    const cal = this.need(calendarId);
    const updated = this.nextUpdated(input.updated);
    const event: SimEvent = {
      status: 'confirmed',
      organizerEmail: calendarId,
      ...input,
      id: input.id ?? newEventId(),
      created: input.created ?? updated,
      updated,
      sequence: 0,
    };
    this.write(cal, event);
    if (notify) this.onChange(calendarId);
    return event;
  }

  update(
    calendarId: string,
    eventId: string,
    patch: Partial<Omit<SimEvent, 'id' | 'created' | 'updated' | 'sequence'>>,
    opts: { updated?: string; notify?: boolean } = {},
  ): SimEvent {
    const cal = this.need(calendarId);
    const cur = cal.events.get(eventId);
    if (!cur) throw new Error(`unknown simulator event ${calendarId}/${eventId}`);
    const event: SimEvent = {
      ...cur.event,
      ...patch,
      id: eventId,
      updated: this.nextUpdated(opts.updated),
      sequence: cur.event.sequence + 1,
    };
    this.write(cal, event);
    if (opts.notify !== false) this.onChange(calendarId);
    return event;
  }

  /** Deletes an event (Google keeps it as `cancelled`); deleting a series cancels its exceptions too. */
  cancel(calendarId: string, eventId: string, opts: { updated?: string; notify?: boolean } = {}): SimEvent {
    const cal = this.need(calendarId);
    const res = this.update(calendarId, eventId, { status: 'cancelled' }, { ...opts, notify: false });
    for (const s of [...cal.events.values()]) {
      if (s.event.recurringEventId === eventId && s.event.status !== 'cancelled')
        this.update(calendarId, s.event.id, { status: 'cancelled' }, { notify: false });
    }
    if (opts.notify !== false) this.onChange(calendarId);
    return res;
  }

  /** Edits one occurrence of a series: stored as an exception event with its own instance id. */
  modifyInstance(
    calendarId: string,
    seriesId: string,
    originalStart: EventTime,
    patch: Partial<SimEvent>,
    opts: { updated?: string; notify?: boolean } = {},
  ): SimEvent {
    const cal = this.need(calendarId);
    const series = cal.events.get(seriesId)?.event;
    if (!series?.recurrence) throw new Error(`${seriesId} is not a recurring series`);
    const id = instanceId(seriesId, originalStart);
    if (cal.events.has(id)) return this.update(calendarId, id, patch, opts);
    const durMs = timeMs(series.end) - timeMs(series.start);
    const start =
      originalStart.date !== undefined
        ? { date: originalStart.date }
        : { dateTime: originalStart.dateTime, timeZone: series.start.timeZone };
    const end =
      originalStart.date !== undefined
        ? { date: new Date(timeMs(start) + durMs).toISOString().slice(0, 10) }
        : {
            dateTime: new Date(timeMs(start) + durMs).toISOString().replace('.000Z', 'Z'),
            timeZone: series.end.timeZone,
          };
    const { recurrence: _r, ...base } = series;
    return this.insert(
      calendarId,
      {
        ...base,
        start,
        end,
        ...patch,
        id,
        recurringEventId: seriesId,
        originalStartTime: { ...start },
        created: undefined,
        updated: opts.updated,
      },
      opts.notify !== false,
    );
  }

  cancelInstance(
    calendarId: string,
    seriesId: string,
    originalStart: EventTime,
    opts: { updated?: string; notify?: boolean } = {},
  ): SimEvent {
    return this.modifyInstance(calendarId, seriesId, originalStart, { status: 'cancelled' }, opts);
  }
}

export function timeMs(t: EventTime): number {
  return t.date !== undefined ? Date.parse(`${t.date}T00:00:00Z`) : Date.parse(t.dateTime!);
}
