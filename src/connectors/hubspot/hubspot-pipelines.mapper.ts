import type { StageClass } from './deal-stage.map.js';

/** One deal stage as HubSpot lists it, with the classification its metadata implies. */
export interface StageRecord {
  stageId: string;
  pipelineId: string;
  pipelineLabel: string | null;
  label: string | null;
  displayOrder: number | null;
  isClosed: boolean;
  /** As HubSpot sent it ("0.2", "1.0"): kept as text, compared exactly. */
  probability: string;
  /** The stage or its whole pipeline is archived. */
  archived: boolean;
  metadataClass: StageClass;
}

export interface SkippedStage {
  pipelineId: string | null;
  stageId: string | null;
  reason: string;
}

/**
 * closed + probability 1.0 → won (gross on closedate); closed + 0.0 → lost; anything else is
 * open, including a closed stage with a probability in between: only certainty counts as money.
 */
export function classifyStage(isClosed: boolean, probability: number): StageClass {
  if (isClosed && probability === 1) return 'won';
  if (isClosed && probability === 0) return 'lost';
  return 'open';
}

const ID = /^[A-Za-z0-9_-]{1,100}$/;

/** HubSpot sends metadata values as strings ("true", "0.2"); older surfaces sent booleans and numbers. */
function parseIsClosed(v: unknown): boolean | null {
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  return null;
}

function parseProbability(v: unknown): { text: string; value: number } | null {
  let text: string;
  if (typeof v === 'number' && Number.isFinite(v)) text = String(v);
  else if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim())) text = v.trim();
  else return null;
  const value = Number(text);
  return value >= 0 && value <= 1 ? { text, value } : null;
}

const textOrNull = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);
const intOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);

/**
 * The answer of GET /crm/v3/pipelines/deals (the SDK's deserialized object or the raw JSON) →
 * stage records. A stage without a usable id, `isClosed` or probability (0..1), or whose id was
 * already listed by another pipeline, is skipped with its reason; it never blocks the rest.
 */
export function mapPipelines(answer: unknown): { stages: StageRecord[]; skipped: SkippedStage[] } {
  const stages: StageRecord[] = [];
  const skipped: SkippedStage[] = [];
  const results = (answer as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) {
    skipped.push({ pipelineId: null, stageId: null, reason: 'the answer has no results array' });
    return { stages, skipped };
  }
  const seen = new Set<string>();
  for (const raw of results) {
    const p = (raw ?? {}) as Record<string, unknown>;
    const pipelineId = typeof p.id === 'string' && ID.test(p.id) ? p.id : null;
    if (!pipelineId) {
      skipped.push({
        pipelineId: null,
        stageId: null,
        reason: `pipeline without a usable id (${JSON.stringify(p.id ?? null)})`,
      });
      continue;
    }
    if (!Array.isArray(p.stages)) {
      skipped.push({ pipelineId, stageId: null, reason: 'pipeline without a stages array' });
      continue;
    }
    for (const rawStage of p.stages) {
      const s = (rawStage ?? {}) as Record<string, unknown>;
      const stageId = typeof s.id === 'string' && ID.test(s.id) ? s.id : null;
      const skip = (reason: string) => skipped.push({ pipelineId, stageId, reason });
      if (!stageId) {
        skip(`stage without a usable id (${JSON.stringify(s.id ?? null)})`);
        continue;
      }
      if (seen.has(stageId)) {
        skip('stage id already listed by another pipeline');
        continue;
      }
      const meta = (s.metadata ?? {}) as Record<string, unknown>;
      const isClosed = parseIsClosed(meta.isClosed);
      if (isClosed === null) {
        skip(`metadata.isClosed is ${JSON.stringify(meta.isClosed ?? null)}, not "true" or "false"`);
        continue;
      }
      const probability = parseProbability(meta.probability);
      if (!probability) {
        skip(`metadata.probability is ${JSON.stringify(meta.probability ?? null)}, not a number between 0 and 1`);
        continue;
      }
      seen.add(stageId);
      stages.push({
        stageId,
        pipelineId,
        pipelineLabel: textOrNull(p.label),
        label: textOrNull(s.label),
        displayOrder: intOrNull(s.displayOrder),
        isClosed,
        probability: probability.text,
        archived: s.archived === true || p.archived === true,
        metadataClass: classifyStage(isClosed, probability.value),
      });
    }
  }
  return { stages, skipped };
}
