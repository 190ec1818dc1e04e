import { type DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { AlertsModule } from '../alerts/alerts.module.js';
import { AlertsService } from '../alerts/alerts.service.js';
import { IdempotencyModule } from '../idempotency/idempotency.module.js';
import { IdempotencyPurge } from '../idempotency/idempotency.purge.js';
import { GcalChannelRenewal } from '../connectors/gcal/gcal-channel.renewal.js';
import { GcalModule } from '../connectors/gcal/gcal.module.js';
import { HubspotPipelinesRefresh } from '../connectors/hubspot/hubspot-pipelines.refresh.js';
import { HubspotDeletionSweep } from '../connectors/hubspot/hubspot-deletions.sweep.js';
import { HubspotModule } from '../connectors/hubspot/hubspot.module.js';
import { OutboxModule } from '../outbox/outbox.module.js';
import { OutboxWorker } from '../outbox/outbox.worker.js';
import { ReconcilerModule } from '../reconciler/reconciler.module.js';
import { ReconcilerService } from '../reconciler/reconciler.service.js';
import { RevenueModule } from '../revenue/revenue.module.js';
import { RevenueVerifier } from '../revenue/revenue.verifier.js';
import { RunsModule } from '../runs/runs.module.js';
import { SyncScheduler } from '../runs/sync.scheduler.js';
import { JOB_OWNERS, JobScheduler, PROCESS_ROLES_TOKEN } from './job.scheduler.js';
import type { JobOwners } from './jobs.catalog.js';
import type { ProcessRole } from './process.roles.js';

/**
 * Background work of this process: the jobs of jobs.catalog.ts for the given roles, registered
 * with @nestjs/schedule, and the outbox claim loop. It imports the modules whose services the
 * jobs call; the work itself stays in them.
 */
@Module({})
export class SchedulingModule {
  static forRoot(roles: readonly ProcessRole[]): DynamicModule {
    return {
      module: SchedulingModule,
      imports: [
        ScheduleModule.forRoot(),
        RunsModule,
        OutboxModule,
        ReconcilerModule,
        IdempotencyModule,
        GcalModule,
        HubspotModule,
        RevenueModule,
        AlertsModule,
      ],
      providers: [
        { provide: PROCESS_ROLES_TOKEN, useValue: [...roles] },
        {
          provide: JOB_OWNERS,
          inject: [
            SyncScheduler,
            OutboxWorker,
            ReconcilerService,
            IdempotencyPurge,
            GcalChannelRenewal,
            HubspotPipelinesRefresh,
            HubspotDeletionSweep,
            RevenueVerifier,
            AlertsService,
          ],
          useFactory: (
            syncs: SyncScheduler,
            outbox: OutboxWorker,
            reconciler: ReconcilerService,
            idempotency: IdempotencyPurge,
            gcalChannels: GcalChannelRenewal,
            hubspotPipelines: HubspotPipelinesRefresh,
            hubspotDeletions: HubspotDeletionSweep,
            revenueVerifier: RevenueVerifier,
            alerts: AlertsService,
          ): JobOwners => ({
            syncs,
            outbox,
            reconciler,
            idempotency,
            gcalChannels,
            hubspotPipelines,
            hubspotDeletions,
            revenueVerifier,
            alerts,
          }),
        },
        JobScheduler,
      ],
      exports: [JobScheduler],
    };
  }
}
