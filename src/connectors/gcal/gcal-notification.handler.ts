import { Injectable, type OnModuleInit } from '@nestjs/common';
import { PgLocks } from '../../database/database.locks.js';
import { logger } from '../../common/app.logger.js';
import { OutboxHandlerRegistry, type HandlerContext, type OutboxHandler } from '../../outbox/outbox.handlers.js';
import type { OutboxKind, OutboxRow, RowOutcome } from '../../outbox/outbox.types.js';
import { RunsService } from '../../runs/runs.service.js';
import { isRunRefused } from '../../runs/run.errors.js';
import { calendarEntity, GcalConnection } from './gcal.connection.js';
import { RESOURCE_STATES, type GcalNotificationPayload } from './gcal.notification.js';
import { SyncCoverageRepository } from '../../runs/sync-coverage.repository.js';

/** How soon a notification that waits for a running sync is looked at again (the worker's backoff applies on top). */
const WAIT_FOR_RUN_MS = 5_000;

/**
 * 'gcal.notification' rows → at most one incremental sync per calendar for a burst.
 *
 * Debounce by coverage rather than by a timer: a notification needs a sync that STARTS LISTING
 * after it was received. If a run of that calendar is queued, or started after the newest
 * notification of the batch, it will see the change: nothing to do. If one is running but
 * started earlier, the row is retried after it ends (a transient outcome with a short delay),
 * and the first retry then triggers the one follow-up run, which every later notification of
 * the burst finds queued. Otherwise trigger one run now. Exact, durable (the state is in
 * sync_runs, not in process memory) and safe across workers (a per-calendar advisory lock
 * around check-and-trigger). `not_exists` (the calendar is gone) is stored and ignored.
 */
@Injectable()
export class GcalNotificationHandler implements OutboxHandler, OnModuleInit {
  readonly kinds: readonly OutboxKind[] = ['gcal.notification'];

  constructor(
    private readonly registry: OutboxHandlerRegistry,
    private readonly runs: RunsService,
    private readonly coverage: SyncCoverageRepository,
    private readonly connection: GcalConnection,
    private readonly locks: PgLocks,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  async handle(rows: OutboxRow[], ctx: HandlerContext): Promise<Map<string, RowOutcome>> {
    const outcomes = new Map<string, RowOutcome>();
    const byCalendar = new Map<string, OutboxRow[]>();
    for (const row of rows) {
      const p = row.payload as Partial<GcalNotificationPayload> | null;
      if (!p || typeof p.calendarId !== 'string' || !RESOURCE_STATES.includes(p.resourceState as never)) {
        outcomes.set(row.id, {
          status: 'failed',
          failureClass: 'invalid_payload',
          error: 'gcal notification without calendarId or a known resourceState',
        });
      } else if (p.resourceState === 'not_exists') {
        outcomes.set(row.id, { status: 'ignored', reason: 'not_exists: the watched calendar no longer exists' });
      } else if (!this.connection.calendarIds.includes(p.calendarId)) {
        outcomes.set(row.id, {
          status: 'ignored',
          reason: `calendar ${p.calendarId} is no longer in GCAL_CALENDAR_IDS`,
        });
      } else {
        byCalendar.set(p.calendarId, [...(byCalendar.get(p.calendarId) ?? []), row]);
      }
    }
    for (const [calendarId, group] of byCalendar) {
      const newest = new Date(Math.max(...group.map((r) => r.receivedAt.getTime())));
      const outcome = await this.requestSync(ctx, calendarId, newest);
      for (const row of group) outcomes.set(row.id, outcome);
    }
    return outcomes;
  }

  private async requestSync(ctx: HandlerContext, calendarId: string, notifiedAt: Date): Promise<RowOutcome> {
    const entity = calendarEntity(calendarId);
    const lock = await this.locks.tryAcquire(`gcal:notify:${calendarId}`);
    if (!lock)
      return {
        status: 'failed',
        failureClass: 'transient',
        error: `another worker is scheduling the sync of ${entity}`,
        retryAfterMs: WAIT_FOR_RUN_MS,
      };
    try {
      const c = await this.coverage.coverage(ctx.db, 'gcal', entity, notifiedAt);
      if (c.pending || c.startedAfter) return { status: 'done' };
      if (c.runningBefore) {
        return {
          status: 'failed',
          failureClass: 'transient',
          error: `waiting for the running sync of ${entity} to finish before syncing again`,
          retryAfterMs: WAIT_FOR_RUN_MS,
        };
      }
      const { runIds } = await this.runs.trigger('gcal', 'incremental', { trigger: 'webhook', entities: [entity] });
      logger.info('gcal notification: incremental sync queued', { calendarId, runIds });
      return { status: 'done' };
    } catch (err) {
      // Configuration refused the trigger (source or calendar no longer enabled): nothing to retry.
      if (isRunRefused(err, 'source_not_enabled', 'unknown_entity')) return { status: 'ignored', reason: err.message };
      throw err;
    } finally {
      await lock.release();
    }
  }
}
