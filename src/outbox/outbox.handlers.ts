import { Injectable } from '@nestjs/common';
import type { Database } from '../database/database.sql.js';
import type { OutboxKind, OutboxRow, RowOutcome } from './outbox.types.js';

export interface HandlerContext {
  db: Database;
  /** Records an unmapped raw status (counted on /metrics/unmapped-statuses via payments.status = UNKNOWN). */
  workerId: string;
}

/**
 * Turns claimed outbox rows of the kinds it owns into records. Must be idempotent (rows can be
 * processed twice after a crash) and order-independent (upserts are last-write-wins on version).
 * Returns an outcome for every row id it was given; a thrown error fails the whole batch as
 * transient and the worker retries the rows one by one to isolate a poison row.
 */
export interface OutboxHandler {
  readonly kinds: readonly OutboxKind[];
  handle(rows: OutboxRow[], ctx: HandlerContext): Promise<Map<string, RowOutcome>>;
}

/** Handlers register themselves here (onModuleInit); the worker dispatches by kind. */
@Injectable()
export class OutboxHandlerRegistry {
  private readonly byKind = new Map<OutboxKind, OutboxHandler>();

  register(handler: OutboxHandler): void {
    for (const k of handler.kinds) {
      if (this.byKind.has(k)) throw new Error(`two outbox handlers for kind ${k}`);
      this.byKind.set(k, handler);
    }
  }

  get(kind: OutboxKind): OutboxHandler | undefined {
    return this.byKind.get(kind);
  }
}
