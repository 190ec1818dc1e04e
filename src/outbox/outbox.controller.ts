import { applyDecorators, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AdminAuth } from '../common/auth.guard.js';
import { Errors } from '../common/app.errors.js';
import { IdempotencyService } from '../idempotency/idempotency.service.js';
import { Validator, assertJsonObject } from '../common/request.validation.js';
import { SOURCES } from '../records/record.types.js';
import { OrphansRepository } from '../reconciler/orphans.repository.js';
import { OutboxRepository } from './outbox.repository.js';
import { errorContent as errorExample } from '../common/swagger.setup.js';

const REPLAY_FIELDS = new Set(['source', 'since', 'until']);

/** Every admin POST: the Idempotency-Key header and its 400/409 answers. */
const Idempotent = () =>
  applyDecorators(
    ApiHeader({ name: 'Idempotency-Key', required: true, description: 'Same key + same route + same body within 24 h replays the stored response (header Idempotent-Replayed: true).' }),
    ApiBadRequestResponse({
      description: 'Invalid input (`validation_failed`), or the Idempotency-Key header is missing (`idempotency_key_required`)',
      ...errorExample('idempotency_key_required', 'The Idempotency-Key header is required on this request.'),
    }),
    ApiConflictResponse({ description: 'Key reused with another route or body', ...errorExample('idempotency_key_mismatch', 'This Idempotency-Key was used with a different route or body.') }),
  );

const countsExample = { queued: 3, running: 1, done: 1520, error: 2, dead: 1, ignored: 14 };

/** Pipeline operations: watch the queue, inspect dead letters, put events back in the queue. */
@ApiTags('outbox')
@AdminAuth()
@Controller('outbox')
export class OutboxController {
  constructor(
    private readonly outbox: OutboxRepository,
    private readonly orphans: OrphansRepository,
    private readonly idempotency: IdempotencyService,
  ) {}

  @Get('stats')
  @ApiOperation({ summary: 'Queue health: counts by status and source, worker lag, dead letters, orphans' })
  @ApiOkResponse({
    schema: {
      example: {
        counts: countsExample,
        total: 1541,
        deadCount: 1,
        oldestQueuedAgeS: 0,
        nextRetryAt: '2026-06-15T10:00:30.000Z',
        bySource: { stripe: countsExample, hubspot: { queued: 0, running: 0, done: 0, error: 0, dead: 0, ignored: 0 }, gcal: { queued: 0, running: 0, done: 0, error: 0, dead: 0, ignored: 0 } },
        orphans: { unreconciled: 2, givenUp: 0, oldestAgeS: 184 },
      },
    },
  })
  async stats() {
    const [s, orphans] = await Promise.all([this.outbox.stats(), this.orphans.counts()]);
    return { ...s, nextRetryAt: s.nextRetryAt?.toISOString() ?? null, orphans };
  }

  @Get('dead')
  @ApiOperation({ summary: 'Dead letters, newest first, with their reason class and last error' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiQuery({ name: 'before', required: false, description: 'nextBefore of the previous page (an outbox id)', schema: { type: 'string', example: '1042' } })
  @ApiOkResponse({
    schema: {
      example: {
        events: [
          {
            id: '1042',
            source: 'hubspot',
            kind: 'hubspot.deal',
            eventType: 'deal.snapshot',
            dedupeKey: 'deal:981:2026-06-15T09:59:58.120Z',
            origin: 'poll',
            attempts: 1,
            failureClass: 'invalid_payload',
            lastError: 'amount "12,5" is not a decimal number',
            receivedAt: '2026-06-15T10:00:00.000Z',
            deadAt: '2026-06-15T10:00:00.150Z',
            vendorTime: '2026-06-15T09:59:58.120Z',
          },
        ],
        nextBefore: null,
      },
    },
  })
  @ApiBadRequestResponse({ description: 'Invalid limit or before', ...errorExample('validation_failed', 'limit must be between 1 and 200.', { issues: [{ in: 'query', field: 'limit', message: 'limit must be between 1 and 200.' }] }) })
  async dead(@Query() query: Record<string, unknown>) {
    const v = new Validator('query', query);
    const limit = v.int('limit', { min: 1, max: 200, def: 50 });
    const before = v.id('before');
    v.onlyKnown(['limit', 'before']);
    v.done();
    const page = await this.outbox.listDead(limit!, before ?? null);
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
  @ApiParam({ name: 'id', description: 'Outbox id of a dead event', example: '1042' })
  @Idempotent()
  @ApiOkResponse({ schema: { example: { id: '1042', status: 'queued', requeued: 1 } } })
  @ApiNotFoundResponse({ description: 'No dead event with this id', ...errorExample('outbox_event_not_found', 'No dead outbox event with id 1042.', { id: '1042' }) })
  async redrive(@Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const v = new Validator('params', { id });
    const outboxId = v.id('id', { required: true });
    v.done();
    await this.idempotency.execute(req, res, 200, async () => {
      if (!(await this.outbox.redrive(outboxId!))) {
        throw Errors.notFound('outbox_event_not_found', `No dead outbox event with id ${outboxId}.`, { id: outboxId });
      }
      return { id: outboxId, status: 'queued', requeued: 1 };
    });
  }

  @Post('replay')
  @ApiOperation({
    summary: 'Re-process stored events of a source received in [since, until)',
    description: 'Done, ignored and dead events go back to the queue (upserts are last-write-wins, so this is safe); events still queued, running or backing off are left alone. `until` defaults to now.',
  })
  @Idempotent()
  @ApiBody({
    schema: {
      type: 'object',
      required: ['source', 'since'],
      properties: {
        source: { type: 'string', enum: [...SOURCES] },
        since: { type: 'string', format: 'date-time', description: 'Inclusive, ISO 8601 with offset' },
        until: { type: 'string', format: 'date-time', description: 'Exclusive, ISO 8601 with offset; default now' },
      },
      example: { source: 'stripe', since: '2026-06-01T00:00:00Z', until: '2026-06-02T00:00:00Z' },
    },
  })
  @ApiOkResponse({
    schema: { example: { source: 'stripe', since: '2026-06-01T00:00:00.000Z', until: '2026-06-02T00:00:00.000Z', requeued: 812, byStatus: { done: 800, dead: 2, ignored: 10 } } },
  })
  async replay(@Req() req: Request, @Res() res: Response): Promise<void> {
    const body = assertJsonObject(req.body);
    const v = new Validator('body', body);
    const source = v.oneOf('source', SOURCES, { required: true });
    const since = v.instant('since', { required: true });
    const until = v.instant('until');
    v.onlyKnown([...REPLAY_FIELDS]);
    const end = until ?? new Date();
    if (since && !v.issues.some((i) => i.field === 'until') && since.getTime() >= end.getTime()) {
      v.fail(until ? 'until' : 'since', until ? 'since must be before until.' : 'since must be in the past.');
    }
    v.done();
    await this.idempotency.execute(req, res, 200, async () => {
      const r = await this.outbox.replay(source!, since!, end);
      return { source, since: since!.toISOString(), until: end.toISOString(), ...r };
    });
  }
}
