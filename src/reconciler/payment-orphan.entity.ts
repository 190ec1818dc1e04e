import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** payment_orphans: refunds/disputes whose parent charge never arrived (migration 20261121001100). */
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
  },
  primaryKeys: ['source', 'externalId'],
  indexes: [
    { name: 'payment_orphans_open', properties: ['firstSeenAt'], where: 'given_up_at IS NULL' },
    // Retention keeps the raw payload of an unreconciled child; the purge probes by outbox id.
    { name: 'payment_orphans_outbox', properties: ['outboxId'], where: 'outbox_id IS NOT NULL' },
  ],
});

export type PaymentOrphanRecord = InferEntity<typeof PaymentOrphanEntity>;
