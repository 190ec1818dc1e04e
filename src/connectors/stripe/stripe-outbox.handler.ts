import { Injectable, type OnModuleInit } from '@nestjs/common';
import { OutboxHandlerRegistry, type HandlerContext, type OutboxHandler } from '../../outbox/outbox.handlers.js';
import type { OutboxKind, OutboxRow, RowOutcome } from '../../outbox/outbox.types.js';
import { PaymentsRepository } from '../../records/payments.repository.js';
import type { PaymentRecord } from '../../records/record.types.js';
import { eventRecords, objectRecord, type EventMapping } from './stripe.mappers.js';
import { asObject, StripePayloadError } from './stripe.payload.js';

const SNAPSHOT_OBJECT: Partial<Record<OutboxKind, string>> = {
  'stripe.charge': 'charge',
  'stripe.refund': 'refund',
  'stripe.dispute': 'dispute',
};

/**
 * Pure: one outbox row → ledger rows. Events are versioned by their `created`; polled snapshots by
 * their fetch time (the row's vendor_time), tie-broken by the snapshot's state key.
 */
export function recordsForRow(
  row: Pick<OutboxRow, 'kind' | 'payload' | 'vendorTime' | 'receivedAt' | 'dedupeKey'>,
): EventMapping {
  if (row.kind === 'stripe.event') return eventRecords(row.payload);
  const expected = SNAPSHOT_OBJECT[row.kind];
  if (!expected) throw new StripePayloadError(`not a Stripe outbox kind: ${row.kind}`);
  const o = asObject(row.payload, row.kind);
  if (o.object !== expected)
    throw new StripePayloadError(`${row.kind} must hold a ${expected}, got "${String(o.object)}"`);
  return {
    handled: true,
    records: [objectRecord(o, { at: row.vendorTime ?? row.receivedAt, tiebreak: row.dedupeKey })],
  };
}

/**
 * Worker side of Stripe: maps a batch of raw events/snapshots and upserts the ledger in one
 * transaction (last-write-wins, so redelivery and reordering are harmless). A row that cannot be
 * mapped is failed alone as `invalid_payload` (parked as dead, the rest of the batch flows on);
 * event types that do not touch money are `ignored`.
 */
@Injectable()
export class StripeOutboxHandler implements OutboxHandler, OnModuleInit {
  readonly kinds: readonly OutboxKind[] = ['stripe.event', 'stripe.charge', 'stripe.refund', 'stripe.dispute'];

  constructor(
    private readonly registry: OutboxHandlerRegistry,
    private readonly payments: PaymentsRepository,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  async handle(rows: OutboxRow[], ctx: HandlerContext): Promise<Map<string, RowOutcome>> {
    const outcomes = new Map<string, RowOutcome>();
    const records: Array<PaymentRecord & { outboxId: string }> = [];
    for (const row of rows) {
      let mapped: EventMapping;
      try {
        mapped = recordsForRow(row);
      } catch (err) {
        const message =
          err instanceof StripePayloadError
            ? err.message
            : `could not map payload: ${(err as Error)?.message ?? String(err)}`;
        outcomes.set(row.id, { status: 'failed', failureClass: 'invalid_payload', error: message.slice(0, 500) });
        continue;
      }
      if (!mapped.handled) {
        outcomes.set(row.id, { status: 'ignored', reason: mapped.reason });
        continue;
      }
      for (const r of mapped.records) records.push({ ...r, outboxId: row.id });
      outcomes.set(row.id, { status: 'done' });
    }
    // A database error here throws: the worker retries the batch (transient), nothing half-written.
    if (records.length) await ctx.db.tx((sql) => this.payments.upsertMany(sql, records));
    return outcomes;
  }
}
