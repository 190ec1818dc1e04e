import { Module } from '@nestjs/common';
import { IdempotencyPurge } from './idempotency.purge.js';
import { IdempotencyRepository } from './idempotency.repository.js';
import { IdempotencyService } from './idempotency.service.js';

/** Owns `api_idempotency`: replayed admin POSTs and the purge of expired keys. */
@Module({
  providers: [IdempotencyRepository, IdempotencyService, IdempotencyPurge],
  exports: [IdempotencyService, IdempotencyPurge],
})
export class IdempotencyModule {}
