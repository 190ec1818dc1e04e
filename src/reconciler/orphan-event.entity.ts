import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * orphan_events: the append-only audit of payment_orphans (flagged, linked, given_up); a trigger
 * refuses UPDATE and DELETE, another TRUNCATE (migration 20261207001000; the ORM does not read
 * TRUNCATE triggers back, so only the row trigger is declared here).
 */
export const OrphanEventEntity = defineEntity({
  name: 'OrphanEvent',
  tableName: 'orphan_events',
  properties: {
    id: p.bigint('string').primary(),
    source: p.text(),
    externalId: p.text(),
    kind: p.text(),
    parentExternalId: p.text(),
    event: p.enum(['flagged', 'linked', 'given_up']),
    /** linked: parent_arrived | child_deleted. */
    reason: p.text().nullable(),
    outboxId: p.bigint('string').nullable(),
    at: p.datetime().defaultRaw('now()'),
  },
  indexes: [{ name: 'orphan_events_orphan', properties: ['source', 'externalId', 'id'] }],
  triggers: [
    {
      name: 'orphan_events_append_only',
      timing: 'before',
      events: ['update', 'delete'],
      forEach: 'row',
      expression:
        'CREATE TRIGGER orphan_events_append_only BEFORE UPDATE OR DELETE ON orphan_events FOR EACH ROW EXECUTE FUNCTION orphan_events_append_only()',
    },
  ],
});

export type OrphanEventRecord = InferEntity<typeof OrphanEventEntity>;
