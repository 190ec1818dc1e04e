import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app.config.js';
import { Errors } from '../common/app.errors.js';
import { Validator } from '../common/request.validation.js';
import { REVENUE_SOURCES, type RevenueSource } from '../records/record.types.js';
import { daysInclusive } from './revenue.calendar.js';
import type { Granularity } from '../records/ledger-figures.repository.js';
import { TimeZoneCatalog } from './time-zone.catalog.js';

/**
 * Turns revenue query strings into typed queries, or one 400 listing every bad field.
 * Nothing here touches the ledger; the zone check reads the cached Postgres zone list.
 */
export interface RevenueQuery {
  /** null = from the first day with data. */
  startDate: string | null;
  /** null = to the last day with data. */
  endDate: string | null;
  source: RevenueSource | null;
  currency: string;
  tz: string;
}

export interface CollectedQuery {
  from: Date;
  to: Date;
  source: RevenueSource | null;
  currency: string;
  tz: string;
}

export interface BreakdownQuery extends CollectedQuery {
  granularity: Granularity;
}

/** About ten years of days. Applies to summary, daily and weekly alike, so any query one accepts the others accept. */
export const MAX_RANGE_DAYS = 3700;
/** v1 instant windows. */
export const MAX_V1_DAYS = 366;
export const GRANULARITIES: readonly Granularity[] = ['day', 'week', 'month'];

export function rangeTooLarge(days: number, maxDays: number, hint: string): Error {
  return Errors.badRequest('date_range_too_large', `The range spans ${days} days; at most ${maxDays} are allowed. ${hint}`, { maxDays, days });
}

/** ISO 4217 codes in current use, as Node's ICU knows them. */
const ISO_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

const RANGE_PARAMS = ['startDate', 'endDate', 'source', 'currency', 'tz'];
const COLLECTED_PARAMS = ['from', 'to', 'source', 'currency', 'tz'];
const BREAKDOWN_PARAMS = [...COLLECTED_PARAMS, 'granularity'];

@Injectable()
export class RevenueQueryParser {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly zones: TimeZoneCatalog,
  ) {}

  async range(query: Record<string, unknown>): Promise<RevenueQuery> {
    const v = new Validator('query', query);
    v.onlyKnown(RANGE_PARAMS);
    const startDate = v.date('startDate') ?? null;
    const endDate = v.date('endDate') ?? null;
    const source = v.oneOf('source', REVENUE_SOURCES) ?? null;
    const currency = this.currency(v);
    const tz = await this.zone(v);
    if (startDate && endDate && endDate < startDate) v.fail('endDate', 'endDate must be on or after startDate.');
    v.done();
    if (startDate && endDate) {
      const days = daysInclusive(startDate, endDate);
      if (days > MAX_RANGE_DAYS) throw rangeTooLarge(days, MAX_RANGE_DAYS, 'Split the request into smaller ranges.');
    }
    return { startDate, endDate, source, currency: currency!, tz: tz! };
  }

  async collected(query: Record<string, unknown>): Promise<CollectedQuery> {
    const v = new Validator('query', query);
    v.onlyKnown(COLLECTED_PARAMS);
    return this.instantWindow(v);
  }

  async breakdown(query: Record<string, unknown>): Promise<BreakdownQuery> {
    const v = new Validator('query', query);
    v.onlyKnown(BREAKDOWN_PARAMS);
    const granularity = v.oneOf('granularity', GRANULARITIES);
    const window = await this.instantWindow(v);
    return { ...window, granularity: granularity ?? 'day' };
  }

  unmappedLimit(query: Record<string, unknown>): number {
    const v = new Validator('query', query);
    v.onlyKnown(['limit']);
    const limit = v.int('limit', { min: 1, max: 500, def: 50 });
    v.done();
    return limit!;
  }

  private async instantWindow(v: Validator): Promise<CollectedQuery> {
    const from = v.instant('from', { required: true });
    const to = v.instant('to', { required: true });
    const source = v.oneOf('source', REVENUE_SOURCES) ?? null;
    const currency = this.currency(v);
    const tz = await this.zone(v);
    if (from && to && to.getTime() <= from.getTime()) v.fail('to', 'to must be later than from.');
    v.done();
    const spanMs = to!.getTime() - from!.getTime();
    if (spanMs > MAX_V1_DAYS * 86_400_000) throw rangeTooLarge(Math.ceil(spanMs / 86_400_000), MAX_V1_DAYS, 'Split the request into windows of at most 366 days.');
    return { from: from!, to: to!, source, currency: currency!, tz: tz! };
  }

  /** Case-insensitive ISO 4217, answered in upper case; default REPORTING_CURRENCY. */
  private currency(v: Validator): string | undefined {
    const raw = v.string('currency', { max: 3, pattern: /^[A-Za-z]{3}$/, patternHint: 'must be a three-letter ISO 4217 code such as USD' });
    if (raw === undefined) return v.issues.some((i) => i.field === 'currency') ? undefined : this.config.reportingCurrency;
    const code = raw.toUpperCase();
    if (!ISO_CURRENCIES.has(code)) return v.fail('currency', `currency ${code} is not an ISO 4217 currency code.`);
    return code;
  }

  private async zone(v: Validator): Promise<string | undefined> {
    const raw = v.string('tz', { max: 64 });
    if (raw === undefined) return v.issues.some((i) => i.field === 'tz') ? undefined : 'UTC';
    const name = await this.zones.canonical(raw);
    if (name === null) return v.fail('tz', `tz must be an IANA time zone name such as Europe/Paris (got "${raw}").`);
    return name;
  }
}

