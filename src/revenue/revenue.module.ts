import { Module } from '@nestjs/common';
import { HubspotModule } from '../connectors/hubspot/hubspot.module.js';
import { RevenueController } from './revenue.controller.js';
import { RevenueQueryParser } from './revenue.query.js';
import { RevenueRepository } from './revenue.repository.js';
import { RevenueService } from './revenue.service.js';
import { TimeZoneCatalog } from './time-zone.catalog.js';

@Module({
  imports: [HubspotModule],
  controllers: [RevenueController],
  providers: [RevenueRepository, RevenueService, RevenueQueryParser, TimeZoneCatalog],
  exports: [RevenueService],
})
export class RevenueModule {}
