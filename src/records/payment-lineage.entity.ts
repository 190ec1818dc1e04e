import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * payment_lineage: which stored vendor events wrote or touched each ledger row (migration
 * 20261207000000). Outlives payload retention: no key to ingest_outbox.
 */
export const PaymentLineageEntity = defineEntity({
  name: 'PaymentLineage',
  tableName: 'payment_lineage',
  properties: {
    paymentId: p.bigint('string').primary(),
    outboxId: p.bigint('string').primary(),
    /** The derivation revision the event was mapped under (a replay through newer code adds a row). */
    derivationRev: p.integer().primary(),
    origin: p.enum(['webhook', 'poll', 'replay']),
    /** Written when this event had already been applied to the row before: a replay or redrive. */
    replayed: p.boolean().default(false),
    vendorEventId: p.text(),
    eventType: p.text(),
    receivedAt: p.datetime(),
    payloadSha256: p.blob().nullable(),
    versionAt: p.datetime(),
    versionRank: p.integer(),
    /** Null when equal to vendor_event_id (Stripe events and snapshots tie-break on it). */
    versionTiebreak: p.text().nullable(),
    /** Whether the write changed the row (last-write-wins) at the time. */
    won: p.boolean(),
  },
});

export type PaymentLineageRow = InferEntity<typeof PaymentLineageEntity>;
