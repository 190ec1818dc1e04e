import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { IdempotentCall, type IdempotentRequest } from '../idempotency/idempotent-request.decorator.js';
import { AdminAuth, ReadAuth } from '../common/auth.guard.js';
import { Errors } from '../common/app.errors.js';
import { IdempotencyService } from '../idempotency/idempotency.service.js';
import { isPositiveId, validationFailure, ZodContract } from '../common/request.validation.js';
import { ApiError, ApiIdempotencyKey, DATABASE_UNAVAILABLE, IDEMPOTENCY_KEY_ERRORS } from '../common/swagger.setup.js';
import { RunsRepository } from './runs.repository.js';
import { RunsService } from './runs.service.js';
import { runJson } from './run.view.js';
import {
  ListRunsQueryDto,
  RunDto,
  RunIdParamsDto,
  RunListDto,
  TriggerAcceptedDto,
  TriggerBodyDto,
  TriggerParamsDto,
} from './runs.schemas.js';

@ApiTags('runs')
@Controller()
@ZodContract()
export class RunsController {
  constructor(
    private readonly runs: RunsService,
    private readonly repo: RunsRepository,
    private readonly idempotency: IdempotencyService,
  ) {}

  @Post('trigger/:source/:mode')
  @AdminAuth()
  @ApiOperation({
    summary: 'Queue a sync of one source (one run per entity)',
    description:
      'Writes one `queued` run per entity of the source before answering; a process with the worker role executes them ' +
      '(this one, unless it runs with WORKER=off). ' +
      'Each run holds the advisory lock of its source and entity for its whole duration: a run started while another ' +
      'holds it ends `skipped`. Requires `Idempotency-Key`; a replay returns the first answer with `Idempotent-Replayed: true`. ' +
      'The body is optional.',
  })
  @ApiBody({ type: TriggerBodyDto, required: false })
  @ApiIdempotencyKey()
  @ZodResponse({
    status: 202,
    description: 'Runs queued (a replay carries the header Idempotent-Replayed: true)',
    type: TriggerAcceptedDto,
  })
  @ApiError(400, 'Invalid source or mode, source not configured, missing Idempotency-Key, or an invalid body', {
    validation_failed: validationFailure(TriggerParamsDto.schema, { source: 'paypal', mode: 'full' }, 'params'),
    source_not_enabled: {
      error: 'source_not_enabled',
      message: 'hubspot is not configured for syncing (set HUBSPOT_ACCESS_TOKEN).',
      source: 'hubspot',
    },
    ...IDEMPOTENCY_KEY_ERRORS,
    unknown_entity: {
      error: 'unknown_entity',
      message: 'Unknown hubspot entity: tickets.',
      entities: ['deals', 'contacts'],
    },
  })
  @ApiError(503, 'The database is unavailable or the instance is shutting down', {
    database_unavailable: DATABASE_UNAVAILABLE,
  })
  async trigger(
    @Param() { source, mode }: TriggerParamsDto,
    @Body() { entities }: TriggerBodyDto,
    @IdempotentCall() req: IdempotentRequest,
  ) {
    return this.idempotency.execute(req, 202, async () => {
      const { runIds } = await this.runs.trigger(source, mode, { trigger: 'manual', entities });
      return { runId: runIds[0], source, mode, status: 'accepted' as const, runIds };
    });
  }

  @Get('runs')
  @ReadAuth()
  @ApiOperation({ summary: 'List sync runs, newest first (keyset pagination with `before`)' })
  @ZodResponse({ status: 200, description: 'A page of runs', type: RunListDto })
  @ApiError(400, 'Invalid query parameter', {
    validation_failed: validationFailure(ListRunsQueryDto.schema, { limit: '101' }, 'query'),
  })
  async list(@Query() { source, status, entity, limit, before }: ListRunsQueryDto) {
    const page = await this.repo.list({ source, status, entity, before, limit });
    return { runs: page.runs.map(runJson), nextBefore: page.nextBefore };
  }

  @Get('runs/:runId')
  @ReadAuth()
  @ApiOperation({ summary: 'One sync run' })
  @ZodResponse({ status: 200, description: 'The run', type: RunDto })
  @ApiError(404, 'No run with this id (whatever its format)', {
    run_not_found: { error: 'run_not_found', message: 'No run with id 999.', runId: '999' },
  })
  async get(@Param() { runId }: RunIdParamsDto) {
    // Only a well-formed id can name a run; anything else is as unknown as a missing one.
    const run = isPositiveId(runId) ? await this.repo.get(runId) : null;
    if (!run) throw Errors.notFound('run_not_found', `No run with id ${runId}.`, { runId });
    return runJson(run);
  }
}
