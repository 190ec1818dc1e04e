import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { APP_CONFIG, type AppConfig } from '../config/app.config.js';
import { logger } from '../common/app.logger.js';
import { isAppError } from '../common/app.errors.js';
import { pollableSources } from '../health/health.sources.js';
import type { Source } from '../records/record.types.js';
import { SyncDriverRegistry } from './sync.drivers.js';
import { RunsService } from './runs.service.js';

const SWEEP_INTERVAL_MS = 60_000;

/**
 * Hands out work on a timer and nothing else: a tick only triggers an incremental run. Every
 * process with the scheduler on ticks; the per-entity advisory lock turns the extra ticks into
 * `skipped` runs instead of parallel syncs, so no leader election is needed.
 */
@Injectable()
export class SyncScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly names: string[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly schedules: SchedulerRegistry,
    private readonly drivers: SyncDriverRegistry,
    private readonly runs: RunsService,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.scheduler.enabled) return;
    // Drivers register in onModuleInit, so by now every vendor module has plugged in.
    for (const source of pollableSources(this.config)) {
      const everyS = this.intervalS(source);
      if (everyS <= 0 || !this.drivers.get(source)?.enabled()) continue;
      this.add(`sync:${source}`, everyS * 1000, () => this.tick(source));
      logger.info('sync scheduled', { source, everyS });
    }
    this.add('sync:abandoned-sweep', SWEEP_INTERVAL_MS, () => this.sweep());
  }

  onModuleDestroy(): void {
    for (const name of this.names.splice(0)) {
      if (this.schedules.doesExist('interval', name)) this.schedules.deleteInterval(name);
    }
  }

  /** One scheduled firing: trigger and return; the runs report their own outcome. */
  async tick(source: Source): Promise<void> {
    try {
      await this.runs.trigger(source, 'incremental', { trigger: 'schedule' });
    } catch (err) {
      if (isAppError(err) && err.code === 'shutting_down') return;
      logger.error('scheduled sync could not be queued', { source, err: (err as Error)?.message });
    }
  }

  async sweep(): Promise<void> {
    await this.runs.sweepAbandoned().catch((err) => logger.error('abandoned-run sweep failed', { err: (err as Error)?.message }));
  }

  private intervalS(source: Source): number {
    return source === 'stripe' ? this.config.stripe.syncIntervalS : source === 'hubspot' ? this.config.hubspot.syncIntervalS : this.config.gcal.syncIntervalS;
  }

  private add(name: string, everyMs: number, fn: () => Promise<void>): void {
    const handle = setInterval(() => void fn(), everyMs);
    handle.unref();
    this.schedules.addInterval(name, handle);
    this.names.push(name);
  }
}
