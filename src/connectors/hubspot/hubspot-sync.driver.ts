import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app.config.js';
import { SyncDriverRegistry, SyncError, type SyncContext, type SyncDriver } from '../../runs/sync.drivers.js';
import type { HubspotApi, Page } from './hubspot.api.js';
import { HubspotConnection } from './hubspot.connection.js';
import { decide, forwardQuery, maxPosition, parseCursor, tieQuery, toCursor, type Position } from './hubspot.cursor.js';
import { classifyHubspotError, toSyncError } from './hubspot.errors.js';
import { snapshotInsert } from './hubspot.mappers.js';
import { HubspotPipelinesService } from './hubspot-pipelines.service.js';
import {
  ENTITY_SPECS,
  HUBSPOT_ENTITIES,
  type EntitySpec,
  type HubspotEntity,
  type HubspotObject,
} from './hubspot.types.js';

/** HubSpot's list endpoints return at most 100 objects per page; search takes up to 200. */
const LIST_PAGE_MAX = 100;
/**
 * After a full listing the incremental cursor restarts this long before the listing began: objects
 * modified while we walked the id-ordered list may sit behind our position, and our clock may be
 * ahead of HubSpot's.
 */
const FULL_RESYNC_MARGIN_MS = 5 * 60_000;

/**
 * HubSpot deals and contacts, each its own run, cursor and lock.
 *  incremental  CRM search on the last-modified property, keyset-paged by (modified, id): see
 *               hubspot-cursor.ts. Starts HUBSPOT_SEARCH_LOOKBACK_S behind the cursor because the
 *               search index lags writes; re-read objects are outbox duplicates, never new work.
 *  full         list endpoints, live then archived (archived = deletions); the list `after`
 *               token lives only inside the run, and the cursor is set once, at the end.
 * Search never returns archived objects, so deletions reach us through webhooks and full runs.
 * A full deals run first refreshes the deal pipelines (their stages decide what counts).
 * Without a stored cursor an incremental run does a full backfill; an unreadable cursor is
 * reported stale (the run executor wipes it and resyncs in full). Auth errors keep the cursor.
 */
@Injectable()
export class HubspotSyncDriver implements SyncDriver, OnModuleInit {
  readonly source = 'hubspot' as const;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: SyncDriverRegistry,
    private readonly connection: HubspotConnection,
    private readonly pipelines: HubspotPipelinesService,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  entities(): string[] {
    return [...HUBSPOT_ENTITIES];
  }

  enabled(): boolean {
    return this.connection.api !== null;
  }

  async sync(ctx: SyncContext): Promise<void> {
    const api = this.connection.api;
    if (!api) throw new SyncError('auth', 'HUBSPOT_ACCESS_TOKEN is not set.');
    if (!(HUBSPOT_ENTITIES as readonly string[]).includes(ctx.entity))
      throw new SyncError('permanent', `unknown HubSpot entity "${ctx.entity}"`);
    const spec = ENTITY_SPECS[ctx.entity as HubspotEntity];
    if (ctx.mode === 'full') {
      ctx.markFullBackfill();
      return this.full(ctx, api, spec);
    }
    if (ctx.cursor === null || ctx.cursor === undefined) {
      ctx.markFullBackfill();
      ctx.progress('no HubSpot cursor yet: full backfill', { entity: spec.entity });
      return this.full(ctx, api, spec);
    }
    const from = parseCursor(ctx.cursor);
    if (!from)
      throw new SyncError('stale_cursor', `stored ${spec.entity} cursor is not a (lastModified, lastId) position`);
    return this.incremental(ctx, api, spec, from);
  }

  private async incremental(ctx: SyncContext, api: HubspotApi, spec: EntitySpec, stored: Position): Promise<void> {
    const limit = this.config.hubspot.pageSize;
    const lookbackMs = this.config.hubspot.searchLookbackS * 1000;
    let pos: Position = lookbackMs > 0 ? { ms: Math.max(0, stored.ms - lookbackMs), id: 0n } : stored;
    let committed = stored;
    let kind: 'forward' | 'ties' = 'forward';
    const visited = new Set<string>();
    while (!ctx.signal.aborted) {
      const step = `${kind}:${pos.ms}:${pos.id}`;
      // decide() always moves forward; a repeat means the vendor broke its own ordering.
      if (visited.has(step)) throw new SyncError('permanent', `HubSpot search made no progress at ${step}`);
      visited.add(step);
      const query = kind === 'forward' ? forwardQuery(spec, pos, limit) : tieQuery(spec, pos, limit);
      const page = await this.fetch(() => api.search(spec.entity, query), query.after);
      const d = decide(kind, pos, page.results, limit, spec);
      committed = maxPosition(committed, d.next);
      await this.noteStatuses(ctx, spec, d.emit);
      await ctx.commitPage(
        d.emit.map((o) => snapshotInsert(spec.entity, o, 'poll', ctx.runId)),
        toCursor(committed),
      );
      if (d.then === 'done') return;
      pos = d.next;
      kind = d.then;
    }
    throw new SyncError('transient', 'interrupted by shutdown');
  }

  private async full(ctx: SyncContext, api: HubspotApi, spec: EntitySpec): Promise<void> {
    const startedAt = Date.now();
    if (spec.entity === 'deals') await this.refreshPipelines(ctx);
    const limit = Math.min(this.config.hubspot.pageSize, LIST_PAGE_MAX);
    for (const archived of [false, true]) {
      let after: string | null = null;
      do {
        if (ctx.signal.aborted) throw new SyncError('transient', 'interrupted by shutdown');
        const token: string | null = after;
        const page: Page = await this.fetch(() =>
          api.list(spec.entity, { limit, after: token, properties: spec.properties, archived }),
        );
        await this.noteStatuses(ctx, spec, page.results);
        await ctx.commitPage(page.results.map((o) => snapshotInsert(spec.entity, o, 'poll', ctx.runId)));
        after = page.nextAfter;
      } while (after);
    }
    await ctx.saveCursor(toCursor({ ms: Math.max(0, startedAt - FULL_RESYNC_MARGIN_MS), id: 0n }));
  }

  /**
   * A failed pipelines call does not fail the run: the last known pipelines still classify, and
   * deals in stages they do not know ask for another refresh when they are processed.
   */
  private async refreshPipelines(ctx: SyncContext): Promise<void> {
    const r = await this.pipelines
      .refresh('full_sync')
      .catch((err: Error) => ({ ok: false as const, errorClass: 'transient', error: err.message }));
    if (r.ok)
      ctx.progress('hubspot pipelines refreshed', {
        stages: r.stages,
        skipped: r.skipped,
        changedStages: r.changedStages.length,
        rederived: r.rederived,
      });
    else
      ctx.progress('hubspot pipelines refresh failed; keeping the last known pipelines', {
        errorClass: r.errorClass,
        error: r.error,
      });
  }

  /** Stage ids the stored classification cannot explain, for the run's report. */
  private async noteStatuses(ctx: SyncContext, spec: EntitySpec, objects: HubspotObject[]): Promise<void> {
    if (spec.entity !== 'deals' || objects.length === 0) return;
    const stages = await this.pipelines.current();
    for (const o of objects) {
      const raw = o.properties.dealstage?.trim() ?? '';
      if (stages.classOf(raw) === 'unknown') ctx.noteUnmappedStatus(raw || '(none)');
    }
  }

  private async fetch<T>(fn: () => Promise<T>, searchAfter?: number): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toSyncError(classifyHubspotError(err, { searchAfter }));
    }
  }
}
