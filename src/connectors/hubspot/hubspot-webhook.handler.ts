import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app.config.js';
import { OutboxHandlerRegistry, type HandlerContext, type OutboxHandler } from '../../outbox/outbox.handlers.js';
import { OutboxInsertRepository } from '../../outbox/outbox-insert.repository.js';
import type { OutboxInsert, OutboxKind, OutboxRow, RowOutcome } from '../../outbox/outbox.types.js';
import { ContactsRepository, type ContactTombstone } from '../../records/contacts.repository.js';
import { DealTombstonesRepository, type DealTombstone } from '../../records/deal-tombstones.repository.js';
import { lineageEvent } from '../../records/payment-lineage.repository.js';
import { HubspotConnection } from './hubspot.connection.js';
import { classifyHubspotError } from './hubspot.errors.js';
import { snapshotInsert } from './hubspot.mappers.js';
import { webhookEventIssues } from './hubspot-webhook.event.js';
import { isUnparsedBody } from '../../webhooks/webhook.json.js';
import { specForObjectType, type EntitySpec, type HubspotEntity, type HubspotObject } from './hubspot.types.js';

type Plan =
  | { action: 'fetch'; spec: EntitySpec; objectId: string; deletion: boolean; at: Date }
  | { action: 'erase'; spec: EntitySpec; objectId: string; at: Date }
  | { action: 'ignore'; reason: string };

const FETCH_ACTIONS = new Set(['creation', 'propertyChange', 'restore', 'merge', 'deletion']);
const BATCH_READ_MAX = 100;
/** Longer vendor waits go back to the worker's retry schedule instead of holding the batch's lease. */
const MAX_WAIT_IN_HANDLER_MS = 2_000;

/** What a HubSpot subscription type asks of us; pure. */
export function planEvent(payload: unknown): Plan {
  const ev = (payload ?? {}) as Record<string, unknown>;
  const type = typeof ev.subscriptionType === 'string' ? ev.subscriptionType : '';
  const [objectType, action] = type.split('.', 2);
  const spec = specForObjectType(objectType);
  if (!spec || !action) return { action: 'ignore', reason: `unsupported subscription type "${type}"` };
  const objectId = String(ev.objectId ?? '');
  const at = typeof ev.occurredAt === 'number' ? new Date(ev.occurredAt) : new Date(NaN);
  if (!/^\d{1,20}$/.test(objectId) || Number.isNaN(at.getTime()))
    return { action: 'ignore', reason: 'event has no usable objectId/occurredAt' };
  if (action === 'privacyDeletion' && spec.entity === 'contacts') return { action: 'erase', spec, objectId, at };
  if (FETCH_ACTIONS.has(action)) return { action: 'fetch', spec, objectId, deletion: action === 'deletion', at };
  return { action: 'ignore', reason: `subscription type "${type}" does not change stored fields` };
}

/** Why a stored webhook event cannot be used (its lastError when parked as dead), or null. */
export function unusableEvent(payload: unknown): string | null {
  if (isUnparsedBody(payload))
    return `the signed body is not a JSON batch (${payload.unparsedBody.reason}); its bytes are kept base64 in the payload`;
  const issues = webhookEventIssues(payload);
  if (issues.length === 0) return null;
  return `not a HubSpot webhook event: ${issues.map((i) => i.message).join(' ')}`.slice(0, 500);
}

/**
 * One event of a HubSpot webhook batch. Webhooks carry ids and one changed property, not the
 * object, so we FETCH THE CURRENT OBJECT (not "hint → schedule a sync"): for all claimed events
 * at once, batch/read live objects (≤100 ids per call, rate limited with the sync's gates), then
 * archived ones for ids that were missing. Each fetched snapshot goes into the outbox as a
 * `hubspot.deal` / `hubspot.contact` row, deduped against polled snapshots by (id, version), so
 * the raw object is kept as evidence and one mapper/LWW path turns snapshots into records. A
 * deletion whose object HubSpot no longer returns at all becomes a tombstone at the event time;
 * a contact privacy deletion erases the personal fields. Unknown event types are `ignored`.
 *
 * Why not the hint approach: a fetch costs one batch call per claimed batch, keeps webhook-to-
 * revenue latency at worker speed, and does not depend on the search index catching up.
 */
