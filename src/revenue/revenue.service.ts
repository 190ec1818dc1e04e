import { Injectable, Optional } from '@nestjs/common';
import { AppError } from '../common/app.errors.js';
import { logger } from '../common/app.logger.js';
import { HttpMetrics } from '../common/http.metrics.js';
import { Database, type Sql } from '../database/database.sql.js';
import { addDays, daysInclusive } from './revenue.calendar.js';
import {
  assertAgree,
  denseByKey,
  denseDays,
  MetricDrift,
  netCents,
  rollupWeeks,
  sumFigures,
  ZERO,
} from './revenue.buckets.js';
import {
  MAX_RANGE_DAYS,
  rangeTooLarge,
  type BreakdownQuery,
  type CollectedQuery,
  type RevenueQuery,
} from './revenue.query.js';
import { LedgerFiguresRepository, type UnmappedStatus } from '../records/ledger-figures.repository.js';
import type { BreakdownJson, CollectedJson, RevenueReport } from './revenue.view.js';
import { HubspotPipelinesService } from '../connectors/hubspot/hubspot-pipelines.service.js';

/**
 * The one implementation of the revenue figures. Each request reads one snapshot (a read-only
 * REPEATABLE READ transaction), so a webhook committed mid-request cannot make the buckets and
 * the totals describe different ledgers. Buckets are then checked against an independent SQL
 * total; summary, daily and weekly are all cut from the same verified report. Any disagreement
 * is logged and answered with 500 metric_drift: wrong numbers are never returned.
 */
@Injectable()
export class RevenueService {
  constructor(
    private readonly db: Database,
    private readonly repo: LedgerFiguresRepository,
    /** Which HubSpot deal stage ids its pipelines or HUBSPOT_STAGE_MAP explain (absent in tests that only need figures). */
    @Optional() private readonly hubspotStages?: HubspotPipelinesService,
    @Optional() private readonly metrics?: HttpMetrics,
  ) {}

  /** Summary, daily and weekly all render this report. */
  async report(q: RevenueQuery): Promise<RevenueReport> {
    return this.verified(() => this.snapshot('report', (sql) => this.build(sql, q)));
  }

  /** v1 `GET /metrics/revenue`: net collected over [from, to). */
  async collected(q: CollectedQuery): Promise<CollectedJson> {
    const totals = await this.verified(() =>
      this.snapshot('collected', async (sql) => {
        await this.refuseOnDrift(sql);
        return this.repo.totals(sql, instants(q));
      }),
    );
    return {
      totalCollectedCents: netCents(totals).toString(),
      txnCount: totals.count,
      from: q.from.toISOString(),
      to: q.to.toISOString(),
      source: q.source,
      currency: q.currency,
    };
  }

  /** v1 `GET /metrics/revenue/breakdown`: dense day/week/month buckets over [from, to). */
  async breakdown(q: BreakdownQuery): Promise<BreakdownJson> {
    return this.verified(() =>
      this.snapshot('breakdown', async (sql) => {
        await this.refuseOnDrift(sql);
        const w = instants(q);
        const keys = await this.repo.bucketKeys(sql, w);
        const rows = await this.repo.bucketFigures(sql, w);
        const totals = await this.repo.totals(sql, w);
        const buckets = denseByKey(
          keys.map((k) => k.key),
          rows,
        );
        assertAgree('breakdown buckets vs SQL total', totals, sumFigures(buckets));
        return {
          granularity: q.granularity,
          from: q.from.toISOString(),
          to: q.to.toISOString(),
          source: q.source,
          currency: q.currency,
          tz: q.tz,
          buckets: buckets.map((b, i) => ({
            bucketStart: keys[i].startAt,
            collectedCents: netCents(b).toString(),
            txnCount: b.count,
          })),
          totalCollectedCents: netCents(totals).toString(),
          totalTxnCount: totals.count,
        };
      }),
    );
  }

  /**
   * Raw statuses nothing explains. A HubSpot deal can be UNKNOWN while its stage is explained
   * (written before the pipelines were read and not re-derivable: see HubspotPipelinesService);
   * such a stage id is not "unmapped" and is not listed.
   */
  async unmappedStatuses(limit: number): Promise<{ count: number; statuses: UnmappedStatus[] }> {
    const explained = this.hubspotStages ? (await this.hubspotStages.current()).knownStageIds() : [];
    const { total, statuses } = await this.repo.unmappedStatuses(this.db, limit, explained);
    return { count: total, statuses };
  }

