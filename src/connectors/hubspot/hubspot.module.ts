import { Module } from '@nestjs/common';
import { CommonModule } from '../../common/common.module.js';
import { OutboxModule } from '../../outbox/outbox.module.js';
import { RecordsModule } from '../../records/records.module.js';
import { RunsModule } from '../../runs/runs.module.js';
import { WebhooksModule } from '../../webhooks/webhooks.module.js';
import { HubspotConnection } from './hubspot.connection.js';
import { HubspotDeletionSweep } from './hubspot-deletions.sweep.js';
import { HubspotPipelinesRefresh } from './hubspot-pipelines.refresh.js';
import { HubspotPipelinesRepository } from './hubspot-pipelines.repository.js';
import { HubspotPipelinesService } from './hubspot-pipelines.service.js';
import { HubspotRecordsHandler } from './hubspot-records.handler.js';
import { HubspotSyncDriver } from './hubspot-sync.driver.js';
import { HubspotWebhookController } from './hubspot-webhook.controller.js';
import { HubspotWebhookHandler } from './hubspot-webhook.handler.js';

/**
 * HubSpot deals and contacts: sync driver, outbox handlers and the webhook endpoint; deal pipelines
 * and their stages; the sweep that heals deletions whose webhook was lost.
 */
@Module({
  imports: [CommonModule, RecordsModule, OutboxModule, RunsModule, WebhooksModule],
  controllers: [HubspotWebhookController],
  providers: [
    HubspotConnection,
    HubspotSyncDriver,
    HubspotRecordsHandler,
    HubspotWebhookHandler,
    HubspotPipelinesRepository,
    HubspotPipelinesService,
    HubspotPipelinesRefresh,
    HubspotDeletionSweep,
  ],
  exports: [HubspotConnection, HubspotPipelinesService, HubspotPipelinesRefresh, HubspotDeletionSweep],
})
export class HubspotModule {}
