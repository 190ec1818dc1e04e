import { Module } from '@nestjs/common';
import { CommonModule } from '../common/common.module.js';
import { OutboxModule } from '../outbox/outbox.module.js';
import { ReconcilerModule } from '../reconciler/reconciler.module.js';
import { RunsModule } from '../runs/runs.module.js';
import { AlertDeliveryHandler } from './alert-delivery.handler.js';
import { AlertsController } from './alerts.controller.js';
import { METRIC_DRIFT_PROBE, MISSED_WEBHOOKS_PROBE, NO_METRIC_DRIFT, NO_MISSED_WEBHOOKS } from './alerts.probes.js';
import { AlertsRepository } from './alerts.repository.js';
import { AlertsService } from './alerts.service.js';

/**
 * Owns `alerts`: the evaluation (a periodic job of the scheduler role) that opens and resolves
 * them from what the owning modules report, the delivery handler the worker calls for the
 * `alert.delivery` outbox rows it queues, and GET /alerts.
 */
@Module({
  imports: [CommonModule, OutboxModule, RunsModule, ReconcilerModule],
  controllers: [AlertsController],
  providers: [
    AlertsRepository,
    AlertsService,
    AlertDeliveryHandler,
    { provide: MISSED_WEBHOOKS_PROBE, useValue: NO_MISSED_WEBHOOKS },
    { provide: METRIC_DRIFT_PROBE, useValue: NO_METRIC_DRIFT },
  ],
  exports: [AlertsService],
})
export class AlertsModule {}
