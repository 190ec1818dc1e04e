import { Module } from '@nestjs/common';
import { CommonModule } from '../common/common.module.js';
import { RecordsModule } from '../records/records.module.js';
import { OrphansRepository } from './orphans.repository.js';
import { ReconcilerService } from './reconciler.service.js';

/** Owns `payment_orphans`: children whose parent is missing from the ledger, and their sweep. */
@Module({
  imports: [CommonModule, RecordsModule],
  providers: [OrphansRepository, ReconcilerService],
  exports: [OrphansRepository, ReconcilerService],
})
export class ReconcilerModule {}
