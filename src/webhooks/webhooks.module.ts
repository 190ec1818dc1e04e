import { Module } from '@nestjs/common';
import { CommonModule } from '../common/common.module.js';
import { OutboxModule } from '../outbox/outbox.module.js';
import { WebhookReceiver } from './webhook-receiver.service.js';

/** Shared receipt path; each vendor module owns its own webhook controller and verifier. */
@Module({ imports: [CommonModule, OutboxModule], providers: [WebhookReceiver], exports: [WebhookReceiver] })
export class WebhooksModule {}