@Injectable()
export class HubspotWebhookHandler implements OutboxHandler, OnModuleInit {
  readonly kinds: readonly OutboxKind[] = ['hubspot.webhook'];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: OutboxHandlerRegistry,
    private readonly connection: HubspotConnection,
    private readonly outbox: OutboxInsertRepository,
    private readonly contacts: ContactsRepository,
    private readonly deals: DealTombstonesRepository,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  async handle(rows: OutboxRow[], ctx: HandlerContext): Promise<Map<string, RowOutcome>> {
    const outcomes = new Map<string, RowOutcome>();
    const fetches: { row: OutboxRow; plan: Extract<Plan, { action: 'fetch' }> }[] = [];
    const erasures: ContactTombstone[] = [];
    const erasureRows: OutboxRow[] = [];
    for (const row of rows) {
      // Verified batches are stored whatever their shape: what this handler cannot use is parked here.
      const invalid = unusableEvent(row.payload);
      if (invalid) {
        outcomes.set(row.id, { status: 'failed', failureClass: 'invalid_payload', error: invalid });
        continue;
      }
      const plan = planEvent(row.payload);
      if (plan.action === 'ignore') outcomes.set(row.id, { status: 'ignored', reason: plan.reason });
      else if (plan.action === 'erase') {
        erasures.push({ externalId: plan.objectId, version: { at: plan.at, rank: 2, tiebreak: '' }, erase: true });
        erasureRows.push(row);
      } else fetches.push({ row, plan });
    }

    const snapshots: OutboxInsert[] = [];
    const dealTombstones: DealTombstone[] = [];
    const contactTombstones: ContactTombstone[] = [...erasures];
    const applied: OutboxRow[] = [...erasureRows];
    const api = this.connection.api;
    for (const entity of ['deals', 'contacts'] as HubspotEntity[]) {
      const group = fetches.filter((f) => f.plan.spec.entity === entity);
      if (group.length === 0) continue;
      if (!api) {
        for (const { row } of group)
          outcomes.set(row.id, {
            status: 'failed',
            failureClass: 'unsupported',
            error: 'HUBSPOT_ACCESS_TOKEN is not set: the object cannot be fetched (redrive after configuring it).',
          });
        continue;
      }
      let found: Map<string, HubspotObject>;
      try {
        found = await this.fetchCurrent(entity, group[0].plan.spec, [...new Set(group.map((g) => g.plan.objectId))]);
      } catch (err) {
        const c = classifyHubspotError(err);
        const failureClass =
          c.errorClass === 'auth' ? 'auth' : c.errorClass === 'transient' ? 'transient' : 'unsupported';
        for (const { row } of group)
          outcomes.set(row.id, { status: 'failed', failureClass, error: c.message, retryAfterMs: c.retryAfterMs });
        continue;
      }
      for (const obj of found.values()) snapshots.push(snapshotInsert(entity, obj, 'webhook'));
      for (const { row, plan } of group) {
        if (found.has(plan.objectId)) applied.push(row);
        else if (plan.deletion) {
          const t = { externalId: plan.objectId, version: { at: plan.at, rank: 1, tiebreak: '' } };
          if (entity === 'deals') dealTombstones.push({ ...t, lineage: lineageEvent(row) });
          else contactTombstones.push({ ...t, erase: false });
          applied.push(row);
        } else
          outcomes.set(row.id, {
            status: 'ignored',
            reason: `${plan.spec.objectType} ${plan.objectId} not found in HubSpot (deleted since?)`,
          });
      }
    }

    if (snapshots.length || dealTombstones.length || contactTombstones.length) {
      await ctx.db.tx(async (sql) => {
        await this.outbox.insertMany(sql, snapshots);
        await this.deals.markDeleted(sql, dealTombstones, this.config.hubspot.portalCurrency);
        await this.contacts.markDeleted(sql, 'hubspot', contactTombstones);
      });
    }
    for (const row of applied) outcomes.set(row.id, { status: 'done' });
    return outcomes;
  }

  /** Live objects first; ids missing there are looked up among archived ones. */
  private async fetchCurrent(
    entity: HubspotEntity,
    spec: EntitySpec,
    ids: string[],
  ): Promise<Map<string, HubspotObject>> {
    const api = this.connection.api!;
    const found = new Map<string, HubspotObject>();
    for (const archived of [false, true]) {
      const wanted = ids.filter((id) => !found.has(id));
      for (let i = 0; i < wanted.length; i += BATCH_READ_MAX) {
        const objs = await api.batchRead(entity, wanted.slice(i, i + BATCH_READ_MAX), {
          archived,
          properties: spec.properties,
          maxWaitMs: MAX_WAIT_IN_HANDLER_MS,
        });
        for (const o of objs) if (wanted.includes(o.id)) found.set(o.id, o);
      }
    }
    return found;
  }
}
