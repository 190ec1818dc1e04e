import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { oneOf, text } from '../common/request.validation.js';
import { REVENUE_SOURCES } from '../records/record.types.js';

/** Response shapes of "Explain a figure" (CONTRACT): the trace of a figure and one ledger row. */

const cents = (description: string) => z.string().meta({ description });
const instantText = (description: string) => z.string().meta({ format: 'date-time', description });

const event = z.object({
  outboxId: z.string().meta({ description: 'The stored event (ingest_outbox id)' }),
  origin: z
    .enum(['webhook', 'poll', 'replay'])
    .meta({ description: 'The path it came by: a vendor webhook or one of our polls' }),
  vendorEventId: z
    .string()
    .meta({ description: 'The vendor event id, or for a polled snapshot its dedupe key (object id and state)' }),
  type: z.string().meta({ description: 'The vendor event type (`charge.snapshot` etc. for polled snapshots)' }),
  receivedAt: instantText('When Buffalo stored it'),
  payloadKept: z.boolean().meta({
    description: 'Whether the raw payload is still stored (false once retention purged it; the lineage stays)',
  }),
  payloadSha256: z
    .string()
    .nullable()
    .meta({ description: 'sha256 (hex) of JSON.stringify of the stored payload; null for lineage older than issue 7' }),
  won: z
    .boolean()
    .meta({ description: 'Whether this event changed the row (won last-write-wins) when it was applied' }),
  replayed: z.boolean().meta({
    description: 'Applied again by a replay or redrive through newer code (the same event appears earlier too)',
  }),
  derivationRev: z.int().meta({ description: 'Revision of the code and rules it was mapped with' }),
});

const row = {
  source: z.enum(REVENUE_SOURCES),
  kind: z.enum(['charge', 'refund', 'dispute', 'deal']),
  externalId: z.string(),
  parentExternalId: z.string().nullable().meta({ description: 'For refunds and disputes: the charge' }),
  amountCents: cents('Integer cents, never negative; `effect` gives the sign'),
  currency: z.string(),
  occurredAt: instantText('The instant the money counts on'),
  status: z.string().meta({ description: 'Normalized status' }),
  rawStatus: z.string().meta({ description: 'The vendor status (HubSpot: the deal stage id)' }),
};

const eventExample = {
  outboxId: '1042',
  origin: 'webhook' as const,
  vendorEventId: 'evt_3QbUJ2CZ6qsJgndJ0j6jXW1V',
  type: 'charge.succeeded',
  receivedAt: '2026-06-15T09:30:01.204Z',
  payloadKept: true,
  payloadSha256: '9f2c…',
  won: true,
  replayed: false,
  derivationRev: 0,
};

export const Trace = z
  .object({
    figure: z
      .object({
        totalRevenueCents: cents('Net: gross − refunds'),
        grossCents: cents('Collected charges and won deals'),
        refundsCents: cents('Succeeded refunds and lost disputes'),
        count: z.int(),
        refundCount: z.int(),
      })
      .meta({ description: 'The figure of /metrics/revenue/summary for the same query (same snapshot as this page)' }),
    rows: z.array(
      z.object({
        ...row,
        effect: z.enum(['gross', 'refund']).meta({ description: 'gross adds amountCents, refund subtracts it' }),
        events: z
          .array(event)
          .meta({ description: 'Every stored vendor event that wrote or touched the row, by time of receipt' }),
      }),
    ),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
  })
  .meta({
    example: {
      figure: { totalRevenueCents: '3700', grossCents: '4900', refundsCents: '1200', count: 1, refundCount: 1 },
      rows: [
        {
          source: 'stripe',
          kind: 'charge',
          externalId: 'ch_3QbUJ2CZ6qsJgndJ0xE4kq8s',
          parentExternalId: null,
          effect: 'gross',
          amountCents: '4900',
          currency: 'USD',
          occurredAt: '2026-06-15T09:30:00.000Z',
          status: 'SUCCEEDED',
          rawStatus: 'succeeded',
          events: [eventExample],
        },
        {
          source: 'stripe',
          kind: 'refund',
          externalId: 're_3QbUJ2CZ6qsJgndJ0q1Yk2Lm',
          parentExternalId: 'ch_3QbUJ2CZ6qsJgndJ0xE4kq8s',
          effect: 'refund',
          amountCents: '1200',
          currency: 'USD',
          occurredAt: '2026-06-16T11:02:00.000Z',
          status: 'SUCCEEDED',
          rawStatus: 'succeeded',
          events: [
            {
              ...eventExample,
              outboxId: '1077',
              origin: 'poll',
              vendorEventId: 'refund:re_3QbUJ2CZ6qsJgndJ0q1Yk2Lm:succeeded:1200',
              type: 'refund.snapshot',
              receivedAt: '2026-06-16T11:05:00.000Z',
              payloadKept: false,
            },
          ],
        },
      ],
      nextCursor: null,
    },
  });

