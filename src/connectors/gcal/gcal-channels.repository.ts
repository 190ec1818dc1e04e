import { Injectable } from '@nestjs/common';
import type { Sql } from '../../database/database.sql.js';

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

function toChannel(r: Record<string, any>): GcalChannel {
  return {
    channelId: r.channel_id,
    calendarId: r.calendar_id,
    token: r.token,
    resourceId: r.resource_id,
    expiration: new Date(r.expiration),
    createdAt: new Date(r.created_at),
    stoppedAt: r.stopped_at ? new Date(r.stopped_at) : null,
  };
}

/** gcal_channels: the push channels we opened, live until stopped (by renewal) or expired. */
@Injectable()
export class GcalChannelsRepository {
  async find(sql: Sql, channelId: string): Promise<GcalChannel | null> {
    const rows = await sql.query(`SELECT * FROM gcal_channels WHERE channel_id = $1`, [channelId]);
    return rows.length ? toChannel(rows[0]) : null;
  }

  async insert(sql: Sql, c: Pick<GcalChannel, 'channelId' | 'calendarId' | 'token' | 'resourceId' | 'expiration'>): Promise<void> {
    await sql.query(`INSERT INTO gcal_channels (channel_id, calendar_id, token, resource_id, expiration) VALUES ($1, $2, $3, $4, $5)`, [
      c.channelId,
      c.calendarId,
      c.token,
      c.resourceId,
      c.expiration.toISOString(),
    ]);
  }

  /** Google's answer to watch: the watched resource and the expiry it granted. */
  async confirm(sql: Sql, channelId: string, resourceId: string | null, expiration: Date): Promise<void> {
    await sql.query(`UPDATE gcal_channels SET resource_id = $2, expiration = $3 WHERE channel_id = $1`, [channelId, resourceId, expiration.toISOString()]);
  }

  async delete(sql: Sql, channelId: string): Promise<void> {
    await sql.query(`DELETE FROM gcal_channels WHERE channel_id = $1`, [channelId]);
  }

  /** Channels not stopped yet (expired ones included: they still need a replacement). */
  async open(sql: Sql, calendarId?: string): Promise<GcalChannel[]> {
    const rows = await sql.query(
      `SELECT * FROM gcal_channels WHERE stopped_at IS NULL AND ($1::text IS NULL OR calendar_id = $1) ORDER BY calendar_id, expiration DESC`,
      [calendarId ?? null],
    );
    return rows.map(toChannel);
  }

  async markStopped(sql: Sql, channelIds: readonly string[]): Promise<void> {
    if (channelIds.length === 0) return;
    await sql.query(`UPDATE gcal_channels SET stopped_at = now() WHERE channel_id = ANY($1::text[]) AND stopped_at IS NULL`, [channelIds]);
  }
}
