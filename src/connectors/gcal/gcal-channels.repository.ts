import { Injectable } from '@nestjs/common';
import { sql as raw } from '@mikro-orm/core';
import type { Sql } from '../../database/database.sql.js';
import { GcalChannelEntity, type GcalChannelRecord } from './gcal-channel.entity.js';

export interface GcalChannel {
  channelId: string;
  calendarId: string;
  /** Our shared secret for this channel; Google echoes it in X-Goog-Channel-Token. */
  token: string;
  resourceId: string | null;
  expiration: Date;
  createdAt: Date;
  stoppedAt: Date | null;
}

function toChannel(r: GcalChannelRecord): GcalChannel {
  return {
    channelId: r.channelId,
    calendarId: r.calendarId,
    token: r.token,
    resourceId: r.resourceId ?? null,
    expiration: r.expiration,
    createdAt: r.createdAt,
    stoppedAt: r.stoppedAt ?? null,
  };
}

/**
 * gcal_channels: the push channels we opened, live until stopped (by renewal) or expired. Reads skip
 * the identity map: in a caller's transaction it can hold rows the native updates here changed since.
 */
@Injectable()
export class GcalChannelsRepository {
  async find(sql: Sql, channelId: string): Promise<GcalChannel | null> {
    const row = await sql.em.findOne(GcalChannelEntity, { channelId }, { disableIdentityMap: true });
    return row ? toChannel(row) : null;
  }

  async insert(
    sql: Sql,
    c: Pick<GcalChannel, 'channelId' | 'calendarId' | 'token' | 'resourceId' | 'expiration'>,
  ): Promise<void> {
    await sql.em.insert(GcalChannelEntity, {
      channelId: c.channelId,
      calendarId: c.calendarId,
      token: c.token,
      resourceId: c.resourceId,
      expiration: c.expiration,
    });
  }

  /** Google's answer to watch: the watched resource and the expiry it granted. */
  async confirm(sql: Sql, channelId: string, resourceId: string | null, expiration: Date): Promise<void> {
    await sql.em.nativeUpdate(GcalChannelEntity, { channelId }, { resourceId, expiration });
  }

  async delete(sql: Sql, channelId: string): Promise<void> {
    await sql.em.nativeDelete(GcalChannelEntity, { channelId });
  }

  /** Channels not stopped yet (expired ones included: they still need a replacement). */
  async open(sql: Sql, calendarId?: string): Promise<GcalChannel[]> {
    const rows = await sql.em.find(
      GcalChannelEntity,
      { stoppedAt: null, ...(calendarId === undefined ? {} : { calendarId }) },
      { orderBy: [{ calendarId: 'asc' }, { expiration: 'desc' }], disableIdentityMap: true },
    );
    return rows.map(toChannel);
  }

  async markStopped(sql: Sql, channelIds: readonly string[]): Promise<void> {
    if (channelIds.length === 0) return;
    await sql.em.nativeUpdate(
      GcalChannelEntity,
      { channelId: { $in: [...channelIds] }, stoppedAt: null },
      { stoppedAt: raw.now() },
    );
  }
}
