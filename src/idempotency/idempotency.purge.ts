import { Injectable } from '@nestjs/common';
import { IdempotencyRepository } from './idempotency.repository.js';
import { logger } from '../common/app.logger.js';

const BATCH = 1000;

/**
 * Deletes expired Idempotency-Key records in batches (the `idempotency:purge` periodic job). Needs
 * no lock: two processes purging at once delete disjoint or already-deleted rows.
 */
@Injectable()
export class IdempotencyPurge {
  constructor(private readonly repo: IdempotencyRepository) {}

  async purge(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.repo.purgeExpired(BATCH);
      total += n;
      if (n < BATCH) break;
    }
    if (total) logger.info('expired idempotency keys purged', { count: total });
    return total;
  }
}
