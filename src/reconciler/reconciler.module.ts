import { Module } from '@nestjs/common';
import { CommonModule } from '../common/common.module.js';
import { IdempotencyModule } from '../idempotency/idempotency.module.js';
import { RecordsModule } from '../records/records.module.js';
import { OrphansRepository } from './orphans.repository.js';
import { ReconcilerService } from './reconciler.service.js';
import { ReconciliationController, ReconciliationQueryPipe } from './reconciliation.controller.js';
import { ReconciliationService } from './reconciliation.service.js';
import { SightingsRepository } from './sightings.repository.js';

/**
 * Owns `payment_orphans` and `orphan_events` (children whose parent is missing, their sweep and
 * its append-only audit) and `object_sightings` / `reconcile_push_marks` (which path saw each
 * vendor object first), with the reconciliation report built from them.
 */
@Module({
  imports: [CommonModule, RecordsModule, IdempotencyModule],
  controllers: [ReconciliationController],
  providers: [
    OrphansRepository,
    ReconcilerService,
    SightingsRepository,
    ReconciliationService,
    ReconciliationQueryPipe,
  ],
  exports: [OrphansRepository, ReconcilerService, SightingsRepository, ReconciliationService],
})
export class ReconcilerModule {}
