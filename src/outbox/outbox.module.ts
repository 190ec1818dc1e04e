import { Module } from '@nestjs/common';
import { ReconcilerModule } from '../reconciler/reconciler.module.js';
import { OutboxController } from './outbox.controller.js';
import { OutboxRepository } from './outbox.repository.js';
import { OutboxWorker } from './outbox.worker.js';

/** The outbox worker (in-process unless WORKER=off), its admin endpoints and the orphan reconciler. */
@Module({
  imports: [ReconcilerModule],
  controllers: [OutboxController],
  providers: [OutboxRepository, OutboxWorker],
  exports: [OutboxRepository, OutboxWorker, ReconcilerModule],
})
export class OutboxModule {}
