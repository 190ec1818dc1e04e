import { type DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from './config/app.config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';
import { OutboxModule } from './outbox/outbox.module.js';
import { RunsModule } from './runs/runs.module.js';
import { RevenueModule } from './revenue/revenue.module.js';
import { ReconcilerModule } from './reconciler/reconciler.module.js';
import { HubspotModule } from './connectors/hubspot/hubspot.module.js';
import { GcalModule } from './connectors/gcal/gcal.module.js';
import { StripeModule } from './connectors/stripe/stripe.module.js';
import { DashboardModule } from './dashboard/dashboard.module.js';
import { SchedulingModule } from './scheduling/scheduling.module.js';
import { AlertsModule } from './alerts/alerts.module.js';
import { apiRoles, type ProcessRole } from './scheduling/process.roles.js';

@Module({})
export class AppModule {
  /** `roles` decide the background work (src/scheduling/jobs.catalog.ts); by default those of `npm start`. */
  static forRoot(config: AppConfig, roles: readonly ProcessRole[] = apiRoles(config)): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        HealthModule,
        WebhooksModule,
        RunsModule,
        // feature modules (one line each)
        OutboxModule,
        RevenueModule,
        ReconcilerModule,
        HubspotModule,
        GcalModule,
        StripeModule,
        DashboardModule,
        AlertsModule,
        SchedulingModule.forRoot(roles),
      ],
    };
  }
}
