import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app.config.js';
import { logger } from '../../common/app.logger.js';
import { HttpMetrics } from '../../common/http.metrics.js';
import { Database } from '../../database/database.sql.js';
import { PgLocks } from '../../database/database.locks.js';
import { OutboxInsertRepository } from '../../outbox/outbox-insert.repository.js';
import { ContactsRepository } from '../../records/contacts.repository.js';
import { DealTombstonesRepository } from '../../records/deal-tombstones.repository.js';
import { HubspotConnection } from './hubspot.connection.js';
import { snapshotInsert } from './hubspot.mappers.js';
import { ENTITY_SPECS, HUBSPOT_ENTITIES, type HubspotEntity } from './hubspot.types.js';

export const DELETION_SWEEP_LOCK = 'buffalo:hubspot:deletion-sweep';
const PAGE = 100;

export interface DeletionSweepResult {
  /** Archived objects HubSpot listed, per entity. */
  listed: Record<HubspotEntity, number>;
  /** Of those, the ones the ledger still held as live: queued as archived snapshots. */
  healed: Record<HubspotEntity, number>;
}

/**
 * Heals deletions whose webhook was lost. Scheduled HubSpot syncs are incremental CRM searches,
 * and search never returns archived objects, so a deal deleted while its webhook was lost would
 * stay in revenue until the next full sync. This sweep (HUBSPOT_DELETION_SWEEP_S, daily by
 * default, and once a few minutes after boot) lists the archived deals and contacts
 * (`archived=true` on the list endpoints) and, for each one the ledger still holds as live,
 * stores the archived snapshot in the outbox as a polled row: the worker maps it like any
 * snapshot (an archived deal is a deletion, last-write-wins at its archive time), and the raw
 * object stays as evidence. Objects HubSpot has purged entirely (no longer even archived) are
 * not listed: a full sync is the remedy for those.
 *
 * The other vendors need no such sweep: Stripe charges, refunds and disputes cannot be deleted
 * (they change status, which the Events feed reports), and Google Calendar sync tokens report
 * deletions themselves (cancelled events in the incremental listing).
 */
@Injectable()
export class HubspotDeletionSweep {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly connection: HubspotConnection,
    private readonly db: Database,
    private readonly locks: PgLocks,
    private readonly outbox: OutboxInsertRepository,
    private readonly deals: DealTombstonesRepository,
    private readonly contacts: ContactsRepository,
    private readonly metrics: HttpMetrics,
  ) {}

  enabled(): boolean {
    return this.connection.api !== null && this.config.hubspot.deletionSweepS > 0;
  }

  /** One sweep under a session advisory lock; null when another process is sweeping. */
  async sweep(signal?: AbortSignal): Promise<DeletionSweepResult | null> {
    const api = this.connection.api;
    if (!api) return null;
    const lock = await this.locks.tryAcquire(DELETION_SWEEP_LOCK);
    if (!lock) return null;
    try {
      const result: DeletionSweepResult = { listed: { deals: 0, contacts: 0 }, healed: { deals: 0, contacts: 0 } };
      for (const entity of HUBSPOT_ENTITIES) {
        const spec = ENTITY_SPECS[entity];
        let after: string | null = null;
        do {
          if (signal?.aborted) return result;
          const page = await api.list(entity, { limit: PAGE, after, properties: spec.properties, archived: true });
          // The list endpoint's archived flag is the filter; a live object on this page is not a deletion.
          const archived = page.results.filter((o) => o.archived && /^\d{1,20}$/.test(o.id));
          result.listed[entity] += archived.length;
          if (archived.length) {
            result.healed[entity] += await this.db.tx(async (sql) => {
              const ids = archived.map((o) => o.id);
              const live = new Set(
                entity === 'deals' ? await this.deals.liveDeals(sql, ids) : await this.contacts.liveContacts(sql, ids),
              );
              const rows = archived.filter((o) => live.has(o.id)).map((o) => snapshotInsert(entity, o, 'poll'));
              // Counted as stored, not as found: an archived snapshot already queued by an earlier
              // sweep (and not yet applied) dedupes and is not a new heal.
              return (await this.outbox.insertMany(sql, rows)).inserted;
            });
          }
          after = page.nextAfter;
        } while (after);
      }
      for (const entity of HUBSPOT_ENTITIES)
        this.metrics.inc(
          'buffalo_hubspot_deletions_healed_total',
          { entity },
          result.healed[entity],
          'Archived HubSpot objects the ledger still held as live, queued as deletions by the deletion sweep',
        );
      if (result.healed.deals || result.healed.contacts)
        logger.warn('hubspot deletion sweep: deletions whose webhook never arrived', { ...result });
      else logger.info('hubspot deletion sweep', { ...result });
      return result;
    } finally {
      await lock.release();
    }
  }

  /** The periodic job: a failure is logged and retried at the next interval. */
  async tick(signal?: AbortSignal): Promise<DeletionSweepResult | null> {
    try {
      return await this.sweep(signal);
    } catch (err) {
      logger.error('hubspot deletion sweep failed', { err: (err as Error).message });
      return null;
    }
  }
}
