import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** api_idempotency: Idempotency-Key records of admin POSTs, kept 24 h (migration 20261121000000). */
export const IdempotencyKeyEntity = defineEntity({
  name: 'IdempotencyKey',
  tableName: 'api_idempotency',
  properties: {
    key: p.text().primary(),
    method: p.text(),
    route: p.text(),
    bodyHash: p.text(),
    state: p.enum(['in_progress', 'done']).default('in_progress'),
    responseStatus: p.integer().nullable(),
    responseBody: p.json<unknown>().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    // Written as Postgres prints `now() + interval '24 hours'` back, which the schema diff compares verbatim.
    expiresAt: p.datetime().defaultRaw(`(now() + '24:00:00'::interval)`),
  },
  indexes: [{ name: 'api_idempotency_expires', properties: ['expiresAt'] }],
});

export type IdempotencyKeyRecord = InferEntity<typeof IdempotencyKeyEntity>;
