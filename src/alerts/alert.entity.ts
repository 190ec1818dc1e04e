import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** alerts: one row per firing of a condition for a subject, resolved in place (migration 20261205001000). */
export const AlertEntity = defineEntity({
  name: 'Alert',
  tableName: 'alerts',
  properties: {
    id: p.bigint('string').primary(),
    condition: p.enum([
      'run_failed',
      'dead_letters',
      'outbox_lag',
      'cursor_expired',
      'orphan_given_up',
      'missed_webhooks',
      'metric_drift',
    ]),
    subject: p.text(),
    severity: p.enum(['warning', 'critical']),
    state: p.enum(['firing', 'resolved']).default('firing'),
    summary: p.text(),
    details: p.json<Record<string, unknown>>(),
    firedAt: p.datetime().defaultRaw('now()'),
    resolvedAt: p.datetime().nullable(),
  },
  uniques: [
    // A partial unique index, not a constraint: one open alert per condition and subject.
    { name: 'alerts_open', properties: ['condition', 'subject'], where: `state = 'firing'` },
  ],
  indexes: [
    {
      name: 'alerts_state_id',
      properties: ['state', 'id'],
      columns: [{ name: 'state' }, { name: 'id', sort: 'DESC' }],
    },
  ],
});

export type AlertRecord = InferEntity<typeof AlertEntity>;
