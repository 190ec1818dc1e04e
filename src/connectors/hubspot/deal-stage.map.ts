import type { HubspotStageClass } from '../../config/app.config.js';
import type { PaymentStatus, RevenueEffect } from '../../records/record.types.js';

export interface DealStageMapping {
  status: PaymentStatus;
  effect: RevenueEffect;
}

export type StageClass = HubspotStageClass;
/** `unknown`: no pipeline, override or built-in entry explains the stage id. */
export type StageStatus = StageClass | 'unknown';

const MAPPINGS: Readonly<Record<StageStatus, DealStageMapping>> = {
  won: { status: 'SUCCEEDED', effect: 'gross' },
  lost: { status: 'LOST', effect: 'none' },
  open: { status: 'OPEN', effect: 'none' },
  // Unexplained stages count nowhere and surface on /metrics/unmapped-statuses.
  unknown: { status: 'UNKNOWN', effect: 'none' },
};

/**
 * HubSpot's default sales pipeline, whose stage ids are fixed words. It is what the classifier
 * knows before the pipelines API has ever answered (or when the token lacks access to it); once
 * HubSpot lists these stages, their metadata wins (a portal can edit the default pipeline too).
 */
export const DEFAULT_PIPELINE_STAGES: Readonly<Record<string, StageClass>> = {
  appointmentscheduled: 'open',
  qualifiedtobuy: 'open',
  presentationscheduled: 'open',
  decisionmakerboughtin: 'open',
  contractsent: 'open',
  closedwon: 'won',
  closedlost: 'lost',
};

/** What a stage's metadata says, as stored per stage (see hubspot-pipelines.mapper.ts). */
export interface ClassifiedStage {
  stageId: string;
  metadataClass: StageClass;
}

/**
 * Effective classification of every stage id we can explain: the built-in default pipeline, then
 * each stage HubSpot listed (archived ones included: deals keep sitting in them), then
 * HUBSPOT_STAGE_MAP, which wins over everything.
 */
export function effectiveClasses(
  stages: Iterable<ClassifiedStage>,
  override: Readonly<Record<string, StageClass>>,
): Map<string, StageClass> {
  const out = new Map<string, StageClass>(Object.entries(DEFAULT_PIPELINE_STAGES));
  for (const s of stages) out.set(s.stageId, s.metadataClass);
  for (const [id, c] of Object.entries(override)) out.set(id, c);
  return out;
}

/** Stage ids whose classification differs between two effective maps, sorted. */
export function changedStages(
  before: ReadonlyMap<string, StageClass>,
  after: ReadonlyMap<string, StageClass>,
): string[] {
  const ids = new Set([...before.keys(), ...after.keys()]);
  return [...ids].filter((id) => (before.get(id) ?? 'unknown') !== (after.get(id) ?? 'unknown')).sort();
}

/**
 * One immutable classification, tagged with the revision it was stored under. Ledger rows carry
 * that revision (packed with mapDeal's code revision into payments.derivation_rev, see
 * dealDerivationRev) so a row re-derived under a newer classification wins over the same vendor
 * version derived under an older one.
 */
export class StageClassifier {
  static readonly builtin = new StageClassifier(0, effectiveClasses([], {}));

  constructor(
    readonly rev: number,
    private readonly classes: ReadonlyMap<string, StageClass>,
  ) {}

  classOf(stageId: string | null | undefined): StageStatus {
    if (typeof stageId !== 'string') return 'unknown';
    return this.classes.get(stageId) ?? 'unknown';
  }

  mapping(stageId: string | null | undefined): DealStageMapping {
    return MAPPINGS[this.classOf(stageId)];
  }

  /** Every stage id this classification explains. */
  knownStageIds(): string[] {
    return [...this.classes.keys()];
  }
}

export function mapDealStage(
  rawStage: string | null | undefined,
  classifier: StageClassifier = StageClassifier.builtin,
): DealStageMapping {
  return classifier.mapping(rawStage);
}
