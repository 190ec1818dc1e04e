import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * object_sightings: which path (webhook, poll) first saw each vendor object, and whether the other
 * ever did (migration 20261207001000).
 */
export const ObjectSightingEntity = defineEntity({
  name: 'ObjectSighting',
  tableName: 'object_sightings',
  properties: {
    source: p.text().primary(),
    objectType: p.text().primary(),
    externalId: p.text().primary(),
    /** Google Calendar: the calendar id (push notifications are per calendar). */
    scope: p.text().nullable(),
    vendorCreatedAt: p.datetime(),
    createdExact: p.boolean().default(false),
    firstWebhookAt: p.datetime().nullable(),
    firstPollAt: p.datetime().nullable(),
    firstPath: p.enum(['webhook', 'poll']),
  },
  primaryKeys: ['source', 'objectType', 'externalId'],
  checks: [
    {
      name: 'object_sightings_seen_check',
      expression: 'first_webhook_at IS NOT NULL OR first_poll_at IS NOT NULL',
    },
  ],
  indexes: [
    {
      name: 'object_sightings_created',
      properties: ['source', 'vendorCreatedAt'],
      include: ['firstWebhookAt', 'firstPollAt'],
    },
    {
      name: 'object_sightings_poll_first',
      properties: ['source', 'vendorCreatedAt', 'objectType', 'externalId'],
      where: 'first_poll_at IS NOT NULL AND (first_webhook_at IS NULL OR first_webhook_at > first_poll_at)',
    },
    {
      name: 'object_sightings_unannounced',
      properties: ['scope', 'firstPollAt'],
      where: 'scope IS NOT NULL AND first_webhook_at IS NULL',
    },
  ],
});

export type ObjectSightingRecord = InferEntity<typeof ObjectSightingEntity>;

/** reconcile_push_marks: the last push notification per (source, calendar) (migration 20261207001000). */
export const PushMarkEntity = defineEntity({
  name: 'PushMark',
  tableName: 'reconcile_push_marks',
  properties: {
    source: p.text().primary(),
    scope: p.text().primary(),
    lastNotifiedAt: p.datetime(),
  },
  primaryKeys: ['source', 'scope'],
});
