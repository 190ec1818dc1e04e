import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app.config.js';
import { Database } from '../database/database.sql.js';
import { HttpMetrics } from '../common/http.metrics.js';
import { SOURCES, type Source } from '../records/record.types.js';
import { OrphansRepository, type GivenUpOrphan, type OrphanStates } from './orphans.repository.js';
import { SightingsRepository, type DayCounts, type MissedKey, type MissedWebhook } from './sightings.repository.js';
import { MAX_RECONCILE_DAYS, rangeTooLarge } from './reconciliation.range.js';

export interface ReconciliationQuery {
  source: Source;
  /** YYYY-MM-DD in `tz`; null: endDate − 6 days. */
  startDate: string | null;
  /** YYYY-MM-DD in `tz`; null: today in `tz` (or startDate, if that is later). */
  endDate: string | null;
  /** Canonical zone name (checked by the caller). */
  tz: string;
  limit: number;
  after: MissedKey | null;
}

type Counts = Omit<DayCounts, 'date'>;

export interface ReconciliationReport {
  source: Source;
  startDate: string;
  endDate: string;
  tz: string;
  graceS: number;
  totals: Counts;
  days: DayCounts[];
  missedWebhooks: MissedWebhook[];
  orphans: OrphanStates;
  next: MissedKey | null;
}

/** The window of vendor creation the missed-webhook gauge (and alert) looks at. */
export const MISSED_WEBHOOK_WINDOW_S = 86_400;
export const MISSED_WEBHOOKS_METRIC = 'buffalo_missed_webhooks';

const DAY_MS = 86_400_000;
/** Days since 1970-01-01 of a YYYY-MM-DD (integers, so no date string ever leaves year 9999's format). */
const dayNumber = (day: string) => Date.parse(`${day}T00:00:00Z`) / DAY_MS;
const fromDayNumber = (n: number) => new Date(n * DAY_MS).toISOString().slice(0, 10);
const addDays = (day: string, n: number) => fromDayNumber(dayNumber(day) + n);

/** How many days startDate..endDate spans, inclusive (0 when end precedes start). */
export function dayCount(startDate: string, endDate: string): number {
  return Math.max(0, dayNumber(endDate) - dayNumber(startDate) + 1);
}

/** startDate..endDate inclusive, as YYYY-MM-DD; callers bound the span first (MAX_RECONCILE_DAYS). */
export function daysBetween(startDate: string, endDate: string): string[] {
  const first = dayNumber(startDate);
  return Array.from({ length: dayCount(startDate, endDate) }, (_, i) => fromDayNumber(first + i));
}

/**
 * Webhook-vs-poll reconciliation (CONTRACT "Reconciliation"), read from object_sightings and
 * payment_orphans alone (never the outbox), in one read-only snapshot. Also the figures alerts
 * and /metrics need: missed webhooks of the last day (a gauge read at each scrape, so every
 * process reports the same shared figure), and given-up orphans.
 */
@Injectable()
export class ReconciliationService implements OnModuleInit {
  constructor(
    private readonly db: Database,
    private readonly sightings: SightingsRepository,
    private readonly orphans: OrphansRepository,
    private readonly metrics: HttpMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.metrics.onScrape(async () => {
      await this.collectMissedWebhooks();
    });
  }

  get graceS(): number {
    return this.config.reconcile.graceS;
  }

  async report(q: ReconciliationQuery, now = new Date()): Promise<ReconciliationReport> {
    const graceS = this.graceS;
    return this.db.tx(
      async (sql) => {
        let { startDate, endDate } = q;
        if (!endDate) {
          const [today] = await sql.query<{ d: string }>(
            `SELECT to_char(($1::timestamptz AT TIME ZONE $2::text)::date, 'YYYY-MM-DD') AS d`,
            [now.toISOString(), q.tz],
          );
          endDate = startDate && startDate > today.d ? startDate : today.d;
        }
        // Clamped so that 0001-01-0x cannot step before year 1 (a date Postgres and the schema both refuse).
        startDate ??= endDate < '0001-01-07' ? '0001-01-01' : addDays(endDate, -6);
        // After the defaults: startDate alone (1970-01-01) must meet the limit as much as a pair does.
        const span = dayCount(startDate, endDate);
        if (span > MAX_RECONCILE_DAYS) throw rangeTooLarge(span);
        const range = { source: q.source, startDate, endDate, tz: q.tz, graceS, now };
        const counted = new Map((await this.sightings.dayCounts(sql, range)).map((d) => [d.date, d]));
        const days = daysBetween(startDate, endDate).map(
          (date) => counted.get(date) ?? { date, both: 0, webhookOnly: 0, pollOnly: 0, pending: 0 },
        );
        const totals: Counts = { both: 0, webhookOnly: 0, pollOnly: 0, pending: 0 };
        for (const d of days) {
          totals.both += d.both;
          totals.webhookOnly += d.webhookOnly;
          totals.pollOnly += d.pollOnly;
          totals.pending += d.pending;
        }
        const page = await this.sightings.missedPage(sql, { ...range, limit: q.limit, after: q.after });
        const orphans = await this.orphans.states(sql, q.source);
        return {
          source: q.source,
          startDate,
          endDate,
          tz: q.tz,
          graceS,
          totals,
          days,
          missedWebhooks: page.items,
          orphans,
          next: page.next,
        };
      },
      { isolation: 'repeatable read', readOnly: true },
    );
  }

  /**
   * Objects created in the last `windowS` that a poll found and no webhook brought within the
   * grace window (one source, or all). The window keeps a first backfill of old history from
   * counting as today's missed webhooks for more than a day.
   */
  async missedWebhookCount(opts: { source?: Source; windowS?: number } = {}, now = new Date()): Promise<number> {
    const counts = await this.missedWebhookCounts(opts.windowS, now);
    return opts.source ? counts[opts.source] : SOURCES.reduce((n, s) => n + counts[s], 0);
  }

  async missedWebhookCounts(windowS = MISSED_WEBHOOK_WINDOW_S, now = new Date()): Promise<Record<Source, number>> {
    const bySource = await this.sightings.missedCounts(this.db, {
      since: new Date(now.getTime() - windowS * 1000),
      graceS: this.graceS,
      now,
    });
    return {
      stripe: bySource.get('stripe') ?? 0,
      hubspot: bySource.get('hubspot') ?? 0,
      gcal: bySource.get('gcal') ?? 0,
    };
  }

  /**
   * The sources with missed webhooks and how many (alerts' `missed_webhooks` probe: a source left
   * out has none), over the same window as the gauge.
   */
  async missedWebhooks(now = new Date()): Promise<{ source: Source; count: number }[]> {
    const counts = await this.missedWebhookCounts(MISSED_WEBHOOK_WINDOW_S, now);
    return SOURCES.filter((s) => counts[s] > 0).map((source) => ({ source, count: counts[source] }));
  }

  /** Children the reconciler gave up on (still unlinked), oldest first, for alerts and the report. */
  async givenUpOrphans(limit = 50): Promise<{ count: number; orphans: GivenUpOrphan[] }> {
    return this.orphans.givenUp(limit);
  }

  /** Sets the `buffalo_missed_webhooks{source}` gauge (a scrape collector). */
  async collectMissedWebhooks(): Promise<Record<Source, number>> {
    // Stale figures are worse than none: if the database does not answer, the series go absent.
    this.metrics.resetGauge(MISSED_WEBHOOKS_METRIC);
    const counts = await this.missedWebhookCounts();
    for (const source of SOURCES) this.metrics.setGauge(MISSED_WEBHOOKS_METRIC, { source }, counts[source]);
    return counts;
  }
}
