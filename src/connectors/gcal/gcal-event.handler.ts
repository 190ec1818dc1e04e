import { Injectable, type OnModuleInit } from '@nestjs/common';
import { OutboxHandlerRegistry, type HandlerContext, type OutboxHandler } from '../../outbox/outbox.handlers.js';
import type { OutboxKind, OutboxRow, RowOutcome } from '../../outbox/outbox.types.js';
import { EventsRepository } from '../../records/events.repository.js';
import type { CalendarEventRecord } from '../../records/record.types.js';
import { GcalPayloadError, mapGcalEvent } from './gcal-event.mapper.js';

/**
 * 'gcal.event' rows → events table, one transaction per batch. An unreadable payload is parked
 * as dead (`invalid_payload`) without holding back the rest of the batch.
 */
@Injectable()
export class GcalEventHandler implements OutboxHandler, OnModuleInit {
  readonly kinds: readonly OutboxKind[] = ['gcal.event'];

  constructor(
    private readonly registry: OutboxHandlerRegistry,
    private readonly events: EventsRepository,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  async handle(rows: OutboxRow[], ctx: HandlerContext): Promise<Map<string, RowOutcome>> {
    const outcomes = new Map<string, RowOutcome>();
    const records: (CalendarEventRecord & { outboxId: string })[] = [];
    for (const row of rows) {
      try {
        records.push({ ...mapGcalEvent(row.payload, row.receivedAt), outboxId: row.id });
      } catch (err) {
        if (!(err instanceof GcalPayloadError)) throw err;
        outcomes.set(row.id, {
          status: 'failed',
          failureClass: 'invalid_payload',
          error: `gcal event: ${err.message}`,
        });
      }
    }
    if (records.length) await ctx.db.tx((sql) => this.events.upsertMany(sql, records));
    for (const r of records) outcomes.set(r.outboxId, { status: 'done' });
    return outcomes;
  }
}
