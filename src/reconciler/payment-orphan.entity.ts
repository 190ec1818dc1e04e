import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * payment_orphans: ledger children whose parent is missing (Stripe refunds/disputes without their
 * charge, Google Calendar exception occurrences without their series master; migrations
 * 20261121001100 and 20261207001000). Rows are never deleted: a link sets linked_at.
 */
export const PaymentOrphanEntity = defineEntity({
  name: 'PaymentOrphan',
  tableName: 'payment_orphans',
  properties: {
    source: p.text().primary(),
    externalId: p.text().primary(),
    kind: p.text(),
    parentExternalId: p.text(),
    outboxId: p.bigint('string').nullable(),
    firstSeenAt: p.datetime(),
    flaggedAt: p.datetime().defaultRaw('now()'),
    givenUpAt: p.datetime().nullable(),
    linkedAt: p.datetime().nullable(),
  },
  primaryKeys: ['source', 'externalId'],
  indexes: [
    { name: 'payment_orphans_open', properties: ['firstSeenAt'], where: 'given_up_at IS NULL AND linked_at IS NULL' },
    // Retention keeps the raw payload of an unreconciled child; the purge probes by outbox id.
    {
      name: 'payment_orphans_outbox',
      properties: ['outboxId'],
      where: 'outbox_id IS NOT NULL AND linked_at IS NULL',
    },
    // Each sweep re-checks the children still waiting, not the linked history.
    { name: 'payment_orphans_unlinked', properties: ['source', 'externalId'], where: 'linked_at IS NULL' },
  ],
});

export type PaymentOrphanRecord = InferEntity<typeof PaymentOrphanEntity>;
