import { Module } from '@nestjs/common';
import { HubspotModule } from '../connectors/hubspot/hubspot.module.js';
import { RecordsModule } from '../records/records.module.js';
import { RevenueController } from './revenue.controller.js';
import { RevenueService } from './revenue.service.js';
import { RevenueVerifier } from './revenue.verifier.js';
import { TimeZoneCatalog } from './time-zone.catalog.js';
import { TimeZoneRepository } from './time-zone.repository.js';

/** Revenue figures cut from the ledger (read through RecordsModule); owns no table. */
@Module({
  imports: [RecordsModule, HubspotModule],
  controllers: [RevenueController],
  providers: [TimeZoneRepository, RevenueService, TimeZoneCatalog, RevenueVerifier],
  exports: [RevenueService, RevenueVerifier],
})
export class RevenueModule {}
