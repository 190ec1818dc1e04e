import { Module } from '@nestjs/common';
import { HubspotModule } from '../connectors/hubspot/hubspot.module.js';
import { RecordsModule } from '../records/records.module.js';
import { RevenueController } from './revenue.controller.js';
import { RevenueQueryParser } from './revenue.query.js';
import { RevenueService } from './revenue.service.js';
import { TimeZoneCatalog } from './time-zone.catalog.js';
import { TimeZoneRepository } from './time-zone.repository.js';

/** Revenue figures cut from the ledger (read through RecordsModule); owns no table. */
@Module({
  imports: [RecordsModule, HubspotModule],
  controllers: [RevenueController],
  providers: [TimeZoneRepository, RevenueService, RevenueQueryParser, TimeZoneCatalog],
  exports: [RevenueService],
})
export class RevenueModule {}
