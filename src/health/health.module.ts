import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CommonModule } from '../common/common.module.js';
import { HubspotModule } from '../connectors/hubspot/hubspot.module.js';
import { OutboxModule } from '../outbox/outbox.module.js';
import { RunsModule } from '../runs/runs.module.js';
import { DbHealthIndicator } from './db.indicator.js';
import { HealthController } from './health.controller.js';
import { PipelineMetrics } from './metrics.collectors.js';
import { MetricsServer } from './metrics.server.js';
import { ReadinessCheck } from './readiness.check.js';
import { VendorSyncHealthIndicator } from './vendor-sync.indicator.js';

/** Liveness, readiness (Terminus indicators over the database and each vendor's runs) and metrics. */
@Module({
  imports: [TerminusModule, CommonModule, RunsModule, OutboxModule, HubspotModule],
  controllers: [HealthController],
  providers: [DbHealthIndicator, VendorSyncHealthIndicator, ReadinessCheck, PipelineMetrics, MetricsServer],
  exports: [MetricsServer],
})
export class HealthModule {}
