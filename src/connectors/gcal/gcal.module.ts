import { Module } from '@nestjs/common';
import { EventsRepository } from '../../records/events.repository.js';
import { GcalAdminController } from './gcal-admin.controller.js';
import { GcalChannelRenewal } from './gcal-channel.renewal.js';
import { GcalChannelsRepository } from './gcal-channels.repository.js';
import { GcalChannelsService } from './gcal-channels.service.js';
import { GcalConnection } from './gcal.connection.js';
import { GcalEventHandler } from './gcal-event.handler.js';
import { GcalNotificationHandler } from './gcal-notification.handler.js';
import { GcalSyncCoverageRepository } from './gcal-sync-coverage.repository.js';
import { GcalSyncDriver } from './gcal-sync.driver.js';
import { GcalWebhookController } from './gcal-webhook.controller.js';

/** Google Calendar events: sync driver, outbox handlers, push channels and their webhook. */
@Module({
  controllers: [GcalWebhookController, GcalAdminController],
  providers: [
    GcalConnection,
    GcalSyncDriver,
    GcalEventHandler,
    GcalNotificationHandler,
    GcalChannelsRepository,
    GcalChannelsService,
    GcalChannelRenewal,
    GcalSyncCoverageRepository,
    EventsRepository,
  ],
  exports: [GcalConnection, EventsRepository, GcalChannelsService, GcalChannelRenewal],
})
export class GcalModule {}
