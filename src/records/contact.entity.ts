import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** contacts: HubSpot contacts, last-write-wins on the vendor version (migration 20261121000000). */
export const ContactEntity = defineEntity({
  name: 'Contact',
  tableName: 'contacts',
  properties: {
    id: p.bigint('string').primary(),
    source: p.text(),
    externalId: p.text(),
    email: p.text().nullable(),
    phone: p.text().nullable(),
    firstName: p.text().nullable(),
    lastName: p.text().nullable(),
    lifecycleStage: p.text().nullable(),
    deletedAt: p.datetime().nullable(),
    versionAt: p.datetime(),
    versionRank: p.integer().default(0),
    versionTiebreak: p.text().default(''),
    outboxId: p.bigint('string').nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
  uniques: [{ name: 'contacts_source_external', properties: ['source', 'externalId'] }],
});

export type ContactRecord = InferEntity<typeof ContactEntity>;
