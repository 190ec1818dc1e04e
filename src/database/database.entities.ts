import { OutboxEventEntity } from '../outbox/outbox-event.entity.js';
import { SyncRunEntity } from '../runs/sync-run.entity.js';
import { SyncCursorEntity } from '../runs/sync-cursor.entity.js';
import { PaymentEntity } from '../records/payment.entity.js';
import { ContactEntity } from '../records/contact.entity.js';
import { CalendarEventEntity } from '../records/calendar-event.entity.js';
import { PaymentOrphanEntity } from '../reconciler/payment-orphan.entity.js';
import { OrphanEventEntity } from '../reconciler/orphan-event.entity.js';
import { ObjectSightingEntity, PushMarkEntity } from '../reconciler/object-sighting.entity.js';
import { GcalChannelEntity } from '../connectors/gcal/gcal-channel.entity.js';
import { IdempotencyKeyEntity } from '../idempotency/idempotency-key.entity.js';
import {
  HubspotDealStageEntity,
  HubspotDealStageStateEntity,
} from '../connectors/hubspot/hubspot-deal-stage.entity.js';
import { PaymentRollupEntity, RevenueDriftEntity } from '../records/payment-rollup.entity.js';
import { AlertEntity } from '../alerts/alert.entity.js';
import { PaymentLineageEntity } from '../records/payment-lineage.entity.js';

/**
 * Every table the migrations create, as an entity. Each entity file lives in the module that owns
 * its table and imports nothing at runtime but @mikro-orm/core (types only otherwise), so this list
 * adds no import cycle. The schema test
 * (test/db/schema-drift.db.test.ts) fails when an entity and the migrations disagree.
 */
export const ENTITIES = [
  OutboxEventEntity,
  SyncRunEntity,
  SyncCursorEntity,
  PaymentEntity,
  ContactEntity,
  CalendarEventEntity,
  PaymentOrphanEntity,
  GcalChannelEntity,
  IdempotencyKeyEntity,
  HubspotDealStageEntity,
  HubspotDealStageStateEntity,
  PaymentRollupEntity,
  RevenueDriftEntity,
  OrphanEventEntity,
  ObjectSightingEntity,
  PushMarkEntity,
  AlertEntity,
  PaymentLineageEntity,
];
