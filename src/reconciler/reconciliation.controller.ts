import { Body, Controller, Get, Injectable, type PipeTransform, Post, Query, UseInterceptors } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodResponse, ZodSerializerInterceptor } from 'nestjs-zod';
import { IdempotentCall, type IdempotentRequest } from '../idempotency/idempotent-request.decorator.js';
import { AdminAuth, ReadAuth } from '../common/auth.guard.js';
import { RequestValidationPipe, validationFailure } from '../common/request.validation.js';
import {
  ApiError,
  ApiIdempotencyKey,
  DATABASE_UNAVAILABLE,
  errorExample,
  IDEMPOTENCY_KEY_ERRORS,
} from '../common/swagger.setup.js';
import { TimeZoneCatalog, UNKNOWN_ZONE_EXAMPLE } from '../common/time-zone.catalog.js';
import { IdempotencyService } from '../idempotency/idempotency.service.js';
import { ReconcilerService } from './reconciler.service.js';
import { dayCount, ReconciliationService, type ReconciliationQuery } from './reconciliation.service.js';
import { MAX_RECONCILE_DAYS, rangeTooLarge } from './reconciliation.range.js';
import {
  encodeCursor,
  ReconciliationQuery as QuerySchema,
  ReconciliationQueryDto,
  ReconciliationReportDto,
  SweepBodyDto,
  SweepResultDto,
} from './reconciliation.schemas.js';

/**
 * The query schema plus the checks a schema cannot make synchronously: whether Postgres knows
 * the zone (one 400 lists it with every other bad field), then the range limit.
 */
@Injectable()
export class ReconciliationQueryPipe implements PipeTransform {
  constructor(private readonly zones: TimeZoneCatalog) {}

  async transform(value: unknown): Promise<ReconciliationQuery> {
    const q = await this.zones.parseQuery(QuerySchema, value);
    if (q.startDate && q.endDate) {
      const days = dayCount(q.startDate, q.endDate);
      if (days > MAX_RECONCILE_DAYS) throw rangeTooLarge(days);
    }
    return {
      source: q.source,
      startDate: q.startDate,
      endDate: q.endDate,
      tz: q.tz,
      limit: q.limit,
      after: q.cursor,
    };
  }
}

const SEMANTICS =
  'Which path saw each object of a vendor first, webhook or poll, and whether the other ever did. Objects count on the ' +
  'day of their creation at the vendor, in `tz`. `both`: a webhook and a poll saw it, the webhook no later than `graceS` ' +
  '(RECONCILE_GRACE_S) after the poll. `pollOnly`: a poll found it at least `graceS` ago and no webhook came within ' +
  '`graceS` of that poll: a missed webhook, listed in `missedWebhooks` (by creation time, `limit` per page, `nextCursor` ' +
  'for the next). `pending`: a poll found it less than `graceS` ago; its webhook may still come. `webhookOnly`: arrived by ' +
  'webhook, not (yet) seen by a poll. HubSpot webhooks carry ids only; the object the worker then fetches counts as webhook ' +
  'evidence. Google Calendar pushes name only the calendar: a listed event counts as webhook-seen when a push for its ' +
  'calendar came after the event was created (up to `graceS` after the listing). Objects a first full sync found before ' +
  'webhooks were set up show as pollOnly on their (old) days. `orphans`: the source’s children without their parent now, ' +
  'whatever the dates (Stripe refunds/disputes, Google Calendar exception occurrences). Without dates: the last 7 days.';

@ApiTags('reconciliation')
@Controller('reconciliation')
@UseInterceptors(ZodSerializerInterceptor)
export class ReconciliationController {
  constructor(
    private readonly reconciliation: ReconciliationService,
    private readonly reconciler: ReconcilerService,
    private readonly idempotency: IdempotencyService,
  ) {}

  @Get()
  @ReadAuth()
  @ApiOperation({
    summary: 'Webhook-vs-poll reconciliation of one vendor, per day, with the missed webhooks',
    description: SEMANTICS,
  })
  @ZodResponse({ status: 200, description: 'The report', type: ReconciliationReportDto })
  @ApiError(400, 'Invalid parameters, or a range that is too large', {
    unknownSource: validationFailure(ReconciliationQueryDto.schema, { source: 'paypal' }, 'query'),
    invalidDate: validationFailure(
      ReconciliationQueryDto.schema,
      { source: 'stripe', startDate: '2026-02-30' },
      'query',
    ),
    badCursor: validationFailure(ReconciliationQueryDto.schema, { source: 'stripe', cursor: 'abc' }, 'query'),
    limitTooLarge: validationFailure(ReconciliationQueryDto.schema, { source: 'stripe', limit: '1001' }, 'query'),
    unknownZone: UNKNOWN_ZONE_EXAMPLE,
    tooLarge: errorExample(rangeTooLarge(3701)),
  })
  @ApiError(503, 'PostgreSQL is unavailable (header Retry-After: 5)', DATABASE_UNAVAILABLE)
  async report(@Query(ReconciliationQueryPipe) query: ReconciliationQueryDto) {
    const r = await this.reconciliation.report(query as unknown as ReconciliationQuery);
    return {
      source: r.source,
      startDate: r.startDate,
      endDate: r.endDate,
      tz: r.tz,
      graceS: r.graceS,
      totals: r.totals,
      days: r.days,
      missedWebhooks: r.missedWebhooks.map((m) => ({ ...m, firstPolledAt: m.firstPolledAt.toISOString() })),
      orphans: r.orphans,
      nextCursor: r.next ? encodeCursor(r.next) : null,
    };
  }

  @Post('sweep')
  @AdminAuth()
  @ApiOperation({
    summary: 'Run the orphan sweep now',
    description:
      'Flags ledger children still without their parent after 60 s, links those whose parent arrived (appending to the ' +
      'audit, deleting nothing) and gives up on those waiting for more than 7 days; the same sweep the worker runs every ' +
      'minute and `npm run job -- reconcile` runs once. Waits for a sweep already running elsewhere. Requires `Idempotency-Key`.',
  })
  @ApiBody({ type: SweepBodyDto, required: false })
  @ApiIdempotencyKey()
  @ZodResponse({ status: 200, description: 'What the sweep did', type: SweepResultDto })
  @ApiError(400, 'Missing Idempotency-Key, or a body with fields', {
    ...IDEMPOTENCY_KEY_ERRORS,
    validation_failed: validationFailure(SweepBodyDto.schema, { force: true }, 'body'),
  })
  @ApiError(503, 'PostgreSQL is unavailable (header Retry-After: 5)', DATABASE_UNAVAILABLE)
  async sweep(@Body(RequestValidationPipe) _body: SweepBodyDto, @IdempotentCall() req: IdempotentRequest) {
    return this.idempotency.execute(req, 200, async () => {
      const r = await this.reconciler.sweep({ wait: true });
      // wait: true never skips; the null branch only satisfies the type.
      return { scanned: r?.scanned ?? 0, linked: r?.linked ?? 0, givenUp: r?.givenUp.length ?? 0 };
    });
  }
}
