import { Module } from '@nestjs/common';
import { AdminKeyGuard, ApiKeyGuard } from './auth.guard.js';
import { HttpMetrics } from './http.metrics.js';

/** Cross-cutting providers with no tables: API key guards and the metrics registry. */
@Module({
  providers: [ApiKeyGuard, AdminKeyGuard, HttpMetrics],
  exports: [ApiKeyGuard, AdminKeyGuard, HttpMetrics],
})
export class CommonModule {}
