import { Global, Module } from '@nestjs/common';
import { OutboxHandlerRegistry } from './outbox-handler.js';
import { SyncDriverRegistry } from '../runs/sync-driver.js';
import { PaymentsRepository } from '../records/payments.repository.js';

/** Registries that vendor modules plug into (handlers by outbox kind, sync drivers by source). */
@Global()
@Module({
  providers: [OutboxHandlerRegistry, SyncDriverRegistry, PaymentsRepository],
  exports: [OutboxHandlerRegistry, SyncDriverRegistry, PaymentsRepository],
})
export class PipelineModule {}
