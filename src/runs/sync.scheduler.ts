import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app.config.js';
import { logger } from '../common/app.logger.js';
import { pollableSources } from '../config/config.sources.js';
import type { Source } from '../records/record.types.js';
import { SyncDriverRegistry } from './sync.drivers.js';
import { RunsService } from './runs.service.js';
import { isRunRefused } from './run.errors.js';

/**
 * What the scheduling module runs for sync runs (src/scheduling/jobs.catalog.ts registers it). A
 * tick only hands out work: it queues an incremental run. Every scheduler process ticks; the
 * per-entity advisory lock turns the extra ticks into `skipped` runs instead of parallel syncs,
 * so no leader election is needed. The run-claim loop runs in processes with the worker role.
 */
@Injectable()
export class SyncScheduler {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly drivers: SyncDriverRegistry,
    private readonly runs: RunsService,
  ) {}

  /** Polling needs credentials and a connector; drivers register in onModuleInit, so ask after it. */
  canPoll(source: Source): boolean {
    return pollableSources(this.config).includes(source) && this.drivers.get(source)?.enabled() === true;
  }

  /** One scheduled firing: trigger and return; the runs report their own outcome. */
  async tick(source: Source): Promise<void> {
    try {
      await this.runs.trigger(source, 'incremental', { trigger: 'schedule' });
    } catch (err) {
      if (isRunRefused(err, 'shutting_down')) return;
      logger.error('scheduled sync could not be queued', { source, err: (err as Error)?.message });
    }
  }

  /** Runs whose process stopped go back to the queue (or fail after too many attempts); unclaimed ones fail. */
  async sweepAbandoned(): Promise<{ requeued: string[]; failed: string[] }> {
    return this.runs.sweepAbandoned();
  }

  /** The run-claim loop of a worker process: from bootstrap to shutdown. */
  startClaiming(): Promise<void> {
    return this.runs.startClaiming();
  }

  /** Stops claiming; runs in flight stop between pages and go back to the queue. */
  stopClaiming(): Promise<void> {
    return this.runs.shutdown();
  }
}
