import { isDbUnavailable } from '../database/database.sql.js';
import type { OutboxInsert } from '../outbox/outbox.types.js';

/** What one caller's events became: new rows, or copies of events stored before (or earlier in the same batch). */
export interface GroupedOutcome {
  inserted: number;
  duplicates: number;
}

/** Stores rows in one autocommit statement and says which dedupe keys were new (as given). */
export type BatchWrite = (rows: OutboxInsert[]) => Promise<{ insertedKeys: Set<string> }>;

export interface GroupCommitOptions {
  /** A batch closes at this many rows; the rest wait for the next one. */
  maxRows: number;
  /** Batches written at once: while they are in flight, arrivals gather into the next one. */
  maxInFlight: number;
}

interface Waiter {
  rows: OutboxInsert[];
  resolve(o: GroupedOutcome): void;
  reject(err: unknown): void;
}

/**
 * Group commit for webhook receipts: concurrent receipts share one multi-row INSERT, so one
 * statement and one WAL flush (fsync on) answer many requests. There is no timer: a batch leaves
 * as soon as a write slot is free, and under load the arrivals that queue behind the writes in
 * flight form the next batch, so an idle server adds no latency and a busy one batches by itself.
 * Every caller is resolved only after the statement that holds its rows has committed.
 *
 * One instance per source (dedupe keys are unique per source). Within a batch the first copy of a
 * dedupe key, in arrival order, is the stored one and every later copy is answered as a duplicate,
 * exactly as if the requests had been stored one after the other.
 *
 * A batch that fails because the database is unavailable fails every caller (503, the vendor
 * retries). Any other failure may be one caller's poison (a row the statement refuses): the
 * batch's callers are then written one by one, so only that caller gets its 503.
 */
export class GroupCommit {
  private readonly queue: Waiter[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly write: BatchWrite,
    private readonly opts: GroupCommitOptions,
  ) {}

  submit(rows: OutboxInsert[]): Promise<GroupedOutcome> {
    if (rows.length === 0) return Promise.resolve({ inserted: 0, duplicates: 0 });
    return new Promise<GroupedOutcome>((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
      this.schedule();
    });
  }

  /** Arrivals of the same tick join the batch: it leaves on setImmediate, not synchronously. */
  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.opts.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.opts.maxInFlight && this.queue.length > 0) {
      const batch: Waiter[] = [];
      let n = 0;
      while (this.queue.length > 0 && (batch.length === 0 || n + this.queue[0].rows.length <= this.opts.maxRows)) {
        const w = this.queue.shift()!;
        batch.push(w);
        n += w.rows.length;
      }
      this.inFlight++;
      void this.writeBatch(batch).finally(() => {
        this.inFlight--;
        this.schedule();
      });
    }
  }

  private async writeBatch(batch: Waiter[]): Promise<void> {
    let insertedKeys: Set<string>;
    try {
      ({ insertedKeys } = await this.write(batch.flatMap((w) => w.rows)));
    } catch (err) {
      if (batch.length === 1 || isDbUnavailable(err)) {
        for (const w of batch) w.reject(err);
        return;
      }
      await Promise.all(batch.map((w) => this.writeBatch([w])));
      return;
    }
    // The first copy of each new key, in arrival order, is the one that was stored.
    const unclaimed = insertedKeys;
    for (const w of batch) {
      let inserted = 0;
      for (const r of w.rows) {
        if (unclaimed.delete(r.dedupeKey)) inserted++;
      }
      w.resolve({ inserted, duplicates: w.rows.length - inserted });
    }
  }
}
