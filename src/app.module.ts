import { type DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import type { AppConfig } from './config/app.config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';
import { OutboxModule } from './outbox/outbox.module.js';
import { RunsModule } from './runs/runs.module.js';
import { RevenueModule } from './revenue/revenue.module.js';
import { HubspotModule } from './connectors/hubspot/hubspot.module.js';
import { GcalModule } from './connectors/gcal/gcal.module.js';
import { StripeModule } from './connectors/stripe/stripe.module.js';

/** Role of this process: the API also runs the worker and scheduler unless switched off. */
export interface AppRole {
  http: boolean;
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, _role: AppRole = { http: true }): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        ScheduleModule.forRoot(),
        HealthModule,
        WebhooksModule,
        RunsModule,
        // feature modules (one line each)
        OutboxModule,
        RevenueModule,
        HubspotModule,
        GcalModule,
        StripeModule,
      ],
    };
  }
}
