import { Module } from '@nestjs/common';
import { CommonModule } from '../common/common.module.js';
import { HubspotModule } from '../connectors/hubspot/hubspot.module.js';
import { RecordsModule } from '../records/records.module.js';
import { RevenueController } from './revenue.controller.js';
import { RevenueService } from './revenue.service.js';
import { RevenueVerifier } from './revenue.verifier.js';

/** Revenue figures cut from the ledger (read through RecordsModule); owns no table. */
@Module({
  imports: [CommonModule, RecordsModule, HubspotModule],
  controllers: [RevenueController],
  providers: [RevenueService, RevenueVerifier],
  exports: [RevenueService, RevenueVerifier],
})
export class RevenueModule {}
