import { applyDecorators, Controller, Get, Query, UseInterceptors } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodResponse, ZodSerializerInterceptor } from 'nestjs-zod';
import { ReadAuth } from '../common/auth.guard.js';
import { RequestValidationPipe, validationFailure } from '../common/request.validation.js';
import { ApiError, DATABASE_UNAVAILABLE, errorExample } from '../common/swagger.setup.js';
import { UNKNOWN_ZONE_EXAMPLE } from '../common/time-zone.catalog.js';
import { RANGE_HINT, rangeTooLarge, RevenueQueryPipe, V1_HINT } from './revenue.query.js';
import {
  BreakdownDto,
  BreakdownQueryDto,
  CollectedDto,
  CollectedQueryDto,
  DailyDto,
  MAX_RANGE_DAYS,
  MAX_V1_DAYS,
  RangeQueryDto,
  SummaryDto,
  UnmappedDto,
  UnmappedQueryDto,
  WeeklyDto,
} from './revenue.schemas.js';
import { RevenueService } from './revenue.service.js';
import { dailyJson, summaryJson, weeklyJson } from './revenue.view.js';

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

const V1 =
  'Kept from Buffalo v1. `totalCollectedCents` is the same net figure as `totalRevenueCents` (collected charges and won ' +
  'deals minus refunds and lost disputes; v1 ignored refunds, which was a defect) and `txnCount` counts collected ' +
  'charges/deals. One currency (`currency`, added in v2, default REPORTING_CURRENCY, echoed); without `source` a plain sum across vendors. ' +
  `Windows over ${MAX_V1_DAYS} days → 400 date_range_too_large.`;

const rangeErrors = () =>
  ApiError(400, 'Invalid parameters, or a range that is too large', {
    invalidDate: validationFailure(RangeQueryDto.schema, { startDate: '2026-02-30' }, 'query'),
    endBeforeStart: validationFailure(
      RangeQueryDto.schema,
      { startDate: '2026-06-02', endDate: '2026-06-01' },
      'query',
    ),
    unknownSourceAndCurrency: validationFailure(RangeQueryDto.schema, { source: 'paypal', currency: 'ABC' }, 'query'),
    unknownZone: UNKNOWN_ZONE_EXAMPLE,
    unknownParameter: validationFailure(RangeQueryDto.schema, { start_date: '2026-06-01' }, 'query'),
    tooLarge: errorExample(rangeTooLarge(3701, MAX_RANGE_DAYS, RANGE_HINT)),
  });

const v1Errors = (schema: typeof CollectedQueryDto.schema) =>
  ApiError(400, 'Invalid parameters, or a window that is too large', {
    missingOffset: validationFailure(schema, { from: '2026-06-01T00:00:00', to: '2026-07-01T00:00:00Z' }, 'query'),
    toNotAfterFrom: validationFailure(schema, { from: '2026-06-01T00:00:00Z', to: '2026-06-01T00:00:00Z' }, 'query'),
    tooLarge: errorExample(rangeTooLarge(400, MAX_V1_DAYS, V1_HINT)),
  });

const drift = () =>
  ApiError(500, 'The buckets did not add up to the independent total (never expected; logged under the errorId)', {
    error: 'metric_drift',
    message:
      'The revenue figures failed their consistency check, so none were returned; the incident is logged under this requestId.',
    errorId: '0b7c6d2e-4f1a-4e8b-9c3d-2a1b0c9d8e7f',
  });

const dbDown = () => ApiError(503, 'PostgreSQL is unavailable (header Retry-After: 5)', DATABASE_UNAVAILABLE);

/** Every revenue route: the figures' 500 and the database's 503. */
const Figures = (withDrift = true) => applyDecorators(...(withDrift ? [drift()] : []), dbDown());

/**
 * Revenue figures (CONTRACT "Revenue"): parse, ask the service, render. Queries are parsed per
 * parameter: the zone check of RevenueQueryPipe needs Postgres, so no class-wide pipe runs first.
 */
