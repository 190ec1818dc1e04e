import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { calendarDate, instant, integer, oneOf, strictObject, text, whenValid } from '../common/request.validation.js';
import { REVENUE_SOURCES } from '../records/record.types.js';
import { traceCursor } from './revenue-trace.cursor.js';

/** Request and response shapes of the revenue routes (CONTRACT "Revenue"): validation, types and OpenAPI. */

/** About ten years of days. Applies to summary, daily and weekly alike, so any query one accepts the others accept. */
export const MAX_RANGE_DAYS = 3700;
/** Rows per trace page. */
export const MAX_TRACE_LIMIT = 1000;
/** v1 instant windows. */
export const MAX_V1_DAYS = 366;
export const GRANULARITIES = ['day', 'week', 'month'] as const;

/** ISO 4217 codes in current use, as Node's ICU knows them. */
const ISO_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

const absentAsNull = <T extends z.ZodType>(schema: T) => schema.optional().transform((v) => v ?? null);

/**
 * The revenue queries of a deployment. `currency` defaults to its REPORTING_CURRENCY; `tz` is
 * checked here for its form only: RevenueQueryPipe asks Postgres which zones exist.
 */
export function revenueQueries(reportingCurrency: string) {
  const common = {
    source: absentAsNull(oneOf(REVENUE_SOURCES)).meta({
      description: 'One vendor; omit for the plain sum of both (echoed as null).',
    }),
    currency: text({ max: 3, pattern: /^[A-Za-z]{3}$/, hint: 'must be a three-letter ISO 4217 code such as USD' })
      .transform((s) => s.toUpperCase())
      .refine((code) => ISO_CURRENCIES.has(code), {
        error: (iss) => `currency ${String(iss.input)} is not an ISO 4217 currency code.`,
      })
      .default(reportingCurrency)
      .meta({
        description: 'ISO 4217 code, case-insensitive, answered in upper case. Default REPORTING_CURRENCY (USD).',
        example: 'USD',
      }),
    tz: text({ max: 64 }).default('UTC').meta({
      description:
        "IANA zone known to the server's PostgreSQL (pg_timezone_names), case-insensitive, answered in its spelling; default UTC. POSIX offsets such as UTC+3 are refused.",
      example: 'America/New_York',
    }),
  };
  const window = {
    from: instant().meta({
      description: 'Window start (inclusive), ISO 8601 with Z or an offset.',
      example: '2026-06-01T00:00:00Z',
    }),
    to: instant().meta({
      description: `Window end (exclusive), later than from, at most ${MAX_V1_DAYS} days after it.`,
      example: '2026-07-01T00:00:00Z',
    }),
    ...common,
  };
  const toAfterFrom = { path: ['to'], error: 'to must be later than from.', when: whenValid('from', 'to') };
  const days = {
    startDate: absentAsNull(calendarDate()).meta({
      description: 'First day, YYYY-MM-DD, inclusive (a real calendar date).',
      example: '2026-06-15',
    }),
    endDate: absentAsNull(calendarDate()).meta({
      description: 'Last day, YYYY-MM-DD, inclusive; not before startDate.',
      example: '2026-06-18',
    }),
    ...common,
  };
  const endNotBeforeStart = (q: { startDate: string | null; endDate: string | null }) =>
    !(q.startDate && q.endDate && q.endDate < q.startDate);
  const endNotBeforeStartIssue = () => ({
    path: ['endDate'],
    error: 'endDate must be on or after startDate.',
    when: whenValid('startDate', 'endDate'),
  });
  return {
    range: strictObject(days, 'query').refine(endNotBeforeStart, endNotBeforeStartIssue()),
    collected: strictObject(window, 'query').refine((q) => q.to.getTime() > q.from.getTime(), toAfterFrom),
    breakdown: strictObject(
      {
        granularity: oneOf(GRANULARITIES).default('day').meta({ description: 'Bucket size; default day.' }),
        ...window,
      },
      'query',
    ).refine((q) => q.to.getTime() > q.from.getTime(), toAfterFrom),
    trace: strictObject(
      {
        ...days,
        limit: integer({ min: 1, max: MAX_TRACE_LIMIT, def: 100 }),
        cursor: traceCursor()
          .optional()
          .transform((c) => c ?? null)
          .meta({ description: 'nextCursor of the previous page, unchanged; omit for the first page.' }),
      },
      'query',
    ).refine(endNotBeforeStart, endNotBeforeStartIssue()),
  };
}

export type RevenueQuerySchemas = ReturnType<typeof revenueQueries>;

/** What the DTOs document; at run time the pipe parses with the deployment's own default currency. */
const documented = revenueQueries('USD');

export class RangeQueryDto extends createZodDto(documented.range) {}
export class CollectedQueryDto extends createZodDto(documented.collected) {}
export class BreakdownQueryDto extends createZodDto(documented.breakdown) {}
export class TraceQueryDto extends createZodDto(documented.trace) {}
export class UnmappedQueryDto extends createZodDto(
  strictObject({ limit: integer({ min: 1, max: 500, def: 50 }) }, 'query'),
) {}

const cents = (description?: string) =>
  z.string().meta({ description: description ?? 'Integer cents as a decimal string' });

const figures = {
  amountCents: cents('Net (gross − refunds), integer cents'),
  grossCents: cents(),
  refundsCents: cents(),
  count: z.int(),
  refundCount: z.int(),
};

