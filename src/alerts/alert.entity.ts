import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { ALERT_CONDITIONS, ALERT_SEVERITIES, ALERT_STATES } from './alert.types.js';

/** alerts: one row per firing of a condition for a subject, resolved in place (migration 20261205001000). */
export const AlertEntity = defineEntity({
  name: 'Alert',
  tableName: 'alerts',
  properties: {
    id: p.bigint('string').primary(),
    condition: p.enum([...ALERT_CONDITIONS]),
    subject: p.text(),
    severity: p.enum([...ALERT_SEVERITIES]),
    state: p.enum([...ALERT_STATES]).default('firing'),
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
