import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpMetrics } from '../common/http.metrics.js';
import { OutboxRepository } from '../outbox/outbox.repository.js';

/**
 * Gauges read from Postgres at scrape time rather than kept in memory, so every process (API or
 * worker) reports the same shared queue and a restarted one is right at its first scrape.
 */
@Injectable()
export class PipelineMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: HttpMetrics,
    private readonly outbox: OutboxRepository,
  ) {}

  onModuleInit(): void {
    this.metrics.onScrape(() => this.collectQueue());
  }

  private async collectQueue(): Promise<void> {
    // Stale depths are worse than none: if the database does not answer, the series go absent.
    this.metrics.resetGauge('buffalo_outbox_rows');
    this.metrics.resetGauge('buffalo_outbox_oldest_queued_age_seconds');
    const stats = await this.outbox.stats();
    for (const [source, counts] of Object.entries(stats.bySource)) {
      for (const [status, n] of Object.entries(counts))
        this.metrics.setGauge('buffalo_outbox_rows', { source, status }, n);
    }
    this.metrics.setGauge('buffalo_outbox_oldest_queued_age_seconds', {}, stats.oldestQueuedAgeS ?? 0);
  }
}
