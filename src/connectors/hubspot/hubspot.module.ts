import { Module } from '@nestjs/common';
import { ContactsRepository } from '../../records/contacts.repository.js';
import { DealTombstonesRepository } from './deal-tombstones.repository.js';
import { HubspotConnection } from './hubspot.connection.js';
import { HubspotPipelinesRefresh } from './hubspot-pipelines.refresh.js';
import { HubspotPipelinesRepository } from './hubspot-pipelines.repository.js';
import { HubspotPipelinesService } from './hubspot-pipelines.service.js';
import { HubspotRecordsHandler } from './hubspot-records.handler.js';
import { HubspotSyncDriver } from './hubspot-sync.driver.js';
import { HubspotWebhookController } from './hubspot-webhook.controller.js';
import { HubspotWebhookHandler } from './hubspot-webhook.handler.js';

/** HubSpot deals and contacts: sync driver, outbox handlers and the webhook endpoint; deal pipelines and their stages. */
@Module({
  controllers: [HubspotWebhookController],
  providers: [
    HubspotConnection,
    HubspotSyncDriver,
    HubspotRecordsHandler,
    HubspotWebhookHandler,
    ContactsRepository,
    DealTombstonesRepository,
    HubspotPipelinesRepository,
    HubspotPipelinesService,
    HubspotPipelinesRefresh,
  ],
  exports: [HubspotConnection, ContactsRepository, HubspotPipelinesService],
})
export class HubspotModule {}
