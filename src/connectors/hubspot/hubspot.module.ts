import { Module } from '@nestjs/common';
import { ContactsRepository } from '../../records/contacts.repository.js';
import { DealTombstonesRepository } from './deal-tombstones.repository.js';
import { HubspotConnection } from './hubspot.connection.js';
import { HubspotRecordsHandler } from './hubspot-records.handler.js';
import { HubspotSyncDriver } from './hubspot-sync.driver.js';
import { HubspotWebhookController } from './hubspot-webhook.controller.js';
import { HubspotWebhookHandler } from './hubspot-webhook.handler.js';

/** HubSpot deals and contacts: sync driver, outbox handlers and the webhook endpoint. */
@Module({
  controllers: [HubspotWebhookController],
  providers: [HubspotConnection, HubspotSyncDriver, HubspotRecordsHandler, HubspotWebhookHandler, ContactsRepository, DealTombstonesRepository],
  exports: [HubspotConnection, ContactsRepository],
})
export class HubspotModule {}
