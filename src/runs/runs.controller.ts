import { Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AdminAuth, ReadAuth } from '../common/auth.guard.js';
import { Errors } from '../common/app.errors.js';
import { IdempotencyService } from '../idempotency/idempotency.service.js';
import { assertJsonObject, Validator } from '../common/request.validation.js';
import { SOURCES } from '../records/record.types.js';
import { RunsRepository } from './runs.repository.js';
import { RunsService } from './runs.service.js';
import { RUN_STATUSES, SYNC_MODES } from './run.types.js';
import { runJson } from './run.view.js';
import { getErrors, listErrors, runListSchema, runSchema, triggerAcceptedSchema, triggerBodySchema, triggerErrors } from './runs.openapi.js';

/** Printable ASCII without spaces: calendar ids carry '@', '#', '.' (e.g. en.usa#holiday@group.v.calendar.google.com). */
const ENTITY_PATTERN = /^[\x21-\x7e]{1,300}$/;

/** Reads the optional trigger body; anything but `{}` or `{"entities":[…]}` is refused. */
function triggerBody(body: unknown): string[] | undefined {
  const obj = assertJsonObject(body);
  const v = new Validator('body', obj);
  for (const key of Object.keys(obj)) if (key !== 'entities') v.fail(key, `${key} is not a known field.`);
  const raw = obj.entities;
  let entities: string[] | undefined;
  if (raw !== undefined) {
    if (!Array.isArray(raw) || raw.length === 0 || raw.length > 100) v.fail('entities', 'entities must be a non-empty array of at most 100 entity names.');
    else if (!raw.every((e) => typeof e === 'string' && ENTITY_PATTERN.test(e))) v.fail('entities', 'entities must contain entity names (printable characters, no spaces).');
    else entities = raw as string[];
  }
  v.done();
  return entities;
}

@ApiTags('runs')
@Controller()
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
      'Writes one `queued` run per entity of the source before answering, then runs them in the background. ' +
      'Each run holds the advisory lock of its source and entity for its whole duration: a run started while another ' +
      'holds it ends `skipped`. Requires `Idempotency-Key`; a replay returns the first answer with `Idempotent-Replayed: true`.',
  })
  @ApiParam({ name: 'source', enum: ['stripe', 'hubspot', 'gcal'] })
  @ApiParam({ name: 'mode', enum: ['incremental', 'full'] })
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: '1-255 printable ASCII characters; replays within 24 h return the stored answer' })
  @ApiBody({ required: false, schema: triggerBodySchema })
  @ApiAcceptedResponse({
    description: 'Runs queued',
    schema: triggerAcceptedSchema,
    headers: { 'Idempotent-Replayed': { description: '`true` when this is a replay of an earlier request', schema: { type: 'string' } } },
  })
  @ApiResponse({ status: 400, ...triggerErrors.badRequest })
  @ApiResponse({ status: 409, ...triggerErrors.conflict })
  @ApiResponse({ status: 503, ...triggerErrors.unavailable })
  async trigger(@Param() params: Record<string, string>, @Req() req: Request, @Res() res: Response): Promise<void> {
    const v = new Validator('params', params);
    const source = v.oneOf('source', SOURCES, { required: true });
    const mode = v.oneOf('mode', SYNC_MODES, { required: true });
    v.done();
    const entities = triggerBody(req.body);
    await this.idempotency.execute(req, res, 202, async () => {
      const { runIds } = await this.runs.trigger(source!, mode!, { trigger: 'manual', entities });
      return { runId: runIds[0], source, mode, status: 'accepted', runIds };
    });
  }

  @Get('runs')
  @ReadAuth()
  @ApiOperation({ summary: 'List sync runs, newest first (keyset pagination with `before`)' })
  @ApiQuery({ name: 'source', required: false, enum: ['stripe', 'hubspot', 'gcal'] })
  @ApiQuery({ name: 'status', required: false, enum: [...RUN_STATUSES] })
  @ApiQuery({ name: 'entity', required: false, description: 'Only runs of this entity (e.g. deals)' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } })
  @ApiQuery({ name: 'before', required: false, description: 'A runId: only older runs (use the previous page\'s nextBefore)' })
  @ApiOkResponse({ description: 'A page of runs', schema: runListSchema })
  @ApiResponse({ status: 400, ...listErrors.badRequest })
  async list(@Query() query: Record<string, unknown>) {
    const v = new Validator('query', query).onlyKnown(['source', 'status', 'entity', 'limit', 'before']);
    const source = v.oneOf('source', SOURCES);
    const status = v.oneOf('status', RUN_STATUSES);
    const entity = v.string('entity', { max: 300, pattern: ENTITY_PATTERN, patternHint: 'must be an entity name (printable characters, no spaces)' });
    const limit = v.int('limit', { min: 1, max: 100, def: 20 });
    const before = v.id('before');
    v.done();
    const page = await this.repo.list({ source, status, entity, before, limit: limit! });
    return { runs: page.runs.map(runJson), nextBefore: page.nextBefore };
  }

  @Get('runs/:runId')
  @ReadAuth()
  @ApiOperation({ summary: 'One sync run' })
  @ApiParam({ name: 'runId', schema: { type: 'string', pattern: '^[1-9][0-9]{0,18}$' }, example: '42' })
  @ApiOkResponse({ description: 'The run', schema: runSchema })
  @ApiResponse({ status: 400, ...getErrors.badRequest })
  @ApiResponse({ status: 404, ...getErrors.notFound })
  async get(@Param() params: Record<string, string>) {
    const v = new Validator('params', params);
    const runId = v.id('runId', { required: true });
    v.done();
    const run = await this.repo.get(runId!);
    if (!run) throw Errors.notFound('run_not_found', `No run with id ${runId}.`, { runId });
    return runJson(run);
  }
}
