import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app.config.js';
import type { OutboxInsert } from '../../outbox/outbox.types.js';
import { SyncDriverRegistry, SyncError, type SyncContext, type SyncDriver } from '../../runs/sync.drivers.js';
import { calendarEntity, calendarOfEntity, GcalConnection } from './gcal.connection.js';
import { eventRow } from './gcal.outbox-rows.js';

/** What sync_cursors holds for one calendar: the nextSyncToken of the last page of a completed listing. */
export interface GcalCursor {
  v: 1;
  syncToken: string;
}

export function parseGcalCursor(raw: unknown): GcalCursor | null | 'invalid' {
  if (raw === null || raw === undefined) return null;
  const c = raw as Partial<GcalCursor>;
  return c.v === 1 && typeof c.syncToken === 'string' && c.syncToken !== ''
    ? { v: 1, syncToken: c.syncToken }
    : 'invalid';
}

/**
 * Google Calendar polling, one entity (run, cursor, lock) per calendar of GCAL_CALENDAR_IDS.
 *
 * A listing (full, or incremental from the stored syncToken) is paged with nextPageToken; only
 * the LAST page carries nextSyncToken, and only that is ever stored, in the same transaction as
 * the last page's rows. Earlier pages commit their rows without touching the cursor: a page
 * token is not a position we could resume from later, and keeping the previous syncToken means a
 * crash between pages just repeats the listing from it (dedupe keys absorb the re-read), so
 * nothing is lost.
 *
 * 410 Gone (fullSyncRequired) surfaces as SyncError('stale_cursor'): the run wipes this
 * calendar's cursor, runs it in full and records both flags. 401/403 surface as 'auth' and leave
 * the cursor alone.
 */
@Injectable()
export class GcalSyncDriver implements SyncDriver, OnModuleInit {
  readonly source = 'gcal' as const;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly connection: GcalConnection,
    private readonly registry: SyncDriverRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  entities(): string[] {
    return this.connection.calendarIds.map(calendarEntity);
  }

  enabled(): boolean {
    return this.connection.enabled;
  }

  async sync(ctx: SyncContext): Promise<void> {
    const calendarId = calendarOfEntity(ctx.entity);
    if (!calendarId || !this.connection.calendarIds.includes(calendarId))
      throw new SyncError('permanent', `${ctx.entity} is not a configured calendar (GCAL_CALENDAR_IDS)`);
    const client = this.connection.client;
    if (!client)
      throw new SyncError(
        'permanent',
        'Google Calendar is not configured (GCAL_SERVICE_ACCOUNT_JSON, GCAL_CALENDAR_IDS)',
      );

    let syncToken: string | null = null;
    if (ctx.mode === 'incremental') {
      const cursor = parseGcalCursor(ctx.cursor);
      if (cursor === 'invalid') throw new SyncError('stale_cursor', 'the stored Google Calendar cursor is unreadable');
      syncToken = cursor?.syncToken ?? null;
    }
    if (!syncToken) ctx.markFullBackfill();

    let pageToken: string | null = null;
    for (;;) {
      if (ctx.signal.aborted) throw new SyncError('transient', 'stopped between pages by shutdown');
      const page = await client.listEvents(
        { calendarId, syncToken, pageToken, maxResults: this.config.gcal.pageSize },
        ctx.signal,
      );
      const rows = this.toRows(ctx, calendarId, page.items as Record<string, unknown>[]);
      if (page.nextPageToken) {
        if (page.nextPageToken === pageToken)
          throw new SyncError('permanent', 'Google Calendar returned the same nextPageToken twice');
        await ctx.commitPage(rows);
        pageToken = page.nextPageToken;
        continue;
      }
      if (!page.nextSyncToken)
        throw new SyncError('permanent', 'the last page of the listing carried no nextSyncToken');
      const next: GcalCursor = { v: 1, syncToken: page.nextSyncToken };
      await ctx.commitPage(rows, next);
      return;
    }
  }

  private toRows(ctx: SyncContext, calendarId: string, items: Record<string, unknown>[]): OutboxInsert[] {
    const fetchedAt = new Date();
    const rows: OutboxInsert[] = [];
    for (const event of items) {
      if (!event || typeof event.id !== 'string' || event.id === '' || typeof event.status !== 'string') {
        ctx.noteFailed();
        continue;
      }
      rows.push(eventRow(calendarId, event, fetchedAt));
    }
    return rows;
  }
}
