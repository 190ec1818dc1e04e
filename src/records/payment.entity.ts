import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

const ROLLUP_TRIGGERS = [
  { event: 'insert' as const, transitions: 'NEW TABLE AS new_rows' },
  { event: 'update' as const, transitions: 'OLD TABLE AS old_rows NEW TABLE AS new_rows' },
  { event: 'delete' as const, transitions: 'OLD TABLE AS old_rows' },
].map(({ event, transitions }) => ({
  name: `payment_rollups_${event}`,
  timing: 'after' as const,
  events: [event],
  forEach: 'statement' as const,
  expression: `CREATE TRIGGER payment_rollups_${event} AFTER ${event.toUpperCase()} ON payments REFERENCING ${transitions} FOR EACH STATEMENT EXECUTE FUNCTION payment_rollups_on_${event}()`,
}));

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
    /** Revision of the rules that derived this row (HubSpot stage classification); part of last-write-wins. */
    derivationRev: p.integer().default(0),
    /** The vendor object the row was derived from, so a classification change can re-derive it. */
    vendorSnapshot: p.json<unknown>().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
  uniques: [{ name: 'payments_source_external', properties: ['source', 'externalId'] }],
  // The rollup triggers (migration 20261201001000) keep payment_rollups in the same transaction as
  // every ledger write; their functions live in that migration and test/db/revenue-rollups.db.test.ts
  // proves what they do. Declared here so the schema diff knows them. (The TRUNCATE trigger is not
  // listed: the ORM does not read TRUNCATE triggers back, so it neither drops nor compares it.)
  triggers: ROLLUP_TRIGGERS,
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
    // Re-derivation walks the deals of the stages whose classification changed.
    {
      name: 'payments_hubspot_deal_stage',
      properties: ['rawStatus', 'externalId'],
      where: `source = 'hubspot' AND kind = 'deal'`,
    },
  ],
});

export type PaymentRecord = InferEntity<typeof PaymentEntity>;
