import { defineEntity, p } from '@mikro-orm/core';

/**
 * payment_rollups: counted ledger figures per (currency, source, UTC quarter-hour slot), kept by
 * triggers on payments in the same transaction as every ledger write (migration 20261201001000;
 * the triggers are not expressible here and are proven by test/db/revenue-rollups.db.test.ts).
 */
export const PaymentRollupEntity = defineEntity({
  name: 'PaymentRollup',
  tableName: 'payment_rollups',
  checks: [{ name: 'payment_rollups_grain_check', expression: "grain IN ('q','h')" }],
  properties: {
    currency: p.character().length(3).primary(),
    /** A source, or '*' for all sources together. */
    source: p.text().primary(),
    /** 'q' quarter-hour, 'h' hour. */
    grain: p.character().length(1).primary(),
    slot: p.datetime().primary(),
    grossCents: p.bigint('string').defaultRaw('0'),
    refundsCents: p.bigint('string').defaultRaw('0'),
    grossCount: p.integer().default(0),
    refundCount: p.integer().default(0),
  },
});

/** revenue_drift: what the revenue verifier found when rollups and ledger disagreed. */
export const RevenueDriftEntity = defineEntity({
  name: 'RevenueDrift',
  tableName: 'revenue_drift',
  properties: {
    id: p.bigint('string').primary(),
    detectedAt: p.datetime().defaultRaw('now()'),
    resolvedAt: p.datetime().nullable(),
    mismatches: p.integer(),
    sample: p.json<unknown>(),
  },
  indexes: [{ name: 'revenue_drift_open', properties: ['detectedAt'], where: 'resolved_at IS NULL' }],
});
