import { PageCommitQueue } from '../../runs/page-commit.queue.js';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app.config.js';
import type { OutboxInsert } from '../../outbox/outbox.types.js';
import { SyncDriverRegistry, SyncError, type SyncContext, type SyncDriver } from '../../runs/sync.drivers.js';
import {
  afterPage,
  eventsCursorIsStale,
  eventsFullPlan,
  fullPlan,
  incrementalPlan,
  parseCursor,
  resyncPlan,
  type StripeCursor,
  type StripeListName,
} from './stripe.cursor.js';
import { StripeGateway } from './stripe.gateway.js';
import { eventRow, snapshotRow, unmappedStatus } from './stripe.outbox-rows.js';
import type { Json } from './stripe.payload.js';

export const STRIPE_ENTITIES = ['charges', 'refunds', 'events'] as const;
type Entity = (typeof STRIPE_ENTITIES)[number];

/**
 * Stripe polling, one cursor per entity:
 *  charges, refunds  created-windowed lists (new objects), overlap STRIPE_OVERLAP_S for same-second writes;
 *  events            the Events API as a change feed: captures, refunds and disputes of OLD charges;
 *                    its full mode (and first run) also lists every dispute, which no other list has.
 * Every page goes to the outbox together with the cursor position (ctx.commitPage), so a crash
 * between pages resumes where it stopped and loses nothing. Auth errors propagate untouched: the
 * cursor is never wiped for them. A stale Events cursor (older than Stripe's 30-day retention, or
 * unreadable) is cleared and replaced by a full resync of charges, refunds and disputes plus every
 * retained event.
 */
@Injectable()
export class StripeSyncDriver implements SyncDriver, OnModuleInit {
  readonly source = 'stripe' as const;
  /** Unix seconds; a seam for tests that need a different "now". */
  now: () => number = () => Math.floor(Date.now() / 1000);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly gateway: StripeGateway,
    private readonly registry: SyncDriverRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  entities(): string[] {
    return [...STRIPE_ENTITIES];
  }

  enabled(): boolean {
    return this.gateway.enabled;
  }

  async sync(ctx: SyncContext): Promise<void> {
    const entity = ctx.entity as Entity;
    if (!STRIPE_ENTITIES.includes(entity)) throw new SyncError('permanent', `unknown stripe entity ${ctx.entity}`);
    if (entity === 'events') return this.syncEvents(ctx);
    return this.syncObjects(ctx, entity);
  }

  private async syncObjects(ctx: SyncContext, list: 'charges' | 'refunds'): Promise<void> {
    let stored = parseCursor(ctx.cursor);
    if (stored === 'invalid') {
      ctx.progress('stripe cursor unreadable: starting over with a full backfill', { cursor: ctx.cursor });
      await ctx.clearCursor();
      ctx.markStaleCursor();
      stored = null;
    }
    const now = this.now();
    if (ctx.mode === 'full' || !stored || (stored.watermark === null && !stored.plan)) {
      ctx.markFullBackfill();
      await this.runPlan(ctx, { v: 1, watermark: stored?.watermark ?? null, plan: fullPlan(list, now) });
      return;
    }
    let cursor = stored;
    if (cursor.plan) {
      if (cursor.plan.passes.some((p) => p.gte === null)) ctx.markFullBackfill();
      ctx.progress('resuming an interrupted stripe window', { plan: cursor.plan });
      cursor = await this.runPlan(ctx, cursor);
    }
    await this.runPlan(ctx, {
      ...cursor,
      plan: incrementalPlan(list, cursor.watermark ?? 0, this.config.stripe.overlapS, this.now()),
    });
  }

