import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { TextArrayType } from '../database/database.types.js';
import type { Source } from '../records/record.types.js';
import type { RunErrorClass, RunTrigger } from './run.types.js';

/** sync_runs: one row per (source, entity) sync, from queued to its verdict (migrations 20261121000000, 20261205000000). */
export const SyncRunEntity = defineEntity({
  name: 'SyncRun',
  tableName: 'sync_runs',
  properties: {
    id: p.bigint('string').primary(),
    source: p.text().$type<Source>(),
    entity: p.text(),
    mode: p.enum(['incremental', 'full']),
    status: p.enum(['queued', 'running', 'succeeded', 'partial', 'failed', 'skipped']).default('queued'),
    trigger: p.text().$type<RunTrigger>().default('manual'),
    createdAt: p.datetime().defaultRaw('now()'),
    startedAt: p.datetime().nullable(),
    finishedAt: p.datetime().nullable(),
    heartbeatAt: p.datetime().nullable(),
    cursorBefore: p.json<unknown>().nullable(),
    cursorAfter: p.json<unknown>().nullable(),
    staleCursorDetected: p.boolean().default(false),
    fullBackfillTriggered: p.boolean().default(false),
    error: p.text().nullable(),
    errorClass: p.text().$type<RunErrorClass>().nullable(),
    pagesFetched: p.integer().default(0),
    recordsFetched: p.integer().default(0),
    recordsUpserted: p.integer().default(0),
    recordsDeduped: p.integer().default(0),
    recordsFailed: p.integer().default(0),
    unmappedStatusesSeen: p.type(TextArrayType).defaultRaw(`'{}'`),
    /** How many times a worker started the run (a resumption after its process died counts again). */
    attempts: p.integer().default(0),
    /** The token of the claim that holds the run; page commits and the verdict must still match it. */
    leaseOwner: p.text().nullable(),
    /** Until when that claim holds; an expired lease makes the run claimable again. */
    leaseUntil: p.datetime().nullable(),
  },
  indexes: [
    {
      name: 'sync_runs_source_id',
      properties: ['source', 'id'],
      columns: [{ name: 'source' }, { name: 'id', sort: 'DESC' }],
    },
    {
      name: 'sync_runs_status_id',
      properties: ['status', 'id'],
      columns: [{ name: 'status' }, { name: 'id', sort: 'DESC' }],
    },
    {
      name: 'sync_runs_source_entity_finished',
      properties: ['source', 'entity', 'finishedAt'],
      columns: [{ name: 'source' }, { name: 'entity' }, { name: 'finished_at', sort: 'DESC' }],
      where: `status IN ('succeeded','partial')`,
    },
    {
      name: 'sync_runs_unfinished',
      properties: ['id'],
      where: `status IN ('queued','running')`,
    },
  ],
});

export type SyncRunRecord = InferEntity<typeof SyncRunEntity>;
