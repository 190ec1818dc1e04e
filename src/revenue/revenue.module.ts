import { Module } from '@nestjs/common';
import { CommonModule } from '../common/common.module.js';
import { HubspotModule } from '../connectors/hubspot/hubspot.module.js';
import { OutboxModule } from '../outbox/outbox.module.js';
import { RecordsModule } from '../records/records.module.js';
import { RevenueController } from './revenue.controller.js';
import { RevenueService } from './revenue.service.js';
import { RevenueTraceController } from './revenue-trace.controller.js';
import { RevenueTraceService } from './revenue-trace.service.js';
import { RevenueVerifier } from './revenue.verifier.js';

/**
 * Revenue figures cut from the ledger (read through RecordsModule), and their trace down to the
 * stored vendor events (whether a payload is still kept is asked of OutboxModule); owns no table.
 */
@Module({
  imports: [CommonModule, RecordsModule, HubspotModule, OutboxModule],
  controllers: [RevenueController, RevenueTraceController],
  providers: [RevenueService, RevenueVerifier, RevenueTraceService],
  exports: [RevenueService, RevenueVerifier],
})
export class RevenueModule {}
