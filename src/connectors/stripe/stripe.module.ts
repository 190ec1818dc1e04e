import { Module } from '@nestjs/common';
import { CommonModule } from '../../common/common.module.js';
import { OutboxModule } from '../../outbox/outbox.module.js';
import { RecordsModule } from '../../records/records.module.js';
import { RunsModule } from '../../runs/runs.module.js';
import { WebhooksModule } from '../../webhooks/webhooks.module.js';
import { StripeGateway } from './stripe.gateway.js';
import { StripeOutboxHandler } from './stripe-outbox.handler.js';
import { StripeSyncDriver } from './stripe-sync.driver.js';
import { StripeWebhookController } from './stripe-webhook.controller.js';

/**
 * Stripe: webhook receipt, polling driver (registered with the runs module), and the outbox
 * handler (registered with the worker). The gateway creates its SDK client lazily, so a
 * deployment with only STRIPE_WEBHOOK_SECRET boots and takes webhooks without an API key.
 */
@Module({
  imports: [CommonModule, RecordsModule, OutboxModule, RunsModule, WebhooksModule],
  controllers: [StripeWebhookController],
  providers: [StripeGateway, StripeSyncDriver, StripeOutboxHandler],
  exports: [StripeGateway, StripeSyncDriver],
})
export class StripeModule {}
