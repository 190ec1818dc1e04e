import { Module } from '@nestjs/common';
import { AdminKeyGuard, ApiKeyGuard } from './auth.guard.js';
import { HttpMetrics } from './http.metrics.js';
import { TimeZoneCatalog } from './time-zone.catalog.js';

/** Cross-cutting providers with no tables: API key guards, the metrics registry and the time zone check. */
@Module({
  providers: [ApiKeyGuard, AdminKeyGuard, HttpMetrics, TimeZoneCatalog],
  exports: [ApiKeyGuard, AdminKeyGuard, HttpMetrics, TimeZoneCatalog],
})
export class CommonModule {}
