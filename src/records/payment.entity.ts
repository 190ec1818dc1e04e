import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** payments: the ledger of Stripe charges/refunds/disputes and HubSpot deals (migration 20261121000000). */
export const PaymentEntity = defineEntity({
  name: 'Payment',
  tableName: 'payments',
  properties: {
    id: p.bigint('string').primary(),
    source: p.enum(['stripe', 'hubspot']),
    kind: p.enum(['charge', 'refund', 'dispute', 'deal']),
    externalId: p.text(),
    parentExternalId: p.text().nullable(),
    amountCents: p.bigint('string'),
    currency: p.character().length(3),
    status: p.text(),
    rawStatus: p.text(),
    effect: p.enum(['gross', 'refund', 'none']),
    occurredAt: p.datetime(),
    customerRef: p.text().nullable(),
    description: p.text().nullable(),
    deletedAt: p.datetime().nullable(),
    versionAt: p.datetime(),
    versionRank: p.integer().default(0),
    versionTiebreak: p.text().default(''),
    outboxId: p.bigint('string').nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
  uniques: [{ name: 'payments_source_external', properties: ['source', 'externalId'] }],
  checks: [{ name: 'payments_amount_cents_check', expression: 'amount_cents >= 0' }],
  indexes: [
    // Revenue aggregates read only counted rows by currency and time.
    {
      name: 'payments_revenue',
      properties: ['currency', 'occurredAt'],
      include: ['source', 'effect', 'amountCents'],
      where: `effect <> 'none' AND deleted_at IS NULL`,
    },
    { name: 'payments_unknown', properties: ['source', 'rawStatus'], where: `status = 'UNKNOWN'` },
    { name: 'payments_parent', properties: ['source', 'parentExternalId'], where: 'parent_external_id IS NOT NULL' },
  ],
});

export type PaymentRecord = InferEntity<typeof PaymentEntity>;
