import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { Source } from '../records/record.types.js';

/** sync_cursors: where the next incremental run of (source, entity) resumes (migration 20261121000000). */
export const SyncCursorEntity = defineEntity({
  name: 'SyncCursor',
  tableName: 'sync_cursors',
  properties: {
    source: p.text().$type<Source>().primary(),
    entity: p.text().primary(),
    cursor: p.json<unknown>(),
    runId: p.bigint('string').nullable(),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
  primaryKeys: ['source', 'entity'],
});

export type SyncCursorRecord = InferEntity<typeof SyncCursorEntity>;
