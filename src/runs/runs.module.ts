import { Global, Module } from '@nestjs/common';
import { RunsController } from './runs.controller.js';
import { RunsRepository } from './runs.repository.js';
import { RunsService } from './runs.service.js';
import { SyncScheduler } from './sync.scheduler.js';

/** Global so vendor webhook handlers (HubSpot, Google Calendar) can call RunsService.trigger. */
@Global()
@Module({
  controllers: [RunsController],
  providers: [RunsRepository, RunsService, SyncScheduler],
  exports: [RunsRepository, RunsService, SyncScheduler],
})
export class RunsModule {}
