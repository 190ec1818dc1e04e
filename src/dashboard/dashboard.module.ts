import { Module } from '@nestjs/common';
import { DashboardController } from './dashboard.controller.js';

/** The operator dashboard at GET /dashboard: a static page that calls the public API; owns no table. */
@Module({
  controllers: [DashboardController],
})
export class DashboardModule {}
