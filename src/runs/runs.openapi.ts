import { errorBody } from '../common/swagger.setup.js';
import type { RunJson } from './run.view.js';

/** OpenAPI schemas and examples for the runs routes, kept apart so the controller stays readable. */

export const runExample: RunJson = {
  runId: '42',
  source: 'stripe',
  entity: 'charges',
  mode: 'incremental',
  status: 'succeeded',
  trigger: 'schedule',
  createdAt: '2026-06-15T10:00:00.000Z',
  startedAt: '2026-06-15T10:00:00.020Z',
  finishedAt: '2026-06-15T10:00:03.511Z',
  cursorBefore: { createdGte: 1781517300 },
  cursorAfter: { createdGte: 1781517595 },
  staleCursorDetected: false,
  fullBackfillTriggered: false,
  error: null,
  errorClass: null,
  counts: { pagesFetched: 3, recordsFetched: 250, recordsUpserted: 212, recordsDeduped: 38, recordsFailed: 0 },
  unmappedStatusesSeen: [],
};

const counts = {
  type: 'object',
  required: ['pagesFetched', 'recordsFetched', 'recordsUpserted', 'recordsDeduped', 'recordsFailed'],
  properties: {
    pagesFetched: { type: 'integer', description: 'Pages committed (rows and cursor in one transaction)' },
    recordsFetched: { type: 'integer' },
    recordsUpserted: { type: 'integer', description: 'Raw records newly stored in the outbox' },
    recordsDeduped: { type: 'integer', description: 'Raw records already stored (re-polled, unchanged)' },
    recordsFailed: { type: 'integer' },
  },
};

const anyJson = { description: 'The connector cursor as stored (opaque JSON), or null', nullable: true };

export const runSchema = {
  type: 'object',
  required: ['runId', 'source', 'entity', 'mode', 'status', 'startedAt', 'finishedAt', 'cursorBefore', 'cursorAfter', 'staleCursorDetected', 'fullBackfillTriggered', 'error', 'counts', 'unmappedStatusesSeen'],
  properties: {
    runId: { type: 'string', example: '42' },
    source: { type: 'string', enum: ['stripe', 'hubspot', 'gcal'] },
    entity: { type: 'string', description: 'stripe: charges, refunds, …; hubspot: deals, contacts; gcal: one per calendar', example: 'charges' },
    mode: { type: 'string', enum: ['incremental', 'full'] },
    status: {
      type: 'string',
      enum: ['queued', 'running', 'succeeded', 'partial', 'failed', 'skipped'],
      description: '`skipped`: another run of the same source and entity held the lock. `partial`: some pages were committed before a transient failure.',
    },
    trigger: { type: 'string', enum: ['manual', 'schedule', 'job', 'webhook'] },
    createdAt: { type: 'string', format: 'date-time', description: 'When the run was queued' },
    startedAt: { type: 'string', format: 'date-time', nullable: true },
    finishedAt: { type: 'string', format: 'date-time', nullable: true },
    cursorBefore: anyJson,
    cursorAfter: anyJson,
    staleCursorDetected: { type: 'boolean' },
    fullBackfillTriggered: { type: 'boolean' },
    error: { type: 'string', nullable: true },
    errorClass: {
      type: 'string',
      nullable: true,
      enum: ['transient', 'auth', 'stale_cursor', 'permanent', 'locked', 'aborted', 'abandoned', 'internal', null],
    },
    counts,
    unmappedStatusesSeen: { type: 'array', items: { type: 'string' }, description: 'Raw vendor statuses that mapped to UNKNOWN' },
  },
  example: runExample,
};

export const triggerAcceptedSchema = {
  type: 'object',
  required: ['runId', 'source', 'mode', 'status', 'runIds'],
  properties: {
    runId: { type: 'string', description: 'The first run (one run per entity)' },
    source: { type: 'string', enum: ['stripe', 'hubspot', 'gcal'] },
    mode: { type: 'string', enum: ['incremental', 'full'] },
    status: { type: 'string', enum: ['accepted'] },
    runIds: { type: 'array', items: { type: 'string' }, description: 'Every run created, one per entity, each already stored as queued' },
  },
  example: { runId: '43', source: 'hubspot', mode: 'incremental', status: 'accepted', runIds: ['43', '44'] },
};

export const triggerBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    entities: {
      type: 'array',
      items: { type: 'string' },
      minItems: 1,
      description: 'Optional: sync only these entities of the source (e.g. one calendar). Default: all.',
    },
  },
  example: { entities: ['deals'] },
};

export const runListSchema = {
  type: 'object',
  required: ['runs', 'nextBefore'],
  properties: {
    runs: { type: 'array', items: runSchema },
    nextBefore: { type: 'string', nullable: true, description: 'Pass as `before` for the next (older) page; null on the last page' },
  },
  example: { runs: [runExample], nextBefore: '42' },
};

const err = (error: string, message: string, extra: Record<string, unknown> = {}) => ({
  summary: error,
  value: errorBody(error, message, extra),
});

const errorRef = { $ref: '#/components/schemas/Error' };

export const triggerErrors = {
  badRequest: {
    description: 'Invalid source or mode, source not configured, missing Idempotency-Key, or an invalid body',
    content: {
      'application/json': {
        schema: errorRef,
        examples: {
          validation_failed: err('validation_failed', 'source must be one of stripe, hubspot, gcal.', {
            issues: [{ in: 'params', field: 'source', message: 'source must be one of stripe, hubspot, gcal.' }],
          }),
          source_not_enabled: err('source_not_enabled', 'hubspot is not configured for syncing (set HUBSPOT_ACCESS_TOKEN).', { source: 'hubspot' }),
          idempotency_key_required: err('idempotency_key_required', 'The Idempotency-Key header is required on this request.'),
          unknown_entity: err('unknown_entity', 'Unknown hubspot entity: tickets.', { entities: ['deals', 'contacts'] }),
        },
      },
    },
  },
  conflict: {
    description: 'The Idempotency-Key was used with another route or body, or its first request is still running',
    content: {
      'application/json': {
        schema: errorRef,
        examples: {
          idempotency_key_mismatch: err('idempotency_key_mismatch', 'This Idempotency-Key was used with a different route or body.'),
          idempotency_key_in_progress: err('idempotency_key_in_progress', 'A request with this Idempotency-Key is still being processed; retry later.'),
        },
      },
    },
  },
  unavailable: {
    description: 'The database is unavailable or the instance is shutting down',
    content: { 'application/json': { schema: errorRef, examples: { database_unavailable: err('database_unavailable', 'The database is unavailable; retry later.') } } },
  },
};

export const listErrors = {
  badRequest: {
    description: 'Invalid query parameter',
    content: {
      'application/json': {
        schema: errorRef,
        examples: {
          validation_failed: err('validation_failed', 'limit must be between 1 and 100.', {
            issues: [{ in: 'query', field: 'limit', message: 'limit must be between 1 and 100.' }],
          }),
        },
      },
    },
  },
};

export const getErrors = {
  badRequest: {
    description: 'runId is not a positive integer',
    content: {
      'application/json': {
        schema: errorRef,
        examples: {
          validation_failed: err('validation_failed', 'runId must be a positive integer id.', {
            issues: [{ in: 'params', field: 'runId', message: 'runId must be a positive integer id.' }],
          }),
        },
      },
    },
  },
  notFound: {
    description: 'No run with this id',
    content: { 'application/json': { schema: errorRef, examples: { run_not_found: err('run_not_found', 'No run with id 999.', { runId: '999' }) } } },
  },
};
