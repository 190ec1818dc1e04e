import { type ArgumentMetadata, Inject, Injectable, type PipeTransform } from '@nestjs/common';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '../config/app.config.js';
import { AppError, Errors } from '../common/app.errors.js';
import { daysInclusive } from './revenue.calendar.js';
import {
  BreakdownQueryDto,
  CollectedQueryDto,
  MAX_RANGE_DAYS,
  MAX_V1_DAYS,
  RangeQueryDto,
  revenueQueries,
  TraceQueryDto,
  type RevenueQuerySchemas,
} from './revenue.schemas.js';
import { TimeZoneCatalog } from '../common/time-zone.catalog.js';

export { GRANULARITIES, MAX_RANGE_DAYS, MAX_V1_DAYS } from './revenue.schemas.js';

/** summary, daily, weekly. `startDate`/`endDate` null = from the first / to the last day with data. */
export type RevenueQuery = z.output<RevenueQuerySchemas['range']>;
/** v1 `GET /metrics/revenue`: the half-open window [from, to). */
export type CollectedQuery = z.output<RevenueQuerySchemas['collected']>;
export type BreakdownQuery = z.output<RevenueQuerySchemas['breakdown']>;
/** The trace: a revenue range plus a page (`limit`, decoded `cursor`). */
export type TraceQuery = z.output<RevenueQuerySchemas['trace']>;

type AnyQuery = RevenueQuery | CollectedQuery | BreakdownQuery | TraceQuery;

export function rangeTooLarge(days: number, maxDays: number, hint: string): AppError {
  return Errors.badRequest(
    'date_range_too_large',
    `The range spans ${days} days; at most ${maxDays} are allowed. ${hint}`,
    { maxDays, days },
  );
}

export const RANGE_HINT = 'Split the request into smaller ranges.';
export const V1_HINT = `Split the request into windows of at most ${MAX_V1_DAYS} days.`;

/**
 * Turns a revenue query string into a typed query, or one 400 listing every bad field: the DTO's
 * schema (with this deployment's default currency), plus the one check a schema cannot make
 * synchronously, whether Postgres knows the zone. Then the range limits (date_range_too_large).
 * Nothing here touches the ledger; the zone check reads the cached Postgres zone list.
 */
@Injectable()
export class RevenueQueryPipe implements PipeTransform {
  private readonly schemas: Map<unknown, z.ZodType<AnyQuery>>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly zones: TimeZoneCatalog,
  ) {
    const s = revenueQueries(config.reportingCurrency);
    this.schemas = new Map<unknown, z.ZodType<AnyQuery>>([
      [RangeQueryDto, s.range],
      [CollectedQueryDto, s.collected],
      [BreakdownQueryDto, s.breakdown],
      [TraceQueryDto, s.trace],
    ]);
  }

  async transform(value: unknown, { metatype }: ArgumentMetadata): Promise<AnyQuery> {
    const schema = this.schemas.get(metatype);
    if (!schema) throw new Error(`RevenueQueryPipe cannot parse ${metatype?.name ?? 'an untyped parameter'}`);
    const q = await this.zones.parseQuery(schema, value);
    if ('startDate' in q) {
      const days = q.startDate && q.endDate ? daysInclusive(q.startDate, q.endDate) : 0;
      if (days > MAX_RANGE_DAYS) throw rangeTooLarge(days, MAX_RANGE_DAYS, RANGE_HINT);
    } else {
      const spanMs = q.to.getTime() - q.from.getTime();
      if (spanMs > MAX_V1_DAYS * 86_400_000) throw rangeTooLarge(Math.ceil(spanMs / 86_400_000), MAX_V1_DAYS, V1_HINT);
    }
    return q;
  }
}
