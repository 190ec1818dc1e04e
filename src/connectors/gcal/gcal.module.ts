import { Module } from '@nestjs/common';
import { CommonModule } from '../../common/common.module.js';
import { OutboxModule } from '../../outbox/outbox.module.js';
import { RecordsModule } from '../../records/records.module.js';
import { RunsModule } from '../../runs/runs.module.js';
import { WebhooksModule } from '../../webhooks/webhooks.module.js';
import { IdempotencyModule } from '../../idempotency/idempotency.module.js';
import { GcalAdminController } from './gcal-admin.controller.js';
import { GcalChannelRenewal } from './gcal-channel.renewal.js';
import { GcalChannelsRepository } from './gcal-channels.repository.js';
import { GcalChannelsService } from './gcal-channels.service.js';
import { GcalConnection } from './gcal.connection.js';
import { GcalEventHandler } from './gcal-event.handler.js';
import { GcalNotificationHandler } from './gcal-notification.handler.js';
import { GcalSyncDriver } from './gcal-sync.driver.js';
import { GcalWebhookController } from './gcal-webhook.controller.js';

/** Google Calendar events: sync driver, outbox handlers, push channels and their webhook. */
@Module({
  imports: [CommonModule, RecordsModule, OutboxModule, RunsModule, WebhooksModule, IdempotencyModule],
  controllers: [GcalWebhookController, GcalAdminController],
  providers: [
    GcalConnection,
    GcalSyncDriver,
    GcalEventHandler,
    GcalNotificationHandler,
    GcalChannelsRepository,
    GcalChannelsService,
    GcalChannelRenewal,
  ],
  exports: [GcalConnection, GcalChannelsService, GcalChannelRenewal],
})
export class GcalModule {}
