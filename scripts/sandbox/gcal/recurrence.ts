/**
 * The slice of RFC 5545 the simulator expands for `singleEvents=true`: FREQ=DAILY|WEEKLY with
 * INTERVAL, COUNT and UNTIL (weekly repeats the start's weekday). Enough for the seeded series;
 * an unsupported rule expands to the first occurrence only, never to a guess.
 */
export interface Occurrence {
  /** Timed: ISO instant (UTC). All-day: YYYY-MM-DD. */
  start: string;
  allDay: boolean;
}

const MAX_OCCURRENCES = 730;
const DAY_MS = 86_400_000;

export function parseRrule(
  lines: readonly string[] | undefined,
): { freq: 'DAILY' | 'WEEKLY'; interval: number; count: number | null; until: number | null } | null {
  const rule = lines?.find((l) => l.startsWith('RRULE:'));
  if (!rule) return null;
  const parts = new Map(
    rule
      .slice(6)
      .split(';')
      .map((p) => p.split('=') as [string, string]),
  );
  const freq = parts.get('FREQ');
  if (freq !== 'DAILY' && freq !== 'WEEKLY') return null;
  if ([...parts.keys()].some((k) => !['FREQ', 'INTERVAL', 'COUNT', 'UNTIL'].includes(k))) return null;
  const interval = Number(parts.get('INTERVAL') ?? '1');
  const count = parts.has('COUNT') ? Number(parts.get('COUNT')) : null;
  const untilRaw = parts.get('UNTIL');
  let until: number | null = null;
  if (untilRaw) {
    const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z)?$/.exec(untilRaw);
    if (!m) return null;
    until = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 23), +(m[5] ?? 59), +(m[6] ?? 59));
  }
  if (!Number.isInteger(interval) || interval < 1 || (count !== null && (!Number.isInteger(count) || count < 1)))
    return null;
  return { freq, interval, count, until };
}

/** Occurrence starts of a series whose first start is `first` (dateTime or date). */
export function expandSeries(
  first: { dateTime?: string; date?: string },
  recurrence: readonly string[] | undefined,
): Occurrence[] {
  const allDay = first.date !== undefined;
  const t0 = allDay ? Date.parse(`${first.date}T00:00:00Z`) : Date.parse(first.dateTime!);
  const fmt = (t: number) =>
    allDay ? new Date(t).toISOString().slice(0, 10) : new Date(t).toISOString().replace('.000Z', 'Z');
  const rule = parseRrule(recurrence);
  if (!rule) return [{ start: fmt(t0), allDay }];
  const step = (rule.freq === 'DAILY' ? 1 : 7) * rule.interval * DAY_MS;
  const out: Occurrence[] = [];
  for (let i = 0; out.length < (rule.count ?? MAX_OCCURRENCES) && out.length < MAX_OCCURRENCES; i++) {
    const t = t0 + i * step;
    if (rule.until !== null && t > rule.until) break;
    out.push({ start: fmt(t), allDay });
  }
  return out;
}

/** Google's instance id: `<seriesId>_<YYYYMMDDTHHMMSSZ>` for timed, `<seriesId>_<YYYYMMDD>` for all-day. */
export function instanceId(seriesId: string, originalStart: { dateTime?: string; date?: string }): string {
  if (originalStart.date !== undefined) return `${seriesId}_${originalStart.date.replace(/-/g, '')}`;
  const iso = new Date(originalStart.dateTime!).toISOString();
  return `${seriesId}_${iso.slice(0, 19).replace(/[-:]/g, '')}Z`;
}
