import { Controller, Get, Param, Query, UseInterceptors } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodResponse, ZodSerializerInterceptor } from 'nestjs-zod';
import { ReadAuth } from '../common/auth.guard.js';
import { RequestValidationPipe, validationFailure } from '../common/request.validation.js';
import { ApiError, DATABASE_UNAVAILABLE } from '../common/swagger.setup.js';
import { RevenueQueryPipe } from './revenue.query.js';
import { UNKNOWN_ZONE_EXAMPLE } from '../common/time-zone.catalog.js';
import { MAX_TRACE_LIMIT, TraceQueryDto } from './revenue.schemas.js';
import { PaymentRecordDto, RecordParamsDto, TraceDto } from './revenue-trace.schemas.js';
import { RevenueTraceService } from './revenue-trace.service.js';

const TRACE =
  'Pages through exactly the ledger rows behind the figure of `/metrics/revenue/summary` for the same query ' +
  '(`startDate`, `endDate`, `source`, `currency`, `tz`, same rules and defaults), oldest first (by the instant the money counts on, then ' +
  'row id). `figure` is that summary, read in the same database snapshot as the page; the `rows` of all pages add up to it to the cent ' +
  '(gross rows add `amountCents`, refund rows subtract it) as long as the ledger does not change between pages. Each row lists every stored ' +
  'vendor event that wrote or touched it (losers of last-write-wins included, `won: false`), by time of receipt; that lineage outlives the ' +
  `raw payloads (\`payloadKept: false\` once retention purged one). \`limit\` 1 to ${MAX_TRACE_LIMIT} (default 100); \`cursor\` is the ` +
  '`nextCursor` of the previous page, unchanged (anything else is 400).';

/** "Explain a figure" (CONTRACT): the rows behind a revenue figure, and one ledger row's history. */
@ApiTags('revenue')
@Controller()
@ReadAuth()
@UseInterceptors(ZodSerializerInterceptor)
export class RevenueTraceController {
  constructor(private readonly trace: RevenueTraceService) {}

  @Get('metrics/revenue/trace')
  @ApiOperation({
    summary: 'The ledger rows behind a revenue figure, and the vendor events behind each row',
    description: TRACE,
  })
  @ZodResponse({ status: 200, description: 'The figure and one page of its rows', type: TraceDto })
  @ApiError(400, 'Invalid parameters (as the summary), an invalid cursor or limit', {
    invalidCursor: validationFailure(TraceQueryDto.schema, { cursor: 'not-a-cursor' }, 'query'),
    limitTooLarge: validationFailure(TraceQueryDto.schema, { limit: '1001' }, 'query'),
    endBeforeStart: validationFailure(
      TraceQueryDto.schema,
      { startDate: '2026-06-02', endDate: '2026-06-01' },
      'query',
    ),
    unknownZone: UNKNOWN_ZONE_EXAMPLE,
  })
  @ApiError(500, 'A single-page trace did not add up to its figure (never expected; logged)', {
    error: 'metric_drift',
    message:
      'The revenue figures failed their consistency check, so none were returned; the incident is logged under this requestId.',
  })
  @ApiError(503, 'PostgreSQL is unavailable (header Retry-After: 5)', DATABASE_UNAVAILABLE)
  async traceFigure(@Query(RevenueQueryPipe) query: TraceQueryDto) {
    return this.trace.trace(query);
  }

  @Get('records/payments/:source/:externalId')
  @ApiOperation({
    summary: 'One ledger row: its versions (which won last-write-wins) and the vendor events that wrote or touched it',
    description:
      '`versions` lists every vendor version that arrived for the row, oldest first, with whether it won last-write-wins when it arrived and ' +
      'which one the row holds now (`current`); `events` lists the stored events as in the trace.',
  })
  @ZodResponse({ status: 200, description: 'The row, its versions and its events', type: PaymentRecordDto })
  @ApiError(
    400,
    'Unknown source',
    validationFailure(RecordParamsDto.schema, { source: 'paypal', externalId: 'x' }, 'params'),
  )
  @ApiError(404, 'No ledger row with this source and external id', {
    error: 'record_not_found',
    message: 'No stripe ledger row with external id ch_missing.',
    source: 'stripe',
    externalId: 'ch_missing',
  })
  @ApiError(503, 'PostgreSQL is unavailable (header Retry-After: 5)', DATABASE_UNAVAILABLE)
  async record(@Param(RequestValidationPipe) { source, externalId }: RecordParamsDto) {
    return this.trace.record(source, externalId);
  }
}
