import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app.config.js';
import { IdempotencyRepository } from './idempotency.repository.js';
import { logger } from '../common/app.logger.js';

const EVERY_MS = 3_600_000;

/** Deletes expired Idempotency-Key records hourly, in batches (any process may do it: deletes are idempotent). */
@Injectable()
export class IdempotencyPurge implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly repo: IdempotencyRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.scheduler.enabled) return;
    this.timer = setInterval(() => void this.purge().catch((err) => logger.warn('idempotency purge failed', { err: (err as Error).message })), EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async purge(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.repo.purgeExpired(1000);
      total += n;
      if (n < 1000) break;
    }
    if (total) logger.info('expired idempotency keys purged', { count: total });
    return total;
  }
}