@ApiTags('revenue')
@Controller('metrics')
@ReadAuth()
@UseInterceptors(ZodSerializerInterceptor)
export class RevenueController {
  constructor(private readonly revenue: RevenueService) {}

  @Get('revenue/summary')
  @ApiOperation({ summary: 'Revenue totals for a range (net, gross, refunds, counts)', description: SEMANTICS })
  @ZodResponse({ status: 200, description: 'Totals for the range', type: SummaryDto })
  @rangeErrors()
  @Figures()
  async summary(@Query(RevenueQueryPipe) query: RangeQueryDto) {
    return summaryJson(await this.revenue.report(query));
  }

  @Get('revenue/daily')
  @ApiOperation({
    summary: 'Revenue per day: the summary fields plus a dense, ascending day breakdown',
    description: SEMANTICS,
  })
  @ZodResponse({ status: 200, description: 'Totals plus one bucket per day, dense and ascending', type: DailyDto })
  @rangeErrors()
  @Figures()
  async daily(@Query(RevenueQueryPipe) query: RangeQueryDto) {
    return dailyJson(await this.revenue.report(query));
  }

  @Get('revenue/weekly')
  @ApiOperation({
    summary: 'Revenue per Monday-start week: the summary fields plus a dense, ascending week breakdown',
    description:
      SEMANTICS +
      ' Weeks are clipped to the range: `weekStartDate` is always the Monday (so the first one may precede startDate), ' +
      'but a week only counts the days that lie inside startDate…endDate.',
  })
  @ZodResponse({
    status: 200,
    description: 'Totals plus one bucket per Monday-start week, dense and ascending',
    type: WeeklyDto,
  })
  @rangeErrors()
  @Figures()
  async weekly(@Query(RevenueQueryPipe) query: RangeQueryDto) {
    return weeklyJson(await this.revenue.report(query));
  }

  @Get('revenue')
  @ApiOperation({ summary: 'v1: net collected revenue over a half-open window [from, to)', description: V1 })
  @ZodResponse({ status: 200, description: 'Net collected revenue over the window', type: CollectedDto })
  @v1Errors(CollectedQueryDto.schema)
  @Figures(false)
  async collected(@Query(RevenueQueryPipe) query: CollectedQueryDto) {
    return this.revenue.collected(query);
  }

  @Get('revenue/breakdown')
  @ApiOperation({
    summary: 'v1: net collected revenue per day, Monday week or month over [from, to)',
    description:
      'Kept from Buffalo v1, computed by the same service and snapshot as the other revenue endpoints. Buckets are dense and ' +
      'ascending and cut in `tz` (added in v2, default UTC); `bucketStart` is the zone-local start of the bucket as a UTC ' +
      'instant, so the first bucket may start before `from` while only counting rows from `from` on. Buckets add up exactly ' +
      `to totalCollectedCents/totalTxnCount (else 500 metric_drift). Windows over ${MAX_V1_DAYS} days → 400 date_range_too_large.`,
  })
  @ZodResponse({ status: 200, description: 'Dense, ascending buckets that add up to the totals', type: BreakdownDto })
  @v1Errors(BreakdownQueryDto.schema)
  @Figures()
  async breakdown(@Query(RevenueQueryPipe) query: BreakdownQueryDto) {
    return this.revenue.breakdown(query);
  }

  @Get('unmapped-statuses')
  @ApiOperation({
    summary: 'Raw vendor statuses that mapped to UNKNOWN and so count nowhere',
    description:
      '`count` is the number of distinct (source, rawStatus) pairs; `statuses` holds the `limit` most frequent ' +
      '(ties by source, rawStatus) with how many ledger rows carry each and one sample external id.',
  })
  @ZodResponse({ status: 200, description: 'Unmapped statuses, most frequent first', type: UnmappedDto })
  @ApiError(400, 'Invalid limit', validationFailure(UnmappedQueryDto.schema, { limit: '501' }, 'query'))
  @Figures(false)
  async unmapped(@Query(RequestValidationPipe) { limit }: UnmappedQueryDto) {
    return this.revenue.unmappedStatuses(limit);
  }
}
