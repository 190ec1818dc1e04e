import { Global, Module } from '@nestjs/common';
import { OutboxHandlerRegistry } from './outbox.handlers.js';
import { SyncDriverRegistry } from '../runs/sync.drivers.js';
import { PaymentsRepository } from '../records/payments.repository.js';

/** Registries that vendor modules plug into (handlers by outbox kind, sync drivers by source). */
@Global()
@Module({
  providers: [OutboxHandlerRegistry, SyncDriverRegistry, PaymentsRepository],
  exports: [OutboxHandlerRegistry, SyncDriverRegistry, PaymentsRepository],
})
export class PipelineModule {}
