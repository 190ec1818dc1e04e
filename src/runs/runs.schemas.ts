import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { integer, oneOf, positiveId, strictObject, text } from '../common/request.validation.js';
import { SOURCES } from '../records/record.types.js';
import { RUN_ERROR_CLASSES, RUN_STATUSES, RUN_TRIGGERS, SYNC_MODES } from './run.types.js';

/** Request and response shapes of the runs routes (CONTRACT "Sync runs"): validation, types and OpenAPI. */

/** Printable ASCII without spaces: calendar ids carry '@', '#', '.' (e.g. en.usa#holiday@group.v.calendar.google.com). */
const ENTITY_PATTERN = /^[\x21-\x7e]{1,300}$/;

const source = oneOf(SOURCES);
const mode = oneOf(SYNC_MODES);

export class TriggerParamsDto extends createZodDto(
  z.object({ source: source.meta({ example: 'stripe' }), mode: mode.meta({ example: 'incremental' }) }),
) {}

const entityName = z.string().regex(ENTITY_PATTERN, {
  error: (iss) => `${String(iss.path?.[0])} must contain entity names (printable characters, no spaces).`,
});
const notEntityList = (iss: { path?: PropertyKey[] }) =>
  `${String(iss.path?.[0])} must be a non-empty array of at most 100 entity names.`;

export class TriggerBodyDto extends createZodDto(
  strictObject(
    {
      entities: z
        .array(entityName, { error: notEntityList })
        .min(1, { error: notEntityList })
        .max(100, { error: notEntityList })
        .optional()
        .meta({ description: 'Sync only these entities of the source (e.g. one calendar). Default: all.' }),
    },
    'body',
  ).meta({ example: { entities: ['charges'] } }),
) {}

export class ListRunsQueryDto extends createZodDto(
  strictObject(
    {
      source: source.optional(),
      status: oneOf(RUN_STATUSES).optional(),
      entity: text({
        max: 300,
        pattern: ENTITY_PATTERN,
        hint: 'must be an entity name (printable characters, no spaces)',
      })
        .optional()
        .meta({ description: 'Only runs of this entity (e.g. deals)' }),
      limit: integer({ min: 1, max: 100, def: 20 }),
      before: positiveId()
        .optional()
        .meta({ description: "A runId: only older runs (use the previous page's nextBefore)", example: '42' }),
    },
    'query',
  ),
) {}

/** Any text: an id that is not a known run, whatever its format, is 404 run_not_found. */
export class RunIdParamsDto extends createZodDto(
  z.object({ runId: z.string().meta({ description: 'A runId', example: '42' }) }),
) {}

const counts = z.object({
  pagesFetched: z.int().meta({ description: 'Pages committed (rows and cursor in one transaction)' }),
  recordsFetched: z.int(),
  recordsUpserted: z.int().meta({ description: 'Raw records newly stored in the outbox' }),
  recordsDeduped: z.int().meta({ description: 'Raw records already stored (re-polled, unchanged)' }),
  recordsFailed: z.int(),
});

const cursor = z
  .unknown()
  .meta({ description: 'The connector cursor as stored (opaque JSON, its format is the connector’s), or null' });
const instantOrNull = z.string().nullable().meta({ format: 'date-time' });

/**
 * A Stripe charges run as the connector records it: its cursor is `{v, watermark, plan}` (see
 * stripe.cursor.ts; a unit test parses these with the connector's own parseCursor).
 */
export const RUN_EXAMPLE = {
  runId: '42',
  source: 'stripe',
  entity: 'charges',
  mode: 'incremental',
  status: 'succeeded',
  trigger: 'schedule',
  createdAt: '2026-06-15T10:00:00.000Z',
  startedAt: '2026-06-15T10:00:00.020Z',
  finishedAt: '2026-06-15T10:00:03.511Z',
  cursorBefore: { v: 1, watermark: 1781517300, plan: null },
  cursorAfter: { v: 1, watermark: 1781517595, plan: null },
  staleCursorDetected: false,
  fullBackfillTriggered: false,
  error: null,
  errorClass: null,
  attempts: 1,
  counts: { pagesFetched: 3, recordsFetched: 250, recordsUpserted: 212, recordsDeduped: 38, recordsFailed: 0 },
  unmappedStatusesSeen: [],
} as const;

export const Run = z
  .object({
    runId: z.string(),
    source,
    entity: z
      .string()
      .meta({ description: 'stripe: charges, refunds, …; hubspot: deals, contacts; gcal: one per calendar' }),
    mode,
    status: z.enum(RUN_STATUSES).meta({
      description:
        '`queued`: waiting for a worker (also a run re-queued after its process stopped; it resumes from its last committed cursor). ' +
        '`skipped`: another run of the same source and entity held the lock. `partial`: some pages were committed before a transient failure.',
    }),
    trigger: z.enum(RUN_TRIGGERS),
    createdAt: z.string().meta({ format: 'date-time', description: 'When the run was queued' }),
    startedAt: instantOrNull,
    finishedAt: instantOrNull,
    cursorBefore: cursor,
    cursorAfter: cursor,
    staleCursorDetected: z.boolean(),
    fullBackfillTriggered: z.boolean(),
    error: z.string().nullable(),
    errorClass: z.enum(RUN_ERROR_CLASSES).nullable(),
    attempts: z.int().meta({
      description:
        'How many times a worker started the run: above 1 when it resumed after its process died (failed `abandoned` after too many)',
    }),
    counts,
    unmappedStatusesSeen: z.array(z.string()).meta({ description: 'Raw vendor statuses that mapped to UNKNOWN' }),
  })
  .meta({ example: RUN_EXAMPLE });

export class RunDto extends createZodDto(Run) {}

export class RunListDto extends createZodDto(
  z
    .object({
      runs: z.array(Run),
      nextBefore: z
        .string()
        .nullable()
        .meta({ description: 'Pass as `before` for the next (older) page; null on the last page' }),
    })
    .meta({ example: { runs: [RUN_EXAMPLE], nextBefore: '42' } }),
) {}

export class TriggerAcceptedDto extends createZodDto(
  z
    .object({
      runId: z.string().meta({ description: 'The first run (one run per entity)' }),
      source,
      mode,
      status: z.literal('accepted'),
      runIds: z
        .array(z.string())
        .meta({ description: 'Every run created, one per entity, each already stored as queued' }),
    })
    .meta({
      example: { runId: '43', source: 'hubspot', mode: 'incremental', status: 'accepted', runIds: ['43', '44'] },
    }),
) {}
