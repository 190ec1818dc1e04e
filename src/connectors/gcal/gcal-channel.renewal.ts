import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { APP_CONFIG, type AppConfig } from '../../config/app.config.js';
import { PgLocks } from '../../database/database.locks.js';
import { logger } from '../../common/app.logger.js';
import { GcalChannelsService, type WatchedChannel } from './gcal-channels.service.js';
import { GcalConnection } from './gcal.connection.js';

const INTERVAL_NAME = 'gcal:channel-renewal';
const RENEWAL_LOCK = 'buffalo:gcal:channel-renewal';
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
 * Keeps push channels alive: on an interval, renews channels close to expiry. Every process with
 * the scheduler on ticks; a session advisory lock held for the whole pass makes one of them do it.
 */
@Injectable()
export class GcalChannelRenewal implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly schedules: SchedulerRegistry,
    private readonly connection: GcalConnection,
    private readonly channels: GcalChannelsService,
    private readonly locks: PgLocks,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.scheduler.enabled || !this.connection.enabled || !this.config.gcal.webhookUrl) return;
    const everyMs = renewalEveryMs(this.config.gcal.channelTtlS);
    const handle = setInterval(() => void this.tick(), everyMs);
    handle.unref();
    this.schedules.addInterval(INTERVAL_NAME, handle);
    logger.info('gcal channel renewal scheduled', { everyMs, windowMs: renewalWindowMs(this.config.gcal.channelTtlS) });
  }

  onModuleDestroy(): void {
    if (this.schedules.doesExist('interval', INTERVAL_NAME)) this.schedules.deleteInterval(INTERVAL_NAME);
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
