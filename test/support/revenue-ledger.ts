import type { Sql } from '../../src/database/database.sql.js';
import { PaymentsRepository } from '../../src/records/payments.repository.js';
import type { PaymentRecord } from '../../src/records/record.types.js';

/**
 * Ledger rows for revenue tests, shaped like the vendor mappers' output (Stripe charge / refund,
 * HubSpot deal), written through the real PaymentsRepository upsert.
 */
let seq = 0;

type Opts = Partial<Omit<PaymentRecord, 'occurredAt' | 'amountCents'>> & { at: string | Date; cents: bigint | number };

function base(o: Opts): PaymentRecord {
  const occurredAt = o.at instanceof Date ? o.at : new Date(o.at);
  seq += 1;
  return {
    source: o.source ?? 'stripe',
    kind: o.kind ?? 'charge',
    externalId: o.externalId ?? `ch_test_${seq.toString().padStart(8, '0')}`,
    parentExternalId: o.parentExternalId ?? null,
    amountCents: BigInt(o.cents),
    currency: o.currency ?? 'USD',
    status: o.status ?? 'SUCCEEDED',
    rawStatus: o.rawStatus ?? 'succeeded',
    effect: o.effect ?? 'gross',
    occurredAt,
    customerRef: o.customerRef ?? 'cus_test',
    description: o.description ?? null,
    deletedAt: o.deletedAt ?? null,
    version: o.version ?? { at: occurredAt, rank: 2, tiebreak: `evt_${seq}` },
  };
}

/** A captured, succeeded Stripe charge (counts as gross). */
export const charge = (o: Opts): PaymentRecord => base(o);

/** A succeeded Stripe refund (counts as a refund on its own date). */
export const refund = (o: Opts): PaymentRecord =>
  base({ kind: 'refund', effect: 'refund', externalId: `re_test_${seq + 1}`, parentExternalId: 'ch_parent', ...o });

/** A HubSpot closed-won deal (counts as gross on closedate). */
export const wonDeal = (o: Opts): PaymentRecord =>
  base({ source: 'hubspot', kind: 'deal', rawStatus: 'closedwon', externalId: `${9_000_000 + seq + 1}`, ...o });

/** A row the mappers decided counts nowhere (failed, uncaptured, open deal…). */
export const notCounted = (o: Opts & { status: PaymentRecord['status']; rawStatus: string }): PaymentRecord =>
  base({ effect: 'none', ...o });

export async function seedLedger(sql: Sql, records: readonly PaymentRecord[]): Promise<void> {
  const repo = new PaymentsRepository();
  for (let i = 0; i < records.length; i += 5000) await repo.upsertMany(sql, records.slice(i, i + 5000));
}
