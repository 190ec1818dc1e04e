import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { logger } from '../../common/app.logger.js';
import { APP_CONFIG, type AppConfig } from '../../config/app.config.js';
import { HubspotConnection } from './hubspot.connection.js';
import { HubspotPipelinesService, type RefreshOutcome } from './hubspot-pipelines.service.js';

const INTERVAL_NAME = 'hubspot:pipelines-refresh';
const FIRST_NAME = 'hubspot:pipelines-refresh-first';
/** After boot, once the rest of the app is up: the stored pipelines may be days old. */
const FIRST_DELAY_MS = 2_000;

/**
 * The periodic deal pipelines refresh (HUBSPOT_PIPELINES_REFRESH_S): how a probability or
 * "closed" change made in HubSpot reaches the ledger, since HubSpot sends no webhook for
 * pipelines. Every process with the scheduler on ticks; a refresh that changes nothing changes
 * nothing, and classification changes serialize on their own lock.
 */
@Injectable()
export class HubspotPipelinesRefresh implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly schedules: SchedulerRegistry,
    private readonly connection: HubspotConnection,
    private readonly pipelines: HubspotPipelinesService,
  ) {}

  onApplicationBootstrap(): void {
    const everyS = this.config.hubspot.pipelinesRefreshS;
    if (!this.config.scheduler.enabled || !this.connection.api || everyS <= 0) return;
    const handle = setInterval(() => void this.tick(), everyS * 1000);
    handle.unref();
    this.schedules.addInterval(INTERVAL_NAME, handle);
    const first = setTimeout(() => void this.tick(), FIRST_DELAY_MS);
    first.unref();
    this.schedules.addTimeout(FIRST_NAME, first);
    logger.info('hubspot pipelines refresh scheduled', { everyS });
  }

  onModuleDestroy(): void {
    if (this.schedules.doesExist('interval', INTERVAL_NAME)) this.schedules.deleteInterval(INTERVAL_NAME);
    if (this.schedules.doesExist('timeout', FIRST_NAME)) this.schedules.deleteTimeout(FIRST_NAME);
  }

  async tick(): Promise<RefreshOutcome | null> {
    try {
      return await this.pipelines.refresh('schedule');
    } catch (err) {
      logger.error('scheduled hubspot pipelines refresh failed', { err: (err as Error).message });
      return null;
    }
  }
}
