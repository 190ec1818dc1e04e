import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { IdempotentCall, type IdempotentRequest } from '../idempotency/idempotent-request.decorator.js';
import { AdminAuth } from '../common/auth.guard.js';
import { Errors } from '../common/app.errors.js';
import { IdempotencyService } from '../idempotency/idempotency.service.js';
import { validationFailure, ZodContract } from '../common/request.validation.js';
import { ApiError, ApiIdempotencyKey, IDEMPOTENCY_KEY_ERRORS } from '../common/swagger.setup.js';
import { OrphansRepository } from '../reconciler/orphans.repository.js';
import { OutboxRepository } from './outbox.repository.js';
import {
  DeadEventsDto,
  DeadQueryDto,
  OutboxIdParamsDto,
  OutboxStatsDto,
  RedriveDto,
  ReplayBodyDto,
  ReplayResultDto,
} from './outbox.schemas.js';

/** Pipeline operations: watch the queue, inspect dead letters, put events back in the queue. */
@ApiTags('outbox')
@AdminAuth()
@Controller('outbox')
@ZodContract()
export class OutboxController {
  constructor(
    private readonly outbox: OutboxRepository,
    private readonly orphans: OrphansRepository,
    private readonly idempotency: IdempotencyService,
  ) {}

  @Get('stats')
  @ApiOperation({ summary: 'Queue health: counts by status and source, worker lag, dead letters, orphans' })
  @ZodResponse({ status: 200, description: 'Counts of the whole outbox and per source', type: OutboxStatsDto })
  async stats() {
    const [s, orphans] = await Promise.all([this.outbox.stats(), this.orphans.counts()]);
    return { ...s, nextRetryAt: s.nextRetryAt?.toISOString() ?? null, orphans };
  }

  @Get('dead')
  @ApiOperation({ summary: 'Dead letters, newest first, with their reason class and last error' })
  @ZodResponse({ status: 200, description: 'A page of dead events', type: DeadEventsDto })
  @ApiError(400, 'Invalid limit or before', validationFailure(DeadQueryDto.schema, { limit: '201' }, 'query'))
  async dead(@Query() { limit, before }: DeadQueryDto) {
    const page = await this.outbox.listDead(limit, before ?? null);
    return {
      events: page.events.map((e) => ({
        ...e,
        receivedAt: e.receivedAt.toISOString(),
        deadAt: e.deadAt?.toISOString() ?? null,
        vendorTime: e.vendorTime?.toISOString() ?? null,
      })),
      nextBefore: page.nextBefore,
    };
  }

  @Post('dead/:id/redrive')
  @ApiOperation({ summary: 'Put one dead event back in the queue with a fresh attempt budget' })
  @ApiIdempotencyKey()
  @ZodResponse({ status: 200, description: 'Requeued', type: RedriveDto })
  @ApiError(400, 'The id is not an outbox id, or the Idempotency-Key header is missing', {
    validation_failed: validationFailure(OutboxIdParamsDto.schema, { id: 'abc' }, 'params'),
    ...IDEMPOTENCY_KEY_ERRORS,
  })
  @ApiError(404, 'No dead event with this id', {
    error: 'outbox_event_not_found',
    message: 'No dead outbox event with id 1042.',
    id: '1042',
  })
  async redrive(@Param() { id }: OutboxIdParamsDto, @IdempotentCall() req: IdempotentRequest) {
    return this.idempotency.execute(req, 200, async () => {
      if (!(await this.outbox.redrive(id))) {
        throw Errors.notFound('outbox_event_not_found', `No dead outbox event with id ${id}.`, { id });
      }
      return { id, status: 'queued' as const, requeued: 1 as const };
    });
  }

  @Post('replay')
  @ApiOperation({
    summary: 'Re-process stored events of a source received in [since, until)',
    description:
      'Done, ignored and dead events go back to the queue (upserts are last-write-wins, so this is safe); events still queued, running or backing off are left alone. `until` defaults to now.',
  })
  @ApiIdempotencyKey()
  @ZodResponse({ status: 200, description: 'How many events went back to the queue', type: ReplayResultDto })
  @ApiError(400, 'Invalid body, or the Idempotency-Key header is missing', {
    validation_failed: validationFailure(
      ReplayBodyDto.schema,
      { source: 'stripe', since: '2026-06-02T00:00:00Z', until: '2026-06-01T00:00:00Z' },
      'body',
    ),
    ...IDEMPOTENCY_KEY_ERRORS,
  })
  async replay(@Body() { source, since, until }: ReplayBodyDto, @IdempotentCall() req: IdempotentRequest) {
    const end = until ?? new Date();
    return this.idempotency.execute(req, 200, async () => {
      const r = await this.outbox.replay(source, since, end);
      return { source, since: since.toISOString(), until: end.toISOString(), ...r };
    });
  }
}
