import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiInternalServerErrorResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiServiceUnavailableResponse,
} from '@nestjs/swagger';
import { MAX_RANGE_DAYS, MAX_V1_DAYS } from './revenue.query.js';

/** Swagger documentation of the revenue routes, kept out of the controller so it stays readable. */

const ERROR_REF = { $ref: '#/components/schemas/Error' };
const RID = '6f1d2c9e-1b1a-4c55-9d5e-3a2b1c0d9e8f';

const SEMANTICS =
  'Figures are for one currency and come from the payments ledger: `grossCents` = collected charges and won deals ' +
  '(captured money only) by the day they happened; `refundsCents` = succeeded refunds and lost disputes by the day they ' +
  'were posted; `totalRevenueCents` = gross − refunds (net). `count` counts collected charges/deals, `refundCount` refunds. ' +
  'Raw vendor statuses that map to UNKNOWN, failed/pending/uncaptured charges and deleted (archived) records count nowhere. ' +
  'Without `source` the figures are a plain sum across Stripe and HubSpot (no de-duplication between vendors), and ' +
  '`source` is echoed as null. Days and Monday-start weeks are cut in `tz`; `startDate`/`endDate` are inclusive whole days. ' +
  'Without dates the range runs from the first to the last day that has data (in `tz`, for this currency and source); with ' +
  'no such data the totals are zero, the breakdown is empty and the missing dates are null. A missing bound is taken from ' +
  'the data the same way. Every response is one database snapshot; buckets add up exactly to the totals and summary, daily ' +
  `and weekly agree, otherwise the answer is 500 metric_drift. Ranges over ${MAX_RANGE_DAYS} days are refused on all three ` +
  'endpoints alike (400 date_range_too_large), so a query one of them accepts the others accept too. `currencies` lists every ' +
  'currency with counted rows for this source within the requested dates (a missing date is open), alphabetically. ' +
  'Unknown query parameters are refused; an empty parameter counts as absent.';

const rangeQueries = () =>
  applyDecorators(
    ApiQuery({ name: 'startDate', type: String, required: false, description: 'First day, YYYY-MM-DD, inclusive (a real calendar date).', example: '2026-06-15' }),
    ApiQuery({ name: 'endDate', type: String, required: false, description: 'Last day, YYYY-MM-DD, inclusive; not before startDate.', example: '2026-06-18' }),
    ApiQuery({ name: 'source', required: false, enum: ['stripe', 'hubspot'], description: 'One vendor; omit for the plain sum of both.' }),
    ApiQuery({
      name: 'currency',
      type: String,
      required: false,
      description: 'ISO 4217 code, case-insensitive, answered in upper case. Default REPORTING_CURRENCY (USD).',
      example: 'USD',
    }),
    ApiQuery({
      name: 'tz',
      type: String,
      required: false,
      description:
        "IANA zone known to the server's PostgreSQL (pg_timezone_names), case-insensitive; default UTC. POSIX offsets such as UTC+3 are refused.",
      example: 'America/New_York',
    }),
  );

const v1Queries = () =>
  applyDecorators(
    ApiQuery({ name: 'from', type: String, required: true, description: 'Window start (inclusive), ISO 8601 with Z or an offset.', example: '2026-06-01T00:00:00Z' }),
    ApiQuery({ name: 'to', type: String, required: true, description: `Window end (exclusive), later than from, at most ${MAX_V1_DAYS} days after it.`, example: '2026-07-01T00:00:00Z' }),
    ApiQuery({ name: 'source', required: false, enum: ['stripe', 'hubspot'], description: 'One vendor; omit for the plain sum of both.' }),
    ApiQuery({ name: 'currency', type: String, required: false, description: 'Added in v2: ISO 4217, default REPORTING_CURRENCY (USD). v1 had no currency parameter.', example: 'USD' }),
  );

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

const figureProps = {
  amountCents: { type: 'string', description: 'Net (gross − refunds), integer cents', example: '54900' },
  grossCents: { type: 'string', example: '54900' },
  refundsCents: { type: 'string', example: '0' },
  count: { type: 'integer', example: 2 },
  refundCount: { type: 'integer', example: 0 },
};

const summaryProps = {
  totalRevenueCents: { type: 'string', description: 'Net revenue, integer cents as a string (may be negative)' },
  grossCents: { type: 'string' },
  refundsCents: { type: 'string' },
  currency: { type: 'string', example: 'USD' },
  count: { type: 'integer' },
  refundCount: { type: 'integer' },
  startDate: { type: 'string', nullable: true, format: 'date' },
  endDate: { type: 'string', nullable: true, format: 'date' },
  source: { type: 'string', nullable: true, enum: ['stripe', 'hubspot'] },
  tz: { type: 'string' },
  currencies: { type: 'array', items: { type: 'string' } },
};

