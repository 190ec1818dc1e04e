import { keyMatches } from '../../common/auth.guard.js';
import type { OutboxInsert } from '../../outbox/outbox.types.js';

export const RESOURCE_STATES = ['sync', 'exists', 'not_exists'] as const;
export type ResourceState = (typeof RESOURCE_STATES)[number];

/** Outbox payload of kind 'gcal.notification': the push headers, plus the calendar we resolved from our channel row. */
export interface GcalNotificationPayload {
  channelId: string;
  calendarId: string;
  resourceState: ResourceState;
  messageNumber: string;
  resourceId: string | null;
  resourceUri: string | null;
  channelExpiration: string | null;
}

/** Redeliveries of one message on one channel are the same event. */
export function notificationInsert(p: GcalNotificationPayload): OutboxInsert {
  return {
    source: 'gcal',
    kind: 'gcal.notification',
    dedupeKey: `${p.channelId}:${p.messageNumber}`,
    origin: 'webhook',
    eventType: `notification.${p.resourceState}`,
    payload: p,
    vendorTime: null,
  };
}

/** The API keys' constant-time compare; an unknown channel still pays for one comparison. */
export function channelTokenMatches(presented: string, stored: string | null): boolean {
  return keyMatches(presented, [stored ?? '\u0000no-channel']) && stored !== null;
}