  private async build(sql: Sql, q: RevenueQuery): Promise<RevenueReport> {
    await this.refuseOnDrift(sql);
    const base = { currency: q.currency, source: q.source, tz: q.tz };
    const asked = await this.window(sql, q.tz, q.startDate, q.endDate);
    const currencies = await this.repo.currencies(sql, { source: q.source, ...asked });
    let startDate = q.startDate;
    let endDate = q.endDate;
    if (startDate === null || endDate === null) {
      const extent = await this.repo.dataExtent(sql, base);
      startDate ??= extent?.firstDay ?? null;
      endDate ??= extent?.lastDay ?? null;
    }
    // No data for an open end (or the given end lies beyond all data): nothing to bucket.
    if (startDate === null || endDate === null || endDate < startDate) {
      return {
        ...base,
        totals: { ...ZERO },
        days: [],
        weeks: [],
        startDate: q.startDate,
        endDate: q.endDate,
        currencies,
      };
    }
    const days = daysInclusive(startDate, endDate);
    if (days > MAX_RANGE_DAYS)
      throw rangeTooLarge(days, MAX_RANGE_DAYS, 'The data spans more than that; pass startDate and endDate.');

    const bounds =
      startDate === q.startDate && endDate === q.endDate ? asked : await this.window(sql, q.tz, startDate, endDate);
    const window = { ...base, from: bounds.from!, to: bounds.to! };
    const dayRows = (await this.repo.dailyFigures(sql, { ...window, firstDay: startDate, lastDay: endDate })).map(
      ({ dayIndex, ...f }) => ({
        date: addDays(startDate, dayIndex),
        ...f,
      }),
    );
    const totals = await this.repo.totals(sql, window);
    const dense = denseDays(startDate, endDate, dayRows);
    const weeks = rollupWeeks(dense);
    assertAgree('daily buckets vs SQL total', totals, sumFigures(dense));
    assertAgree('weekly buckets vs SQL total', totals, sumFigures(weeks));
    return { ...base, totals, days: dense, weeks, startDate, endDate, currencies };
  }

  /** Instants for local days startDate…endDate: [midnight(start), midnight(end + 1)); null ends stay open. */
  private async window(
    sql: Sql,
    tz: string,
    startDate: string | null,
    endDate: string | null,
  ): Promise<{ from: string | null; to: string | null }> {
    const days = [startDate, endDate === null ? null : addDays(endDate, 1)];
    const wanted = days.filter((d): d is string => d !== null);
    if (wanted.length === 0) return { from: null, to: null };
    const found = await this.repo.localMidnights(sql, tz, wanted);
    return { from: startDate === null ? null : found[0], to: endDate === null ? null : found[found.length - 1] };
  }

  /** The verifier found rollups that disagree with the ledger: no figure from them can be trusted. */
  private async refuseOnDrift(sql: Sql): Promise<void> {
    if (await this.repo.driftOpen(sql))
      throw new MetricDrift('rollups vs ledger (revenue verifier)', { finding: 'open' });
  }

  private async snapshot<T>(query: string, fn: (sql: Sql) => Promise<T>): Promise<T> {
    const done = this.metrics?.startTimer('buffalo_revenue_query_duration_seconds', { query });
    try {
      return await this.db.tx(fn, { isolation: 'repeatable read', readOnly: true });
    } finally {
      done?.();
    }
  }

  private async verified<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof MetricDrift)) throw err;
      logger.error('metric drift: revenue figures disagree, refusing to answer', {
        check: err.check,
        details: err.details,
      });
      throw new AppError(
        500,
        'metric_drift',
        'The revenue figures failed their consistency check, so none were returned; the incident is logged under this requestId.',
      );
    }
  }
}

function instants<T extends { from: Date; to: Date }>(q: T): Omit<T, 'from' | 'to'> & { from: string; to: string } {
  return { ...q, from: q.from.toISOString(), to: q.to.toISOString() };
}