const badRequest = (extra: Record<string, { summary: string; value: unknown }>) =>
  ApiBadRequestResponse({
    description: 'Invalid parameters, or a range that is too large',
    content: {
      'application/json': {
        schema: ERROR_REF,
        examples: {
          invalidDate: {
            summary: 'Not a calendar date',
            value: {
              error: 'validation_failed',
              message: 'startDate must be a real calendar date in YYYY-MM-DD format.',
              requestId: RID,
              issues: [{ in: 'query', field: 'startDate', message: 'startDate must be a real calendar date in YYYY-MM-DD format.' }],
            },
          },
          ...extra,
        },
      },
    },
  });

const rangeErrors = () =>
  badRequest({
    endBeforeStart: {
      summary: 'endDate before startDate',
      value: {
        error: 'validation_failed',
        message: 'endDate must be on or after startDate.',
        requestId: RID,
        issues: [{ in: 'query', field: 'endDate', message: 'endDate must be on or after startDate.' }],
      },
    },
    unknownZone: {
      summary: 'Unknown zone, currency and source at once',
      value: {
        error: 'validation_failed',
        message: '3 request fields are invalid.',
        requestId: RID,
        issues: [
          { in: 'query', field: 'source', message: 'source must be one of stripe, hubspot.' },
          { in: 'query', field: 'currency', message: 'currency ABC is not an ISO 4217 currency code.' },
          { in: 'query', field: 'tz', message: 'tz must be an IANA time zone name such as Europe/Paris (got "UTC+3").' },
        ],
      },
    },
    tooLarge: {
      summary: `More than ${MAX_RANGE_DAYS} days`,
      value: {
        error: 'date_range_too_large',
        message: `The range spans 3701 days; at most ${MAX_RANGE_DAYS} are allowed. Split the request into smaller ranges.`,
        requestId: RID,
        maxDays: MAX_RANGE_DAYS,
        days: 3701,
      },
    },
  });

const v1Errors = () =>
  badRequest({
    missingOffset: {
      summary: 'Timestamp without an offset',
      value: {
        error: 'validation_failed',
        message: 'from must be an ISO 8601 timestamp with an offset, e.g. 2026-06-01T00:00:00Z.',
        requestId: RID,
        issues: [{ in: 'query', field: 'from', message: 'from must be an ISO 8601 timestamp with an offset, e.g. 2026-06-01T00:00:00Z.' }],
      },
    },
    toNotAfterFrom: {
      summary: 'to not after from',
      value: { error: 'validation_failed', message: 'to must be later than from.', requestId: RID, issues: [{ in: 'query', field: 'to', message: 'to must be later than from.' }] },
    },
    tooLarge: {
      summary: `More than ${MAX_V1_DAYS} days`,
      value: {
        error: 'date_range_too_large',
        message: `The range spans 400 days; at most ${MAX_V1_DAYS} are allowed. Split the request into windows of at most 366 days.`,
        requestId: RID,
        maxDays: MAX_V1_DAYS,
        days: 400,
      },
    },
  });

const drift = () =>
  ApiInternalServerErrorResponse({
    description: 'The buckets did not add up to the independent total (never expected; logged with the requestId)',
    content: {
      'application/json': {
        schema: ERROR_REF,
        example: {
          error: 'metric_drift',
          message: 'The revenue figures failed their consistency check, so none were returned; the incident is logged under this requestId.',
          requestId: RID,
          errorId: '0b7c6d2e-4f1a-4e8b-9c3d-2a1b0c9d8e7f',
        },
      },
    },
  });

const dbDown = () =>
  ApiServiceUnavailableResponse({
    description: 'PostgreSQL is unavailable (header Retry-After: 5)',
    content: { 'application/json': { schema: ERROR_REF, example: { error: 'database_unavailable', message: 'The database is unavailable; retry later.', requestId: RID } } },
  });

export const SummaryDocs = () =>
  applyDecorators(
    ApiOperation({ summary: 'Revenue totals for a range (net, gross, refunds, counts)', description: SEMANTICS }),
    rangeQueries(),
    ApiOkResponse({ description: 'Totals for the range', schema: { type: 'object', properties: summaryProps, example: summaryExample } }),
    rangeErrors(),
    drift(),
    dbDown(),
  );

export const DailyDocs = () =>
  applyDecorators(
    ApiOperation({ summary: 'Revenue per day: the summary fields plus a dense, ascending day breakdown', description: SEMANTICS }),
    rangeQueries(),
    ApiOkResponse({
      description: 'Totals plus one bucket per day, dense and ascending',
      schema: {
        type: 'object',
        properties: { ...summaryProps, breakdown: { type: 'array', items: { type: 'object', properties: { date: { type: 'string', format: 'date' }, ...figureProps } } } },
        example: {
          ...summaryExample,
          breakdown: [
            { date: '2026-06-15', amountCents: '54900', grossCents: '54900', refundsCents: '0', count: 2, refundCount: 0 },
            { date: '2026-06-16', amountCents: '900', grossCents: '9900', refundsCents: '9000', count: 1, refundCount: 1 },
            { date: '2026-06-17', amountCents: '27000', grossCents: '27000', refundsCents: '0', count: 6, refundCount: 0 },
            { date: '2026-06-18', amountCents: '0', grossCents: '0', refundsCents: '0', count: 0, refundCount: 0 },
          ],
        },
      },
    }),
    rangeErrors(),
    drift(),
    dbDown(),
  );

