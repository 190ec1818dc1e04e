import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** hubspot_deal_stages: every deal stage HubSpot has listed, with its classification (migration 20261201000000). */
export const HubspotDealStageEntity = defineEntity({
  name: 'HubspotDealStage',
  tableName: 'hubspot_deal_stages',
  properties: {
    stageId: p.text().primary(),
    pipelineId: p.text(),
    pipelineLabel: p.text().nullable(),
    label: p.text().nullable(),
    displayOrder: p.integer().nullable(),
    isClosed: p.boolean(),
    probability: p.text(),
    archived: p.boolean().default(false),
    metadataClass: p.enum(['won', 'lost', 'open']),
    firstSeenAt: p.datetime().defaultRaw('now()'),
    lastSeenAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
});

export type HubspotDealStageRecord = InferEntity<typeof HubspotDealStageEntity>;

/** hubspot_deal_stage_state: the one row of classification revision, applied override and refresh times. */
export const HubspotDealStageStateEntity = defineEntity({
  name: 'HubspotDealStageState',
  tableName: 'hubspot_deal_stage_state',
  properties: {
    id: p.boolean().primary().default(true),
    classRev: p.integer().default(0),
    stageMap: p.json<Record<string, string>>().defaultRaw(`'{}'::jsonb`),
    refreshedAt: p.datetime().nullable(),
    attemptedAt: p.datetime().nullable(),
    lastError: p.text().nullable(),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
  checks: [{ name: 'hubspot_deal_stage_state_id_check', expression: 'id' }],
});
