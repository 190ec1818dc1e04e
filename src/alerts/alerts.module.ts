import { Module } from '@nestjs/common';
import { CommonModule } from '../common/common.module.js';
import { Database } from '../database/database.sql.js';
import { OutboxModule } from '../outbox/outbox.module.js';
import { ReconcilerModule } from '../reconciler/reconciler.module.js';
import { ReconciliationService } from '../reconciler/reconciliation.service.js';
import { LedgerFiguresRepository } from '../records/ledger-figures.repository.js';
import { RecordsModule } from '../records/records.module.js';
import { RunsModule } from '../runs/runs.module.js';
import { AlertDeliveryHandler } from './alert-delivery.handler.js';
import { AlertsController } from './alerts.controller.js';
import { METRIC_DRIFT_PROBE, MISSED_WEBHOOKS_PROBE, type MetricDriftProbe } from './alerts.probes.js';
import { AlertsRepository } from './alerts.repository.js';
import { AlertsService } from './alerts.service.js';

/**
 * Owns `alerts`: the evaluation (a periodic job of the scheduler role) that opens and resolves
 * them from what the owning modules report, the delivery handler the worker calls for the
 * `alert.delivery` outbox rows it queues, and GET /alerts.
 */
@Module({
  imports: [CommonModule, OutboxModule, RunsModule, ReconcilerModule, RecordsModule],
  controllers: [AlertsController],
  providers: [
    AlertsRepository,
    AlertsService,
    AlertDeliveryHandler,
    // The reconciliation report's missed webhooks of the last 24 h, per source.
    { provide: MISSED_WEBHOOKS_PROBE, useExisting: ReconciliationService },
    // The revenue verifier's findings live in records (revenue_drift).
    {
      provide: METRIC_DRIFT_PROBE,
      inject: [LedgerFiguresRepository, Database],
      useFactory: (ledger: LedgerFiguresRepository, db: Database): MetricDriftProbe => ({
        driftOpen: () => ledger.driftOpen(db),
      }),
    },
  ],
  exports: [AlertsService],
})
export class AlertsModule {}
