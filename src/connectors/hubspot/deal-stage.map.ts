import type { PaymentStatus, RevenueEffect } from '../../records/record.types.js';

export interface DealStageMapping {
  status: PaymentStatus;
  effect: RevenueEffect;
}

/**
 * Allow-list of HubSpot's default sales pipeline stage ids. Only `closedwon` is money; custom
 * pipelines use numeric stage ids we cannot interpret, so they become UNKNOWN and count nowhere
 * (they surface on /metrics/unmapped-statuses instead of silently inflating or hiding revenue).
 */
const STAGES: Readonly<Record<string, DealStageMapping>> = {
  closedwon: { status: 'SUCCEEDED', effect: 'gross' },
  closedlost: { status: 'LOST', effect: 'none' },
  appointmentscheduled: { status: 'OPEN', effect: 'none' },
  qualifiedtobuy: { status: 'OPEN', effect: 'none' },
  presentationscheduled: { status: 'OPEN', effect: 'none' },
  decisionmakerboughtin: { status: 'OPEN', effect: 'none' },
  contractsent: { status: 'OPEN', effect: 'none' },
};

const UNKNOWN: DealStageMapping = { status: 'UNKNOWN', effect: 'none' };

export function mapDealStage(rawStage: string | null | undefined): DealStageMapping {
  if (typeof rawStage !== 'string') return UNKNOWN;
  return Object.hasOwn(STAGES, rawStage) ? STAGES[rawStage] : UNKNOWN;
}
