import { Module } from '@nestjs/common';
import { RevenueController } from './revenue.controller.js';
import { RevenueRepository } from './revenue.repository.js';
import { RevenueService } from './revenue.service.js';
import { TimeZoneCatalog } from './time-zone.catalog.js';

@Module({
  controllers: [RevenueController],
  providers: [RevenueRepository, RevenueService, TimeZoneCatalog],
  exports: [RevenueService],
})
export class RevenueModule {}
