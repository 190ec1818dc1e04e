import { Injectable } from '@nestjs/common';
import { lockKey } from '../../database/database.locks.js';
import type { Sql } from '../../database/database.sql.js';
import type { StageClass } from './deal-stage.map.js';
import type { StageRecord } from './hubspot-pipelines.mapper.js';

/**
 * Deal writers hold this lock shared for their whole transaction; a classification change holds
 * it exclusively while it stores the new classification and re-derives the deals it affects. So
 * no deal is ever written under a classification older than the one its stage has at commit.
 */
const CLASSIFICATION_LOCK = lockKey('buffalo:hubspot:deal-stage-classification');

export interface StageState {
  rev: number;
  /** HUBSPOT_STAGE_MAP as last applied by any process. */
  stageMap: Record<string, StageClass>;
  refreshedAt: Date | null;
  attemptedAt: Date | null;
  lastError: string | null;
}

export interface StoredStage extends StageRecord {
  firstSeenAt: Date;
  lastSeenAt: Date;
}

/** Raw rows as the driver returns them: timestamptz as text, jsonb parsed. */
interface StateRow {
  class_rev: number;
  stage_map: Record<string, StageClass> | null;
  refreshed_at: string | null;
  attempted_at: string | null;
  last_error: string | null;
}

interface StageRow {
  stage_id: string;
  pipeline_id: string;
  pipeline_label: string | null;
  label: string | null;
  display_order: number | null;
  is_closed: boolean;
  probability: string;
  archived: boolean;
  metadata_class: StageClass;
  first_seen_at: string;
  last_seen_at: string;
}

const date = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string));

/** hubspot_deal_stages and hubspot_deal_stage_state: only this module names them. */
@Injectable()
export class HubspotPipelinesRepository {
  async lockShared(sql: Sql): Promise<void> {
    await sql.query('SELECT pg_advisory_xact_lock_shared($1::bigint)', [CLASSIFICATION_LOCK]);
  }

  async lockExclusive(sql: Sql): Promise<void> {
    await sql.query('SELECT pg_advisory_xact_lock($1::bigint)', [CLASSIFICATION_LOCK]);
  }

  async loadState(sql: Sql): Promise<StageState> {
    const [r] = await sql.query<StateRow>(
      `SELECT class_rev, stage_map, refreshed_at, attempted_at, last_error FROM hubspot_deal_stage_state WHERE id`,
    );
    if (!r) return { rev: 0, stageMap: {}, refreshedAt: null, attemptedAt: null, lastError: null };
    return {
      rev: Number(r.class_rev),
      stageMap: r.stage_map ?? {},
      refreshedAt: date(r.refreshed_at),
      attemptedAt: date(r.attempted_at),
      lastError: r.last_error,
    };
  }

  async loadStages(sql: Sql): Promise<StoredStage[]> {
    const rows = await sql.query<StageRow>(
      `SELECT stage_id, pipeline_id, pipeline_label, label, display_order, is_closed, probability, archived, metadata_class, first_seen_at, last_seen_at
         FROM hubspot_deal_stages ORDER BY pipeline_id, display_order NULLS LAST, stage_id`,
    );
    return rows.map((r) => ({
      stageId: r.stage_id,
      pipelineId: r.pipeline_id,
      pipelineLabel: r.pipeline_label,
      label: r.label,
      displayOrder: r.display_order === null ? null : Number(r.display_order),
      isClosed: r.is_closed,
      probability: r.probability,
      archived: r.archived,
      metadataClass: r.metadata_class,
      firstSeenAt: new Date(r.first_seen_at),
      lastSeenAt: new Date(r.last_seen_at),
    }));
  }

  /** Stages in the answer are inserted or updated; stages missing from it are left as they were. */
  async upsertStages(sql: Sql, stages: readonly StageRecord[], seenAt: Date): Promise<void> {
    if (stages.length === 0) return;
    await sql.query(
      `INSERT INTO hubspot_deal_stages AS s (stage_id, pipeline_id, pipeline_label, label, display_order, is_closed, probability, archived,
                                             metadata_class, first_seen_at, last_seen_at)
       SELECT t.*, $10::timestamptz, $10::timestamptz
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::boolean[], $7::text[], $8::boolean[], $9::text[]) AS t
       ON CONFLICT (stage_id) DO UPDATE SET
         pipeline_id = excluded.pipeline_id, pipeline_label = excluded.pipeline_label, label = excluded.label,
         display_order = excluded.display_order, is_closed = excluded.is_closed, probability = excluded.probability,
         archived = excluded.archived, metadata_class = excluded.metadata_class, last_seen_at = excluded.last_seen_at,
         updated_at = now()`,
      [
        stages.map((s) => s.stageId),
        stages.map((s) => s.pipelineId),
        stages.map((s) => s.pipelineLabel),
        stages.map((s) => s.label),
        stages.map((s) => s.displayOrder),
        stages.map((s) => s.isClosed),
        stages.map((s) => s.probability),
        stages.map((s) => s.archived),
        stages.map((s) => s.metadataClass),
        seenAt.toISOString(),
      ],
    );
  }

  /** After a classification pass (refresh or boot): the revision, the override applied, and, for a refresh, when. */
  async saveState(
    sql: Sql,
    s: { rev: number; stageMap: Record<string, StageClass>; refreshedAt: Date | null },
  ): Promise<void> {
    await sql.query(
      `UPDATE hubspot_deal_stage_state
          SET class_rev = $1, stage_map = $2::jsonb, updated_at = now(),
              refreshed_at = COALESCE($3::timestamptz, refreshed_at),
              attempted_at = COALESCE($3::timestamptz, attempted_at),
              last_error = CASE WHEN $3::timestamptz IS NULL THEN last_error ELSE NULL END
        WHERE id`,
      [s.rev, JSON.stringify(s.stageMap), s.refreshedAt?.toISOString() ?? null],
    );
  }

  /** A failed pipelines call: the stored stages stay as they were. */
  async recordFailure(sql: Sql, message: string, at: Date): Promise<void> {
    await sql.query(
      `UPDATE hubspot_deal_stage_state SET attempted_at = $1, last_error = $2, updated_at = now() WHERE id`,
      [at.toISOString(), message.slice(0, 500)],
    );
  }
}
