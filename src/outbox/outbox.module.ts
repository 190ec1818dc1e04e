import { Module } from '@nestjs/common';
import { CommonModule } from '../common/common.module.js';
import { IdempotencyModule } from '../idempotency/idempotency.module.js';
import { ReconcilerModule } from '../reconciler/reconciler.module.js';
import { OutboxController } from './outbox.controller.js';
import { OutboxHandlerRegistry } from './outbox.handlers.js';
import { OutboxInsertRepository } from './outbox-insert.repository.js';
import { OutboxRepository } from './outbox.repository.js';
import { OutboxWorker } from './outbox.worker.js';

/**
 * Owns `ingest_outbox`: inserts (webhook receipts, sync pages), the worker that claims rows and
 * dispatches them to the handlers vendor modules register, and the admin endpoints.
 */
@Module({
  imports: [CommonModule, IdempotencyModule, ReconcilerModule],
  controllers: [OutboxController],
  providers: [OutboxRepository, OutboxInsertRepository, OutboxHandlerRegistry, OutboxWorker],
  exports: [OutboxRepository, OutboxInsertRepository, OutboxHandlerRegistry, OutboxWorker],
})
export class OutboxModule {}
