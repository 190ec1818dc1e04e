import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { instant, integer, oneOf, positiveId, strictObject, whenValid } from '../common/request.validation.js';
import { SOURCES } from '../records/record.types.js';
import { OUTBOX_ORIGINS, OUTBOX_SOURCES } from './outbox.types.js';

/** Request and response shapes of the pipeline operations (CONTRACT "Pipeline operations"). */

export class DeadQueryDto extends createZodDto(
  strictObject(
    {
      limit: integer({ min: 1, max: 200, def: 50 }),
      before: positiveId()
        .optional()
        .meta({ description: 'nextBefore of the previous page (an outbox id)', example: '1042' }),
    },
    'query',
  ),
) {}

export class OutboxIdParamsDto extends createZodDto(
  z.object({ id: positiveId().meta({ description: 'Outbox id of a dead event', example: '1042' }) }),
) {}

/** Outside the fields' own checks: the window must not be empty (or in the future). */
const nonEmptyWindow = (v: { since: Date; until?: Date }) => v.since.getTime() < (v.until ?? new Date()).getTime();

export class ReplayBodyDto extends createZodDto(
  strictObject(
    {
      source: oneOf(SOURCES),
      since: instant().meta({ description: 'Inclusive, ISO 8601 with offset' }),
      until: instant().optional().meta({ description: 'Exclusive, ISO 8601 with offset; default now' }),
    },
    'body',
  )
    .refine(nonEmptyWindow, {
      path: ['since'],
      error: 'since must be in the past.',
      when: (p) => whenValid('since')(p) && (p.value as { until?: unknown }).until === undefined,
    })
    .refine(nonEmptyWindow, {
      path: ['until'],
      error: 'since must be before until.',
      when: (p) => whenValid('since', 'until')(p) && (p.value as { until?: unknown }).until !== undefined,
    })
    .meta({ example: { source: 'stripe', since: '2026-06-01T00:00:00Z', until: '2026-06-02T00:00:00Z' } }),
) {}

const statusCounts = z.object({
  queued: z.int(),
  running: z.int(),
  done: z.int(),
  error: z.int(),
  dead: z.int(),
  ignored: z.int(),
});
const countsExample = { queued: 3, running: 1, done: 1520, error: 2, dead: 1, ignored: 14 };
const emptyCounts = { queued: 0, running: 0, done: 0, error: 0, dead: 0, ignored: 0 };

export class OutboxStatsDto extends createZodDto(
  z
    .object({
      counts: statusCounts,
      total: z.int(),
      deadCount: z.int(),
      oldestQueuedAgeS: z
        .int()
        .nullable()
        .meta({ description: 'Seconds the oldest claimable queued event has waited: the worker lag' }),
      nextRetryAt: z
        .string()
        .nullable()
        .meta({ format: 'date-time', description: 'Earliest scheduled retry of an event in error' }),
      bySource: z
        .object({ stripe: statusCounts, hubspot: statusCounts, gcal: statusCounts, buffalo: statusCounts })
        .meta({ description: 'Per vendor, and `buffalo` for Buffalo’s own work (alert deliveries)' }),
      orphans: z.object({
        unreconciled: z.int().meta({
          description: 'Ledger children (refunds, disputes, calendar occurrences) still waiting for their parent',
        }),
        givenUp: z.int(),
        oldestAgeS: z.int().nullable(),
      }),
    })
    .meta({
      example: {
        counts: countsExample,
        total: 1541,
        deadCount: 1,
        oldestQueuedAgeS: 0,
        nextRetryAt: '2026-06-15T10:00:30.000Z',
        bySource: { stripe: countsExample, hubspot: emptyCounts, gcal: emptyCounts, buffalo: emptyCounts },
        orphans: { unreconciled: 2, givenUp: 0, oldestAgeS: 184 },
      },
    }),
) {}

export class DeadEventsDto extends createZodDto(
  z
    .object({
      events: z.array(
        z.object({
          id: z.string(),
          source: z.enum(OUTBOX_SOURCES),
          kind: z.string(),
          eventType: z.string(),
          dedupeKey: z.string(),
          origin: z.enum(OUTBOX_ORIGINS),
          attempts: z.int(),
          failureClass: z.enum(['transient', 'invalid_payload', 'unsupported', 'auth', 'retries_exhausted']).nullable(),
          lastError: z.string().nullable(),
          receivedAt: z.string().meta({ format: 'date-time' }),
          deadAt: z.string().nullable().meta({ format: 'date-time' }),
          vendorTime: z.string().nullable().meta({ format: 'date-time' }),
        }),
      ),
      nextBefore: z
        .string()
        .nullable()
        .meta({ description: 'Pass as `before` for the next (older) page; null on the last page' }),
    })
    .meta({
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
    }),
) {}

export class RedriveDto extends createZodDto(
  z
    .object({ id: z.string(), status: z.literal('queued'), requeued: z.literal(1) })
    .meta({ example: { id: '1042', status: 'queued', requeued: 1 } }),
) {}

export class ReplayResultDto extends createZodDto(
  z
    .object({
      source: z.enum(SOURCES),
      since: z.string().meta({ format: 'date-time' }),
      until: z.string().meta({ format: 'date-time' }),
      requeued: z.int(),
      byStatus: z
        .object({ done: z.int(), dead: z.int(), ignored: z.int() })
        .meta({ description: 'Requeued events by the status they had' }),
    })
    .meta({
      example: {
        source: 'stripe',
        since: '2026-06-01T00:00:00.000Z',
        until: '2026-06-02T00:00:00.000Z',
        requeued: 812,
        byStatus: { done: 800, dead: 2, ignored: 10 },
      },
    }),
) {}
