import { Module } from '@nestjs/common';
import { CommonModule } from '../common/common.module.js';
import { IdempotencyModule } from '../idempotency/idempotency.module.js';
import { OutboxModule } from '../outbox/outbox.module.js';
import { RunsController } from './runs.controller.js';
import { RunsRepository } from './runs.repository.js';
import { RunsService } from './runs.service.js';
import { RunsWorker } from './runs.worker.js';
import { SyncCoverageRepository } from './sync-coverage.repository.js';
import { SyncDriverRegistry } from './sync.drivers.js';
import { SyncScheduler } from './sync.scheduler.js';

/** Owns `sync_runs` and `sync_cursors`: triggers, the run queue and its workers, the schedule, and the drivers vendor modules register. */
@Module({
  imports: [CommonModule, IdempotencyModule, OutboxModule],
  controllers: [RunsController],
  providers: [RunsRepository, RunsService, RunsWorker, SyncScheduler, SyncDriverRegistry, SyncCoverageRepository],
  exports: [RunsRepository, RunsService, SyncScheduler, SyncDriverRegistry, SyncCoverageRepository],
})
export class RunsModule {}
