import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * ingest_outbox: every raw vendor event, stored before it is processed, and Buffalo's own work
 * (source `buffalo`, origin `internal`: alert deliveries) (migrations 20261121000000, 20261205001000).
 */
export const OutboxEventEntity = defineEntity({
  name: 'OutboxEvent',
  tableName: 'ingest_outbox',
  properties: {
    id: p.bigint('string').primary(),
    source: p.enum(['stripe', 'hubspot', 'gcal', 'buffalo']),
    kind: p.text(),
    dedupeKey: p.text(),
    origin: p.enum(['webhook', 'poll', 'replay', 'internal']),
    eventType: p.text(),
    payload: p.json<unknown>(),
    vendorTime: p.datetime().nullable(),
    status: p.enum(['queued', 'running', 'done', 'error', 'dead', 'ignored']).default('queued'),
    attempts: p.integer().default(0),
    availableAt: p.datetime().defaultRaw('now()'),
    leaseUntil: p.datetime().nullable(),
    lockedBy: p.text().nullable(),
    failureClass: p.text().nullable(),
    lastError: p.text().nullable(),
    runId: p.bigint('string').nullable(),
    receivedAt: p.datetime().defaultRaw('now()'),
    processedAt: p.datetime().nullable(),
  },
  uniques: [{ name: 'ingest_outbox_dedupe', properties: ['source', 'dedupeKey'] }],
  indexes: [
    // The claim query scans only claimable rows, in order.
    { name: 'ingest_outbox_claimable', properties: ['availableAt', 'id'], where: `status IN ('queued','error')` },
    { name: 'ingest_outbox_running_lease', properties: ['leaseUntil'], where: `status = 'running'` },
    {
      name: 'ingest_outbox_dead',
      properties: ['id'],
      columns: [{ name: 'id', sort: 'DESC' }],
      where: `status = 'dead'`,
    },
    { name: 'ingest_outbox_source_received', properties: ['source', 'receivedAt'] },
    { name: 'ingest_outbox_retention', properties: ['processedAt'], where: `status IN ('done','ignored')` },
  ],
});

export type OutboxEventRecord = InferEntity<typeof OutboxEventEntity>;