  private async syncEvents(ctx: SyncContext): Promise<void> {
    const overlap = this.config.stripe.overlapS;
    const stored = parseCursor(ctx.cursor);
    const now = this.now();
    if (stored === 'invalid' || (stored && ctx.mode === 'incremental' && eventsCursorIsStale(stored, overlap, now))) {
      return this.resync(
        ctx,
        stored === 'invalid' ? 'unreadable cursor' : 'cursor older than Stripe keeps events (30 days)',
      );
    }
    try {
      if (ctx.mode === 'full' || !stored || (stored.watermark === null && !stored.plan)) {
        ctx.markFullBackfill();
        await this.runPlan(ctx, { v: 1, watermark: stored?.watermark ?? null, plan: eventsFullPlan(now) });
        return;
      }
      let cursor = stored;
      if (cursor.plan) {
        if (cursor.plan.resync || cursor.plan.passes.some((p) => p.gte === null)) ctx.markFullBackfill();
        cursor = await this.runPlan(ctx, cursor);
      }
      await this.runPlan(ctx, {
        ...cursor,
        plan: incrementalPlan('events', cursor.watermark ?? 0, overlap, this.now()),
      });
    } catch (err) {
      // The event we paged from has expired out of Stripe's retention mid-window.
      if (err instanceof SyncError && err.errorClass === 'stale_cursor' && !ctx.signal.aborted)
        return this.resync(ctx, err.message);
      throw err;
    }
  }

  private async resync(ctx: SyncContext, reason: string): Promise<void> {
    ctx.progress('stripe events cursor is stale: full resync of charges, refunds, disputes and events', { reason });
    await ctx.clearCursor();
    ctx.markStaleCursor();
    ctx.markFullBackfill();
    await this.runPlan(ctx, { v: 1, watermark: null, plan: resyncPlan(this.now()) });
  }

  /**
   * Pages through every pass of the plan, committing rows + position in page order; returns the
   * final cursor. Fetching never waits for the database: pages that arrive while a commit is in
   * flight are committed together by the next one (at most MAX_PAGES_AHEAD of them wait, which
   * bounds memory), so a backfill runs at the vendor's pace, not at vendor plus database, and a
   * slow fsync costs fewer, larger commits rather than idle requests. A group's cursor is its last
   * page's, so the cursor still advances only with its rows; a failed commit stops the run before
   * anything later is committed, and a failed fetch waits for the pages before it to commit.
   */
  private async runPlan(ctx: SyncContext, start: StripeCursor): Promise<StripeCursor> {
    let cursor = start;
    const pageSize = this.config.stripe.pageSize;
    const commits = new PageCommitQueue(ctx);
    try {
      while (cursor.plan) {
        if (ctx.signal.aborted) throw new SyncError('transient', 'stopped between pages by shutdown');
        const pass = cursor.plan.passes[0];
        let page;
        try {
          page = await this.gateway.listPage(pass, pageSize, ctx.signal);
        } catch (err) {
          // An object list anchor that vanished: restart this pass (dedupe keys absorb the re-read).
          if (
            err instanceof SyncError &&
            err.errorClass === 'stale_cursor' &&
            pass.list !== 'events' &&
            pass.startingAfter
          ) {
            ctx.progress('stripe pagination anchor vanished; restarting the pass', {
              list: pass.list,
              startingAfter: pass.startingAfter,
            });
            cursor = {
              ...cursor,
              plan: { ...cursor.plan, passes: [{ ...pass, startingAfter: null }, ...cursor.plan.passes.slice(1)] },
            };
            continue;
          }
          throw err;
        }
        const rows = this.toRows(ctx, pass.list, page.data);
        const next = afterPage(cursor, {
          lastId: page.data.length ? String(page.data[page.data.length - 1].id) : null,
          hasMore: page.hasMore,
        });
        await commits.add(rows, next);
        cursor = next;
      }
    } finally {
      // Also on a failed fetch: the pages before it are committed (or a commit's failure wins) first.
      await commits.drain();
    }
    return cursor;
  }

  private toRows(ctx: SyncContext, list: StripeListName, objects: Json[]): OutboxInsert[] {
    const fetchedAt = new Date();
    const rows: OutboxInsert[] = [];
    for (const o of objects) {
      const target = list === 'events' ? ((o.data as Json | undefined)?.object as Json | undefined) : o;
      const unmapped = target ? unmappedStatus(target) : null;
      if (unmapped) ctx.noteUnmappedStatus(unmapped);
      if (list === 'events') {
        if (typeof o.id !== 'string' || typeof o.type !== 'string' || typeof o.created !== 'number') {
          ctx.noteFailed();
          continue;
        }
        rows.push(eventRow(o as unknown as { id: string; type: string; created: number }, 'poll'));
      } else {
        if (typeof o.id !== 'string') {
          ctx.noteFailed();
          continue;
        }
        rows.push(snapshotRow(o, fetchedAt));
      }
    }
    return rows;
  }
}
