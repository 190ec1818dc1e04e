import { Inject, Injectable } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../../config/app.config.js';
import { Database } from '../../database/database.sql.js';
import { PgLocks } from '../../database/database.locks.js';
import { AppError } from '../../common/app.errors.js';
import { logger } from '../../common/app.logger.js';
import { GcalChannelsRepository, type GcalChannel } from './gcal-channels.repository.js';
import { GcalConnection } from './gcal.connection.js';
import { classifyGcalError } from './gcal.errors.js';

export interface WatchedChannel {
  calendarId: string;
  channelId: string;
  resourceId: string;
  expiration: string;
}

const LOCK_WAIT_MS = 5_000;

export const watchLockName = (calendarId: string) => `gcal:watch:${calendarId}`;

/**
 * Opens and renews Google push channels. Renewing = open a new channel, store it, then stop the
 * calendar's older ones (Google has no "extend"): notifications never have a gap, and for a
 * moment both channels may deliver, which the sync debounce absorbs. One calendar is renewed by
 * one process at a time (advisory lock), so two renewals never stop each other's channel.
 */
@Injectable()
export class GcalChannelsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly connection: GcalConnection,
    private readonly channels: GcalChannelsRepository,
    private readonly db: Database,
    private readonly locks: PgLocks,
  ) {}

  /** Opens (or renews) one channel per calendar; throws AppError with a client-facing code. */
  async watch(calendarIds: readonly string[]): Promise<WatchedChannel[]> {
    const out: WatchedChannel[] = [];
    for (const calendarId of calendarIds) {
      const lock = await this.acquireWithin(watchLockName(calendarId), LOCK_WAIT_MS);
      if (!lock)
        throw new AppError(
          409,
          'watch_in_progress',
          `A channel for ${calendarId} is being opened or renewed right now; retry shortly.`,
        );
      try {
        out.push(await this.renew(calendarId));
      } finally {
        await lock.release();
      }
    }
    return out;
  }

  /**
   * Renews every calendar whose newest open channel expires within `withinMs` (expired ones
   * included). Calendars nobody asked to watch are left alone. Returns the renewed channels.
   */
  async renewExpiring(withinMs: number): Promise<WatchedChannel[]> {
    const deadline = Date.now() + withinMs;
    const newest = new Map<string, GcalChannel>();
    for (const c of await this.channels.open(this.db)) if (!newest.has(c.calendarId)) newest.set(c.calendarId, c);
    const renewed: WatchedChannel[] = [];
    for (const [calendarId, channel] of newest) {
      if (channel.expiration.getTime() > deadline || !this.connection.calendarIds.includes(calendarId)) continue;
      const lock = await this.locks.tryAcquire(watchLockName(calendarId));
      if (!lock) continue;
      try {
        renewed.push(await this.renew(calendarId));
      } catch (err) {
        logger.error('gcal channel renewal failed', {
          calendarId,
          channelId: channel.channelId,
          err: (err as Error).message,
        });
      } finally {
        await lock.release();
      }
    }
    return renewed;
  }

  /** A concurrent renewal takes well under a second: wait for it rather than failing the request. */
  private async acquireWithin(name: string, ms: number) {
    const deadline = Date.now() + ms;
    for (;;) {
      const lock = await this.locks.tryAcquire(name);
      if (lock || Date.now() > deadline) return lock;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async renew(calendarId: string): Promise<WatchedChannel> {
    const client = this.connection.client;
    const address = this.config.gcal.webhookUrl;
    if (!client)
      throw new AppError(
        400,
        'source_not_enabled',
        'gcal is not configured (set GCAL_SERVICE_ACCOUNT_JSON and GCAL_CALENDAR_IDS).',
        { source: 'gcal' },
      );
    if (!address)
      throw new AppError(
        400,
        'gcal_webhook_url_missing',
        'GCAL_WEBHOOK_URL must be set to the public HTTPS URL of POST /webhooks/gcal before channels can be opened.',
      );
    const previous = await this.channels.open(this.db, calendarId);
    const channelId = randomUUID();
    const token = randomBytes(32).toString('base64url');
    const ttlS = this.config.gcal.channelTtlS;
    // Stored before asking Google: its `sync` message can arrive before the watch call returns.
    await this.channels.insert(this.db, {
      channelId,
      calendarId,
      token,
      resourceId: null,
      expiration: new Date(Date.now() + ttlS * 1000),
    });
    let opened;
    try {
      opened = await client.watch({ calendarId, channelId, token, address, ttlS });
    } catch (err) {
      await this.channels.delete(this.db, channelId).catch(() => undefined);
      throw upstreamError(err, calendarId);
    }
    await this.channels.confirm(this.db, channelId, opened.resourceId || null, opened.expiration);
    for (const old of previous) {
      // Best effort: a channel Google already dropped (expired) answers 404, and an old channel
      // that keeps sending is refused by the webhook once marked stopped here.
      await client.stopChannel(old.channelId, old.resourceId).catch((err) =>
        logger.warn('gcal channel stop failed', {
          calendarId,
          channelId: old.channelId,
          err: (err as Error).message,
        }),
      );
    }
    await this.channels.markStopped(
      this.db,
      previous.map((c) => c.channelId),
    );
    logger.info('gcal channel opened', {
      calendarId,
      channelId,
      expiration: opened.expiration.toISOString(),
      replaced: previous.length,
    });
    return { calendarId, channelId, resourceId: opened.resourceId, expiration: opened.expiration.toISOString() };
  }
}

function upstreamError(err: unknown, calendarId: string): AppError {
  const e = classifyGcalError(err);
  if (e.errorClass === 'auth')
    return new AppError(502, 'gcal_auth_failed', `Google refused our credentials for ${calendarId}: ${e.message}`);
  return new AppError(
    502,
    'gcal_unavailable',
    `Google Calendar could not open a channel for ${calendarId}: ${e.message}`,
  );
}
