import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** gcal_channels: the push channels we opened, live until stopped or expired (migration 20261121000000). */
export const GcalChannelEntity = defineEntity({
  name: 'GcalChannel',
  tableName: 'gcal_channels',
  properties: {
    channelId: p.text().primary(),
    calendarId: p.text(),
    token: p.text(),
    resourceId: p.text().nullable(),
    expiration: p.datetime(),
    createdAt: p.datetime().defaultRaw('now()'),
    stoppedAt: p.datetime().nullable(),
  },
  indexes: [
    {
      name: 'gcal_channels_calendar',
      properties: ['calendarId', 'expiration'],
      columns: [{ name: 'calendar_id' }, { name: 'expiration', sort: 'DESC' }],
      where: 'stopped_at IS NULL',
    },
  ],
});

export type GcalChannelRecord = InferEntity<typeof GcalChannelEntity>;