export const WeeklyDocs = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Revenue per Monday-start week: the summary fields plus a dense, ascending week breakdown',
      description:
        SEMANTICS +
        ' Weeks are clipped to the range: `weekStartDate` is always the Monday (so the first one may precede startDate), ' +
        'but a week only counts the days that lie inside startDate…endDate.',
    }),
    rangeQueries(),
    ApiOkResponse({
      description: 'Totals plus one bucket per Monday-start week, dense and ascending',
      schema: {
        type: 'object',
        properties: {
          ...summaryProps,
          breakdown: { type: 'array', items: { type: 'object', properties: { weekStartDate: { type: 'string', format: 'date', description: 'A Monday' }, ...figureProps } } },
        },
        example: {
          ...summaryExample,
          startDate: '2026-06-17',
          endDate: '2026-06-23',
          breakdown: [
            { weekStartDate: '2026-06-15', amountCents: '54900', grossCents: '63900', refundsCents: '9000', count: 3, refundCount: 1 },
            { weekStartDate: '2026-06-22', amountCents: '27900', grossCents: '27900', refundsCents: '0', count: 6, refundCount: 0 },
          ],
        },
      },
    }),
    rangeErrors(),
    drift(),
    dbDown(),
  );

export const CollectedDocs = () =>
  applyDecorators(
    ApiOperation({
      summary: 'v1: net collected revenue over a half-open window [from, to)',
      description:
        'Kept from Buffalo v1. `totalCollectedCents` is the same net figure as `totalRevenueCents` (collected charges and won ' +
        'deals minus refunds and lost disputes; v1 ignored refunds, which was a defect) and `txnCount` counts collected ' +
        'charges/deals. One currency (new optional `currency`, echoed); without `source` a plain sum across vendors. ' +
        `Windows over ${MAX_V1_DAYS} days → 400 date_range_too_large.`,
    }),
    v1Queries(),
    ApiOkResponse({
      description: 'Net collected revenue over the window',
      schema: {
        type: 'object',
        example: { totalCollectedCents: '82800', txnCount: 9, from: '2026-06-01T00:00:00.000Z', to: '2026-07-01T00:00:00.000Z', source: null, currency: 'USD' },
      },
    }),
    v1Errors(),
    dbDown(),
  );

export const BreakdownDocs = () =>
  applyDecorators(
    ApiOperation({
      summary: 'v1: net collected revenue per day, Monday week or month over [from, to)',
      description:
        'Kept from Buffalo v1, computed by the same service and snapshot as the other revenue endpoints. Buckets are dense and ' +
        'ascending and cut in `tz` (new, optional, default UTC); `bucketStart` is the zone-local start of the bucket as a UTC ' +
        'instant, so the first bucket may start before `from` while only counting rows from `from` on. Buckets add up exactly ' +
        `to totalCollectedCents/totalTxnCount (else 500 metric_drift). Windows over ${MAX_V1_DAYS} days → 400 date_range_too_large.`,
    }),
    ApiQuery({ name: 'granularity', required: false, enum: ['day', 'week', 'month'], description: 'Bucket size; default day.' }),
    v1Queries(),
    ApiQuery({ name: 'tz', type: String, required: false, description: 'Added in v2: IANA zone that cuts the buckets; default UTC.', example: 'UTC' }),
    ApiOkResponse({
      description: 'Dense, ascending buckets that add up to the totals',
      schema: {
        type: 'object',
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
      },
    }),
    v1Errors(),
    drift(),
    dbDown(),
  );

export const UnmappedDocs = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Raw vendor statuses that mapped to UNKNOWN and so count nowhere',
      description:
        '`count` is the number of distinct (source, rawStatus) pairs; `statuses` holds the `limit` most frequent ' +
        '(ties by source, rawStatus) with how many ledger rows carry each and one sample external id.',
    }),
    ApiQuery({ name: 'limit', type: Number, required: false, description: '1..500, default 50', example: 50 }),
    ApiOkResponse({
      description: 'Unmapped statuses, most frequent first',
      schema: {
        type: 'object',
        example: { count: 2, statuses: [{ source: 'stripe', rawStatus: 'requires_action', count: 3, sample: 'ch_3Pq…' }, { source: 'hubspot', rawStatus: 'negotiation', count: 1, sample: '18234' }] },
      },
    }),
    ApiBadRequestResponse({
      content: {
        'application/json': {
          schema: ERROR_REF,
          example: { error: 'validation_failed', message: 'limit must be between 1 and 500.', requestId: RID, issues: [{ in: 'query', field: 'limit', message: 'limit must be between 1 and 500.' }] },
        },
      },
    }),
    dbDown(),
  );