export class TraceDto extends createZodDto(Trace) {}

export class RecordParamsDto extends createZodDto(
  z.object({
    source: oneOf(REVENUE_SOURCES).meta({ description: 'The vendor of the ledger row', example: 'stripe' }),
    externalId: text({ max: 255 }).min(1, { error: 'externalId must not be empty.' }).meta({
      description: 'The vendor id (Stripe ch_/re_/dp_ id, HubSpot deal id)',
      example: 'ch_3QbUJ2CZ6qsJgndJ0xE4kq8s',
    }),
  }),
) {}

const version = {
  at: instantText('Vendor version time (event created, object last modified, or fetch time of a snapshot)'),
  rank: z.int().meta({ description: 'Lifecycle rank: the tie-break for equal times' }),
  tiebreak: z.string().meta({ description: 'Last tie-break (event id or snapshot key)' }),
};

export const PaymentRecordView = z
  .object({
    ...row,
    effect: z.enum(['gross', 'refund', 'none']),
    counted: z
      .boolean()
      .meta({ description: 'Whether the row counts in revenue (effect is not none and it is not deleted)' }),
    deletedAt: instantText('Soft deletion (an archived deal), vendor time').nullable(),
    customerRef: z.string().nullable(),
    description: z.string().nullable(),
    version: z.object(version).meta({ description: 'The version the row holds (the last-write-wins winner)' }),
    derivationRev: z.int().meta({ description: 'Revision of the code and rules that derived the row' }),
    outboxId: z.string().nullable().meta({ description: 'The event that last wrote the row' }),
    createdAt: instantText('First written'),
    updatedAt: instantText('Last changed'),
    versions: z
      .array(
        z.object({
          ...version,
          won: z.boolean().meta({ description: 'Whether this version won last-write-wins when it arrived' }),
          current: z.boolean().meta({ description: 'Whether the row holds this version now' }),
          outboxIds: z.array(z.string()).meta({ description: 'The stored events that carried it' }),
        }),
      )
      .meta({ description: 'Every version that arrived, oldest first' }),
    events: z
      .array(event)
      .meta({ description: 'Every stored vendor event that wrote or touched the row, by time of receipt' }),
  })
  .meta({
    example: {
      source: 'stripe',
      kind: 'refund',
      externalId: 're_3QbUJ2CZ6qsJgndJ0q1Yk2Lm',
      parentExternalId: 'ch_3QbUJ2CZ6qsJgndJ0xE4kq8s',
      amountCents: '1200',
      currency: 'USD',
      occurredAt: '2026-06-16T11:02:00.000Z',
      status: 'SUCCEEDED',
      rawStatus: 'succeeded',
      effect: 'refund',
      counted: true,
      deletedAt: null,
      customerRef: null,
      description: 'requested_by_customer',
      version: { at: '2026-06-16T11:02:05.000Z', rank: 20, tiebreak: 'evt_1QbW2' },
      derivationRev: 0,
      outboxId: '1078',
      createdAt: '2026-06-16T11:02:06.113Z',
      updatedAt: '2026-06-16T11:02:07.402Z',
      versions: [
        {
          at: '2026-06-16T11:02:00.000Z',
          rank: 10,
          tiebreak: 'evt_1QbW1',
          won: true,
          current: false,
          outboxIds: ['1077'],
        },
        {
          at: '2026-06-16T11:02:05.000Z',
          rank: 20,
          tiebreak: 'evt_1QbW2',
          won: true,
          current: true,
          outboxIds: ['1078'],
        },
      ],
      events: [
        { ...eventExample, outboxId: '1077', vendorEventId: 'evt_1QbW1', type: 'refund.created' },
        { ...eventExample, outboxId: '1078', vendorEventId: 'evt_1QbW2', type: 'refund.updated' },
      ],
    },
  });

export class PaymentRecordDto extends createZodDto(PaymentRecordView) {}