const summary = z.object({
  totalRevenueCents: cents('Net revenue, integer cents as a string (may be negative)'),
  grossCents: cents('Collected charges and won deals'),
  refundsCents: cents('Succeeded refunds and lost disputes'),
  currency: z.string(),
  count: z.int().meta({ description: 'Collected charges and won deals' }),
  refundCount: z.int(),
  startDate: z.string().nullable().meta({ format: 'date' }),
  endDate: z.string().nullable().meta({ format: 'date' }),
  source: z.enum(REVENUE_SOURCES).nullable(),
  tz: z.string(),
  currencies: z
    .array(z.string())
    .meta({ description: 'Every currency with counted rows for this source within the dates, alphabetically' }),
});

const summaryExample = {
  totalRevenueCents: '82800',
  grossCents: '91800',
  refundsCents: '9000',
  currency: 'USD',
  count: 9,
  refundCount: 1,
  startDate: '2026-06-15',
  endDate: '2026-06-18',
  source: null,
  tz: 'UTC',
  currencies: ['EUR', 'USD'],
};

export const Summary = summary.meta({ example: summaryExample });

export const Daily = summary
  .extend({ breakdown: z.array(z.object({ date: z.string().meta({ format: 'date' }), ...figures })) })
  .meta({
    example: {
      ...summaryExample,
      breakdown: [
        { date: '2026-06-15', amountCents: '54900', grossCents: '54900', refundsCents: '0', count: 2, refundCount: 0 },
        { date: '2026-06-16', amountCents: '900', grossCents: '9900', refundsCents: '9000', count: 1, refundCount: 1 },
        { date: '2026-06-17', amountCents: '27000', grossCents: '27000', refundsCents: '0', count: 6, refundCount: 0 },
        { date: '2026-06-18', amountCents: '0', grossCents: '0', refundsCents: '0', count: 0, refundCount: 0 },
      ],
    },
  });

export const Weekly = summary
  .extend({
    breakdown: z.array(
      z.object({ weekStartDate: z.string().meta({ format: 'date', description: 'A Monday' }), ...figures }),
    ),
  })
  .meta({
    example: {
      ...summaryExample,
      startDate: '2026-06-17',
      endDate: '2026-06-23',
      breakdown: [
        {
          weekStartDate: '2026-06-15',
          amountCents: '54900',
          grossCents: '63900',
          refundsCents: '9000',
          count: 3,
          refundCount: 1,
        },
        {
          weekStartDate: '2026-06-22',
          amountCents: '27900',
          grossCents: '27900',
          refundsCents: '0',
          count: 6,
          refundCount: 0,
        },
      ],
    },
  });

export const Collected = z
  .object({
    totalCollectedCents: cents('Net collected revenue (the same figure as totalRevenueCents)'),
    txnCount: z.int(),
    from: z.string().meta({ format: 'date-time' }),
    to: z.string().meta({ format: 'date-time' }),
    source: z.enum(REVENUE_SOURCES).nullable(),
    currency: z.string(),
  })
  .meta({
    example: {
      totalCollectedCents: '82800',
      txnCount: 9,
      from: '2026-06-01T00:00:00.000Z',
      to: '2026-07-01T00:00:00.000Z',
      source: null,
      currency: 'USD',
    },
  });

export const Breakdown = z
  .object({
    granularity: z.enum(GRANULARITIES),
    from: z.string().meta({ format: 'date-time' }),
    to: z.string().meta({ format: 'date-time' }),
    source: z.enum(REVENUE_SOURCES).nullable(),
    currency: z.string(),
    tz: z.string(),
    buckets: z.array(
      z.object({
        bucketStart: z
          .string()
          .meta({ format: 'date-time', description: 'Zone-local start of the bucket, as a UTC instant' }),
        collectedCents: cents(),
        txnCount: z.int(),
      }),
    ),
    totalCollectedCents: cents(),
    totalTxnCount: z.int(),
  })
  .meta({
    example: {
      granularity: 'week',
      from: '2026-06-01T00:00:00.000Z',
      to: '2026-06-15T00:00:00.000Z',
      source: 'stripe',
      currency: 'USD',
      tz: 'UTC',
      buckets: [
        { bucketStart: '2026-06-01T00:00:00.000Z', collectedCents: '54900', txnCount: 3 },
        { bucketStart: '2026-06-08T00:00:00.000Z', collectedCents: '27900', txnCount: 6 },
      ],
      totalCollectedCents: '82800',
      totalTxnCount: 9,
    },
  });

export const Unmapped = z
  .object({
    count: z.int().meta({ description: 'Distinct (source, rawStatus) pairs' }),
    statuses: z.array(
      z.object({
        source: z.string(),
        rawStatus: z.string(),
        count: z.int().meta({ description: 'Ledger rows that carry this raw status' }),
        sample: z.string().meta({ description: 'One external id with it' }),
      }),
    ),
  })
  .meta({
    example: {
      count: 2,
      statuses: [
        { source: 'stripe', rawStatus: 'requires_action', count: 3, sample: 'ch_3Pq…' },
        { source: 'hubspot', rawStatus: 'negotiation', count: 1, sample: '18234' },
      ],
    },
  });

export class SummaryDto extends createZodDto(Summary) {}
export class DailyDto extends createZodDto(Daily) {}
export class WeeklyDto extends createZodDto(Weekly) {}
export class CollectedDto extends createZodDto(Collected) {}
export class BreakdownDto extends createZodDto(Breakdown) {}
export class UnmappedDto extends createZodDto(Unmapped) {}
