import { Injectable } from '@nestjs/common';
import { Database, isDbUnavailable } from '../database/database.sql.js';
import { OutboxInsertRepository } from '../outbox/outbox-insert.repository.js';
import type { OutboxInsert } from '../outbox/outbox.types.js';
import { AppError } from '../common/app.errors.js';
import { HttpMetrics } from '../common/http.metrics.js';
import { logger } from '../common/app.logger.js';
import { GroupCommit } from './webhook.group-commit.js';

/**
 * Group commit sizing: a batch closes at 500 rows; two batches are written at once so one is
 * always gathering while the other commits (more would only queue on the same WAL flush).
 */
const GROUP_COMMIT = { maxRows: 500, maxInFlight: 2 };

/** A webhook we could not store or check: 503 with Retry-After, so the vendor delivers it again. */
export function vendorMustRetry(err: unknown, message: string): AppError {
  return new AppError(
    503,
    isDbUnavailable(err) ? 'database_unavailable' : 'storage_failed',
    message,
    {},
    { 'Retry-After': '5' },
  );
}

export interface Receipt {
  received: true;
  type: string;
  duplicate: boolean;
  /** For batched webhooks (HubSpot): how many of the events were new. */
  stored?: number;
}

/**
 * The whole of webhook receipt after signature verification: store raw events in the outbox and
 * answer only after their commit. Concurrent receipts of a source share one INSERT and one commit
 * (GroupCommit); a caller's own events are always in the same statement, so they are stored
 * atomically. Any failure to store is a 503 so the vendor retries; nothing is processed here.
 */
@Injectable()
export class WebhookReceiver {
  constructor(
    private readonly db: Database,
    private readonly outbox: OutboxInsertRepository,
    private readonly metrics: HttpMetrics,
  ) {}

  private readonly groups = new Map<string, GroupCommit>();

  private group(source: string): GroupCommit {
    let g = this.groups.get(source);
    if (!g) {
      g = new GroupCommit((rows) => this.outbox.insertMany(this.db, rows), GROUP_COMMIT);
      this.groups.set(source, g);
    }
    return g;
  }

  /** `batch`: the vendor posts several events at once (HubSpot), so the receipt also says how many were new. */
  async store(type: string, events: OutboxInsert[], opts: { batch?: boolean } = {}): Promise<Receipt> {
    try {
      const source = events[0]?.source ?? 'unknown';
      const res = await this.group(source).submit(events);
      this.metrics.inc(
        'buffalo_webhooks_received_total',
        { source, duplicate: String(res.inserted === 0) },
        1,
        'Webhook deliveries stored',
      );
      return {
        received: true,
        type,
        duplicate: events.length > 0 && res.inserted === 0,
        ...(opts.batch ? { stored: res.inserted } : {}),
      };
    } catch (err) {
      logger.error('webhook could not be stored', { err: (err as Error)?.message, unavailable: isDbUnavailable(err) });
      throw vendorMustRetry(err, 'The event could not be stored; retry later.');
    }
  }
}
