import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app.config.js';
import { PgLocks } from '../../database/database.locks.js';
import { logger } from '../../common/app.logger.js';
import { GcalChannelsService, type WatchedChannel } from './gcal-channels.service.js';
import { GcalConnection } from './gcal.connection.js';

export const RENEWAL_LOCK = 'buffalo:gcal:channel-renewal';
const DAY_MS = 86_400_000;

/** Renew when a channel has less than a day left, or half its TTL when channels are short-lived. */
export function renewalWindowMs(channelTtlS: number): number {
  return Math.min(DAY_MS, (channelTtlS * 1000) / 2);
}

/** Check often enough to act inside the window several times over, but not more than every 30 s. */
export function renewalEveryMs(channelTtlS: number): number {
  return Math.max(30_000, Math.min(600_000, Math.floor(renewalWindowMs(channelTtlS) / 4)));
}

/**
 * Keeps push channels alive: each pass (the `gcal:channel-renewal` periodic job) renews channels
 * close to expiry. Every scheduler process runs passes; a session advisory lock held for the
 * whole pass makes one of them do it.
 */
@Injectable()
export class GcalChannelRenewal {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly connection: GcalConnection,
    private readonly channels: GcalChannelsService,
    private readonly locks: PgLocks,
  ) {}

  /** Channels can only be opened (and so need renewing) with credentials and a public webhook URL. */
  enabled(): boolean {
    return this.connection.enabled && this.config.gcal.webhookUrl !== null;
  }

  /** One pass; null when another process is renewing. */
  async tick(): Promise<WatchedChannel[] | null> {
    try {
      const lock = await this.locks.tryAcquire(RENEWAL_LOCK);
      if (!lock) return null;
      try {
        const renewed = await this.channels.renewExpiring(renewalWindowMs(this.config.gcal.channelTtlS));
        if (renewed.length) logger.info('gcal channels renewed', { channels: renewed.map((c) => c.channelId) });
        return renewed;
      } finally {
        await lock.release();
      }
    } catch (err) {
      logger.error('gcal channel renewal pass failed', { err: (err as Error).message });
      return null;
    }
  }
}
