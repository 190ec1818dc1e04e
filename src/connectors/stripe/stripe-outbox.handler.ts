import { Inject, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { OutboxHandlerRegistry, type HandlerContext, type OutboxHandler } from '../../outbox/outbox.handlers.js';
import type { OutboxKind, OutboxRow, RowOutcome } from '../../outbox/outbox.types.js';
import { lineageEvent, type LineageEvent } from '../../records/payment-lineage.repository.js';
import { PaymentsRepository } from '../../records/payments.repository.js';
import type { PaymentRecord } from '../../records/record.types.js';
import { derivationRev } from '../../records/record.version.js';
import { isUnparsedBody } from '../../webhooks/webhook.json.js';
import { eventRecords, objectRecord, STRIPE_RULES, type EventMapping, type StripeRules } from './stripe.mappers.js';
import { asObject, StripePayloadError } from './stripe.payload.js';
import { stripeEventIssues } from './stripe-webhook.event.js';

/** Optional provider: other mapping rules than the shipped ones (tests ship a deliberately wrong one). */
export const STRIPE_MAPPING_RULES = Symbol('STRIPE_MAPPING_RULES');

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
  rules: StripeRules = STRIPE_RULES,
): EventMapping {
  if (isUnparsedBody(row.payload))
    throw new StripePayloadError(
      `the signed body is not a JSON event (${row.payload.unparsedBody.reason}); its bytes are kept base64 in the payload`,
    );
  if (row.kind === 'stripe.event') {
    // Signed webhooks are stored whatever their shape: what is not a Stripe event is parked here.
    const issues = stripeEventIssues(row.payload);
    if (issues.length)
      throw new StripePayloadError(
        `not a Stripe event: ${issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join(' ')}`,
      );
    return eventRecords(row.payload, rules);
  }
  const expected = SNAPSHOT_OBJECT[row.kind];
  if (!expected) throw new StripePayloadError(`not a Stripe outbox kind: ${row.kind}`);
  const o = asObject(row.payload, row.kind);
  if (o.object !== expected)
    throw new StripePayloadError(`${row.kind} must hold a ${expected}, got "${String(o.object)}"`);
  return {
    handled: true,
    records: [objectRecord(o, { at: row.vendorTime ?? row.receivedAt, tiebreak: row.dedupeKey }, rules)],
  };
}

/**
 * Worker side of Stripe: maps a batch of raw events/snapshots and upserts the ledger in one
 * transaction (last-write-wins, so redelivery and reordering are harmless). A row that cannot be
 * mapped is failed alone as `invalid_payload` (parked as dead, the rest of the batch flows on);
 * event types that do not touch money are `ignored`. Every row is written under the rules'
 * derivation revision and recorded in the ledger's lineage with the event it came from.
 */
@Injectable()
export class StripeOutboxHandler implements OutboxHandler, OnModuleInit {
  readonly kinds: readonly OutboxKind[] = ['stripe.event', 'stripe.charge', 'stripe.refund', 'stripe.dispute'];

  private readonly derivationRev: number;

  constructor(
    private readonly registry: OutboxHandlerRegistry,
    private readonly payments: PaymentsRepository,
    @Optional() @Inject(STRIPE_MAPPING_RULES) private readonly rules: StripeRules = STRIPE_RULES,
  ) {
    this.derivationRev = derivationRev(rules.rev);
  }

  onModuleInit(): void {
    this.registry.register(this);
  }

  async handle(rows: OutboxRow[], ctx: HandlerContext): Promise<Map<string, RowOutcome>> {
    const outcomes = new Map<string, RowOutcome>();
    const records: Array<PaymentRecord & { outboxId: string; derivationRev: number; lineage: LineageEvent }> = [];
    for (const row of rows) {
      let mapped: EventMapping;
      try {
        mapped = recordsForRow(row, this.rules);
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
      const lineage = lineageEvent(row);
      for (const r of mapped.records)
        records.push({ ...r, outboxId: row.id, derivationRev: this.derivationRev, lineage });
      outcomes.set(row.id, { status: 'done' });
    }
    // A database error here throws: the worker retries the batch (transient), nothing half-written.
    if (records.length) await ctx.db.tx((sql) => this.payments.upsertMany(sql, records));
    return outcomes;
  }
}
