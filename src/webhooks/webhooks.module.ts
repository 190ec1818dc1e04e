import { Global, Module } from '@nestjs/common';
import { OutboxInsertRepository } from '../outbox/outbox-insert.repository.js';
import { WebhookReceiver } from './webhook-receiver.service.js';

/** Shared receipt path; each vendor module owns its own webhook controller and verifier. */
@Global()
@Module({ providers: [OutboxInsertRepository, WebhookReceiver], exports: [OutboxInsertRepository, WebhookReceiver] })
export class WebhooksModule {}
