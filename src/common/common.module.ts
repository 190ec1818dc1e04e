import { Global, Module } from '@nestjs/common';
import { AdminKeyGuard, ApiKeyGuard } from './auth.guard.js';
import { IdempotencyRepository } from './idempotency.repository.js';
import { IdempotencyService } from './idempotency.service.js';
import { HttpMetrics } from './http.metrics.js';
import { IdempotencyPurge } from './idempotency.purge.js';

@Global()
@Module({
  providers: [ApiKeyGuard, AdminKeyGuard, IdempotencyRepository, IdempotencyService, HttpMetrics, IdempotencyPurge],
  exports: [ApiKeyGuard, AdminKeyGuard, IdempotencyRepository, IdempotencyService, HttpMetrics, IdempotencyPurge],
})
export class CommonModule {}
