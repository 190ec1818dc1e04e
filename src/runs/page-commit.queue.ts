import type { OutboxInsert } from '../outbox/outbox.types.js';
import type { SyncContext } from './sync.drivers.js';

/** Pages fetched ahead of the commit in flight, at most: with 100-object pages, a few hundred objects in memory. */
export const MAX_PAGES_AHEAD = 4;

/**
 * Commits a driver's pages in order, one transaction at a time, while the driver keeps fetching:
 * pages added while a commit is in flight wait and then go together in the next transaction
 * (their rows in page order, the last page's cursor). `add` returns at once unless
 * MAX_PAGES_AHEAD pages already wait; it throws the first commit failure, after which nothing more
 * is committed (a failed group is retried page by page first, so the pages before a bad one stay). `drain` waits for everything added to be committed (or for that failure).
 */
export class PageCommitQueue {
  private waiting: { rows: OutboxInsert[]; cursor: unknown }[] = [];
  private inFlight: Promise<void> | null = null;
  private failure: { error: unknown } | null = null;

  constructor(private readonly ctx: Pick<SyncContext, 'commitPage'>) {}

  async add(rows: OutboxInsert[], cursor: unknown): Promise<void> {
    this.throwIfFailed();
    this.waiting.push({ rows, cursor });
    this.kick();
    while (this.inFlight && this.waiting.length >= MAX_PAGES_AHEAD) await this.inFlight;
    this.throwIfFailed();
  }

  async drain(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    this.throwIfFailed();
  }

  private kick(): void {
    if (this.inFlight || this.failure || this.waiting.length === 0) return;
    const group = this.waiting;
    this.waiting = [];
    this.inFlight = this.commitGroup(group).then(
      () => {
        this.inFlight = null;
        this.kick();
      },
      (error: unknown) => {
        this.inFlight = null;
        this.failure = { error };
        this.waiting = [];
      },
    );
  }

  /**
   * One transaction for the group; if it fails, its pages one by one, so a page that cannot be
   * stored stops the run exactly where it would have without grouping: every page before it kept.
   */
  private async commitGroup(group: { rows: OutboxInsert[]; cursor: unknown }[]): Promise<void> {
    if (group.length === 1) {
      await this.ctx.commitPage(group[0].rows, group[0].cursor, 1);
      return;
    }
    try {
      await this.ctx.commitPage(
        group.flatMap((p) => p.rows),
        group[group.length - 1].cursor,
        group.length,
      );
    } catch {
      for (const page of group) await this.ctx.commitPage(page.rows, page.cursor, 1);
    }
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
