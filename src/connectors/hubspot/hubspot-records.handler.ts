import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app.config.js';
import { OutboxHandlerRegistry, type HandlerContext, type OutboxHandler } from '../../outbox/outbox.handlers.js';
import type { OutboxKind, OutboxRow, RowOutcome } from '../../outbox/outbox.types.js';
import { ContactsRepository } from '../../records/contacts.repository.js';
import { PaymentsRepository } from '../../records/payments.repository.js';
import type { ContactRecord } from '../../records/record.types.js';
import { HubspotInvalidPayload } from './hubspot.errors.js';
import { lineageEvent } from '../../records/payment-lineage.repository.js';
import { dealDerivationRev, mapContact, mapDeal, toHubspotObject } from './hubspot.mappers.js';
import { HubspotPipelinesService, type UnknownStageSighting } from './hubspot-pipelines.service.js';
import type { HubspotObject } from './hubspot.types.js';

/**
 * Snapshots of deals and contacts (polled, or fetched for a webhook) → ledger rows and contacts.
 * Mapping is pure and per row: a payload that cannot become a record (unparsable amount on a won
 * deal, no version time) is dead-lettered `invalid_payload` while the rest of the batch is written
 * in one transaction. Upserts are last-write-wins on the vendor version, so replays and any
 * delivery order end in the same rows; each row keeps the id of the outbox event it came from.
 * Deals are mapped inside that transaction with the stored stage classification (read under its
 * shared lock) and keep their snapshot for re-derivation; a deal whose stage id nothing explains
 * is written as UNKNOWN and asks for one pipelines refresh, which then re-derives it.
 */
@Injectable()
export class HubspotRecordsHandler implements OutboxHandler, OnModuleInit {
  readonly kinds: readonly OutboxKind[] = ['hubspot.deal', 'hubspot.contact'];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: OutboxHandlerRegistry,
    private readonly payments: PaymentsRepository,
    private readonly contacts: ContactsRepository,
    private readonly pipelines: HubspotPipelinesService,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  async handle(rows: OutboxRow[], ctx: HandlerContext): Promise<Map<string, RowOutcome>> {
    const outcomes = new Map<string, RowOutcome>();
    const deals: { row: OutboxRow; obj: HubspotObject }[] = [];
    const contacts: { row: OutboxRow; rec: ContactRecord }[] = [];
    for (const row of rows) {
      try {
        const obj = toHubspotObject(row.payload);
        if (row.kind === 'hubspot.deal') deals.push({ row, obj });
        else contacts.push({ row, rec: mapContact(obj) });
      } catch (err) {
        if (!(err instanceof HubspotInvalidPayload)) throw err;
        outcomes.set(row.id, { status: 'failed', failureClass: 'invalid_payload', error: err.message });
      }
    }
    const written: OutboxRow[] = contacts.map(({ row }) => row);
    const unknown: UnknownStageSighting[] = [];
    if (deals.length || contacts.length) {
      // One statement per table for the whole batch; each record carries the outbox row it came from.
      await ctx.db.tx(async (sql) => {
        const records = [];
        if (deals.length) {
          const stages = await this.pipelines.classifierForWrite(sql);
          for (const { row, obj } of deals) {
            try {
              const rec = mapDeal(obj, this.config.hubspot.portalCurrency, stages);
              records.push({
                ...rec,
                outboxId: row.id,
                derivationRev: dealDerivationRev(stages),
                vendorSnapshot: obj,
                lineage: lineageEvent(row),
              });
              written.push(row);
              if (rec.status === 'UNKNOWN' && rec.rawStatus)
                unknown.push({ stageId: rec.rawStatus, modifiedAt: rec.version.at });
            } catch (err) {
              if (!(err instanceof HubspotInvalidPayload)) throw err;
              outcomes.set(row.id, { status: 'failed', failureClass: 'invalid_payload', error: err.message });
            }
          }
        }
        await this.payments.upsertMany(sql, records);
        await this.contacts.upsertMany(
          sql,
          contacts.map(({ row, rec }) => ({ ...rec, outboxId: row.id })),
        );
      });
    }
    for (const row of written) outcomes.set(row.id, { status: 'done' });
    if (unknown.length) this.pipelines.requestRefreshFor(unknown);
    return outcomes;
  }
}
