import { Injectable } from '@nestjs/common';
import type { OutboxInsert } from '../outbox/outbox.types.js';
import type { Source } from '../records/record.types.js';

export type SyncMode = 'incremental' | 'full';

/**
 * Classified connector failure (each vendor's error mapper produces these).
 *  transient     network, 5xx, 429 after retries: run fails/partial, cursor kept, retried next time
 *  auth          401/403: run fails, cursor NEVER wiped
 *  stale_cursor  cursor no longer valid (Stripe >30 d events, GCal 410): wipe this cursor, full resync
 *  permanent     anything else we cannot retry our way out of
 */
export type SyncErrorClass = 'transient' | 'auth' | 'stale_cursor' | 'permanent';

export class SyncError extends Error {
  constructor(
    readonly errorClass: SyncErrorClass,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface PageCommit {
  inserted: number;
  duplicates: number;
}

/** What the run executor hands a driver for one (source, entity) run, under that entity's lock. */
export interface SyncContext {
  readonly runId: string;
  readonly source: Source;
  readonly entity: string;
  readonly mode: SyncMode;
  /** Cursor stored before the run (null when none); drivers ignore it in full mode. */
  readonly cursor: unknown | null;
  /** Aborted on shutdown: stop between pages. */
  readonly signal: AbortSignal;
  /**
   * Commits one page (or `pages` consecutive pages together): inserts the outbox rows and stores
   * `nextCursor` (if not undefined) in ONE transaction, then bumps the run's counts (pagesFetched
   * by `pages`, recordsFetched = rows.length, recordsUpserted = inserted, recordsDeduped = duplicates).
   */
  commitPage(rows: OutboxInsert[], nextCursor?: unknown, pages?: number): Promise<PageCommit>;
  /** Stores a cursor without rows (e.g. the final syncToken on an empty last page). */
  saveCursor(cursor: unknown): Promise<void>;
  /** Deletes the stored cursor (stale cursor → full resync). Never call it for auth errors. */
  clearCursor(): Promise<void>;
  markStaleCursor(): void;
  markFullBackfill(): void;
  noteUnmappedStatus(rawStatus: string): void;
  noteFailed(n?: number): void;
  progress(message: string, fields?: Record<string, unknown>): void;
}

/**
 * One per vendor. Each entity gets its own run, cursor and lock (e.g. stripe: charges, refunds;
 * hubspot: deals, contacts; gcal: one entity per calendar or 'events').
 */
export interface SyncDriver {
  readonly source: Source;
  entities(): string[];
  /** Has polling credentials. */
  enabled(): boolean;
  sync(ctx: SyncContext): Promise<void>;
}

/** Drivers register with the runs module (onModuleInit). */
@Injectable()
export class SyncDriverRegistry {
  private readonly drivers = new Map<Source, SyncDriver>();
  register(d: SyncDriver): void {
    this.drivers.set(d.source, d);
  }
  get(source: Source): SyncDriver | undefined {
    return this.drivers.get(source);
  }
  all(): SyncDriver[] {
    return [...this.drivers.values()];
  }
}
