import type { OutboxKind } from '../../outbox/outbox.types.js';

export type HubspotEntity = 'deals' | 'contacts';
export const HUBSPOT_ENTITIES: readonly HubspotEntity[] = ['deals', 'contacts'];

/**
 * A CRM v3 object as we store it in the outbox: the vendor's JSON shape with ISO strings for the
 * top-level timestamps (the SDK deserializes them into Dates; we turn them back into text so the
 * stored payload is the vendor's evidence, not our interpretation).
 */
export interface HubspotObject {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string | null;
  updatedAt: string | null;
  archived: boolean;
  archivedAt: string | null;
}

export interface EntitySpec {
  entity: HubspotEntity;
  /** Singular name used in dedupe keys and webhook subscription types (deal.creation…). */
  objectType: 'deal' | 'contact';
  kind: Extract<OutboxKind, 'hubspot.deal' | 'hubspot.contact'>;
  /** HubSpot's last-modified property differs per object: contacts use `lastmodifieddate`. */
  modifiedProperty: string;
  properties: readonly string[];
}

export const ENTITY_SPECS: Readonly<Record<HubspotEntity, EntitySpec>> = {
  deals: {
    entity: 'deals',
    objectType: 'deal',
    kind: 'hubspot.deal',
    modifiedProperty: 'hs_lastmodifieddate',
    properties: [
      'dealname',
      'amount',
      'dealstage',
      'pipeline',
      'closedate',
      'deal_currency_code',
      'createdate',
      'hs_lastmodifieddate',
      'hs_object_id',
    ],
  },
  contacts: {
    entity: 'contacts',
    objectType: 'contact',
    kind: 'hubspot.contact',
    modifiedProperty: 'lastmodifieddate',
    properties: [
      'email',
      'phone',
      'firstname',
      'lastname',
      'lifecyclestage',
      'createdate',
      'lastmodifieddate',
      'hs_object_id',
    ],
  },
};

export function specForObjectType(objectType: string): EntitySpec | undefined {
  return Object.values(ENTITY_SPECS).find((s) => s.objectType === objectType);
}
