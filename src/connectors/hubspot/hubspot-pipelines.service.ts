import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { logger } from '../../common/app.logger.js';
import { APP_CONFIG, type AppConfig } from '../../config/app.config.js';
import { Database, type Sql } from '../../database/database.sql.js';
import { PaymentsRepository } from '../../records/payments.repository.js';
import { changedStages, effectiveClasses, StageClassifier, type StageClass } from './deal-stage.map.js';
import { HubspotConnection } from './hubspot.connection.js';
import { classifyHubspotError, HubspotInvalidPayload } from './hubspot.errors.js';
import { dealDerivationRev, mapDeal, toHubspotObject } from './hubspot.mappers.js';
import { mapPipelines, type StageRecord } from './hubspot-pipelines.mapper.js';
import { HubspotPipelinesRepository } from './hubspot-pipelines.repository.js';

/** Deals re-derived per statement inside a classification change. */
const REDERIVE_PAGE = 500;
/** A stage id asks for at most one refresh in this window, however many deals carry it. */
const ASK_AGAIN_AFTER_MS = 30_000;
/**
 * A deal last modified before the last pipelines read (less this margin for clock skew between
 * HubSpot and us) already sat in its stage when HubSpot listed the pipelines: if that answer did
 * not know the stage, another refresh will not either.
 */
const CLOCK_MARGIN_MS = 5 * 60_000;
const SHUTDOWN_WAIT_MS = 5_000;

export interface UnknownStageSighting {
  stageId: string;
  /** The deal's last modification (moving it into the stage is one). */
  modifiedAt: Date | null;
}

export interface ClassificationChange {
  rev: number;
  changedStages: string[];
  /** Ledger rows whose derived fields changed. */
  rederived: number;
  /** Deals whose snapshot cannot become a row under the new classification (e.g. now won, amount unusable): kept as they were. */
  rederiveFailed: string[];
  /** Deals in changed stages written before snapshots were kept: a full sync re-derives them. */
  withoutSnapshot: number;
}

export type RefreshOutcome =
  | ({ ok: true; reason: string; stages: number; skipped: number } & ClassificationChange)
  | { ok: false; reason: string; error: string; errorClass: 'auth' | 'transient' | 'permanent' };

export interface PipelinesReadiness {
  pipelinesRefreshedAt: string | null;
  pipelinesError?: string;
}

const sameMap = (a: Record<string, StageClass>, b: Record<string, StageClass>): boolean => {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
};

/**
 * Deal stage classification from HubSpot's pipelines (see README "How stages become revenue").
 *
 * Source of truth is Postgres: the stages HubSpot listed plus the HUBSPOT_STAGE_MAP last applied,
 * under a revision. Every process derives deals with the stored classification, read under a
 * shared advisory lock held by the writing transaction; a change takes the lock exclusively,
 * stores the new classification and re-derives, from their stored snapshots, exactly the deals
 * whose stage changed class, in the same transaction. Revenue follows; nothing else moves.
 *
 * Refreshes come from the schedule, every full deal sync, and deals whose stage id is unknown
 * (polled or fetched for a webhook). Concurrent refreshes in a process share one call; unknown
 * stages are coalesced into at most one follow-up refresh. A failed call (401, 429, 5xx after the
 * client's retries) keeps the last known pipelines.
 */
@Injectable()
export class HubspotPipelinesService implements OnApplicationBootstrap, OnApplicationShutdown {
  private cached: StageClassifier | null = null;
  /** Start of the last successful pipelines read, as stored (any process). */
  private refreshedAt: Date | null = null;
  private inflight: Promise<RefreshOutcome> | null = null;
  private readonly asked = new Map<string, number>();
  private readonly pending = new Map<string, number>();
  private draining: Promise<void> | null = null;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: Database,
    private readonly connection: HubspotConnection,
    private readonly repo: HubspotPipelinesRepository,
    private readonly payments: PaymentsRepository,
  ) {}

  /** HUBSPOT_STAGE_MAP as configured for this process becomes the stored one (re-deriving what it moves). */
  async onApplicationBootstrap(): Promise<void> {
    try {
      const change = await this.applyStageMap();
      if (change)
        logger.info('HUBSPOT_STAGE_MAP applied', {
          stages: change.changedStages,
          rev: change.rev,
          rederived: change.rederived,
        });
    } catch (err) {
      logger.error('HUBSPOT_STAGE_MAP could not be applied', { err: (err as Error).message });
    }
  }

  /** Lets a refresh under way finish (a one-shot job may have asked for it), within a bound. */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.idle(), new Promise<void>((r) => (timer = setTimeout(r, SHUTDOWN_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /**
   * The classification for a transaction that writes deals: takes the shared lock (held until that
   * transaction ends) so no classification change can commit between this read and those writes.
   */
  async classifierForWrite(sql: Sql): Promise<StageClassifier> {
    await this.repo.lockShared(sql);
    return this.load(sql);
  }

  /** The stored classification, for reports (no lock). */
  async current(): Promise<StageClassifier> {
    return this.load(this.db);
  }

  /** Cached per revision: a revision only moves when some stage's class does. */
  private async load(sql: Sql): Promise<StageClassifier> {
    // State first, stages second: a change committing in between is caught by the next call's revision check.
    const state = await this.repo.loadState(sql);
    this.refreshedAt = state.refreshedAt;
    if (this.cached && this.cached.rev === state.rev) return this.cached;
    const stages = await this.repo.loadStages(sql);
    this.cached = new StageClassifier(state.rev, effectiveClasses(stages, state.stageMap));
    return this.cached;
  }

  /** Reads the pipelines from HubSpot now; joins a refresh already under way in this process. */
  refresh(reason: string): Promise<RefreshOutcome> {
    if (this.inflight) return this.inflight;
    const run = this.doRefresh(reason).finally(() => {
      if (this.inflight === run) this.inflight = null;
    });
    this.inflight = run;
    return run;
  }

  private async doRefresh(reason: string): Promise<RefreshOutcome> {
    const api = this.connection.api;
    if (!api) return { ok: false, reason, error: 'HUBSPOT_ACCESS_TOKEN is not set.', errorClass: 'auth' };
    const startedAt = new Date();
    let answer: unknown;
    try {
      answer = await api.dealPipelines();
      if (!Array.isArray((answer as { results?: unknown } | null)?.results))
        throw new MalformedAnswer('HubSpot pipelines answer has no results array');
    } catch (err) {
      const c =
        err instanceof MalformedAnswer
          ? { errorClass: 'permanent' as const, status: null, message: err.message }
          : classifyHubspotError(err);
      const errorClass = c.errorClass === 'auth' || c.errorClass === 'transient' ? c.errorClass : 'permanent';
      logger.warn('hubspot pipelines refresh failed: keeping the last known pipelines', {
        reason,
        errorClass,
        status: c.status,
        error: c.message,
      });
      await this.repo.recordFailure(this.db, c.message, startedAt).catch(() => undefined);
      return { ok: false, reason, error: c.message, errorClass };
    }
    const { stages, skipped } = mapPipelines(answer);
    for (const s of skipped)
      logger.warn('hubspot pipeline stage skipped', { pipelineId: s.pipelineId, stageId: s.stageId, reason: s.reason });
    const change = await this.apply({ stages, at: startedAt });
    if (change.changedStages.length) {
      logger.info('hubspot deal stage classification changed', {
        reason,
        rev: change.rev,
        stages: change.changedStages.slice(0, 50),
        rederived: change.rederived,
      });
    }
    return { ok: true, reason, stages: stages.length, skipped: skipped.length, ...change };
  }

  /** Stores HUBSPOT_STAGE_MAP when it differs from the one last applied; null when nothing to do. */
  async applyStageMap(): Promise<ClassificationChange | null> {
    const state = await this.repo.loadState(this.db);
    if (sameMap(state.stageMap, this.config.hubspot.stageMap)) return null;
    return this.apply(null);
  }

  /**
   * One classification pass in one transaction, under the exclusive lock: merge the answer (if
   * any) into the stored stages, apply this process's HUBSPOT_STAGE_MAP, and when any stage
   * changes class, bump the revision and re-derive the deals in exactly those stages.
   */
  private async apply(answer: { stages: StageRecord[]; at: Date } | null): Promise<ClassificationChange> {
    const { classifier, change } = await this.db.tx(async (sql) => {
      await this.repo.lockExclusive(sql);
      const state = await this.repo.loadState(sql);
      const stored = await this.repo.loadStages(sql);
      const before = effectiveClasses(stored, state.stageMap);
      const merged = new Map<string, StageRecord>(stored.map((s) => [s.stageId, s]));
      if (answer) {
        await this.repo.upsertStages(sql, answer.stages, answer.at);
        for (const s of answer.stages) merged.set(s.stageId, s);
      }
      const stageMap = { ...this.config.hubspot.stageMap };
      const after = effectiveClasses(merged.values(), stageMap);
      const changed = changedStages(before, after);
      const rev = changed.length ? state.rev + 1 : state.rev;
      await this.repo.saveState(sql, { rev, stageMap, refreshedAt: answer?.at ?? null });
      const classifier = new StageClassifier(rev, after);
      const result = changed.length
        ? await this.rederive(sql, changed, classifier)
        : { rederived: 0, rederiveFailed: [], withoutSnapshot: 0 };
      return { classifier, change: { rev, changedStages: changed, ...result } };
    });
    this.cached = classifier;
    if (answer) this.refreshedAt = answer.at;
    if (change.rederiveFailed.length) {
      logger.warn(
        'hubspot deals not re-derived: their snapshot cannot become a ledger row under the new classification (kept as they were)',
        {
          count: change.rederiveFailed.length,
          dealIds: change.rederiveFailed.slice(0, 50),
        },
      );
    }
    if (change.withoutSnapshot) {
      logger.warn('hubspot deals without a stored snapshot cannot be re-derived: a full HubSpot sync re-derives them', {
        count: change.withoutSnapshot,
      });
    }
    return change;
  }

  /**
   * Deterministic and idempotent: each deal is mapped again from its stored snapshot with the new
   * classification and written with its own vendor version, deletion and outbox lineage under the
   * new revision, so last-write-wins lets it replace the older derivation of the same version and
   * nothing newer. Running it twice changes nothing the second time.
   */
  private async rederive(
    sql: Sql,
    stageIds: string[],
    classifier: StageClassifier,
  ): Promise<Omit<ClassificationChange, 'rev' | 'changedStages'>> {
    let after: string | null = null;
    let rederived = 0;
    const rederiveFailed: string[] = [];
    for (;;) {
      const page = await this.payments.hubspotDealsInStages(sql, stageIds, after, REDERIVE_PAGE);
      if (page.length === 0) break;
      const records = [];
      for (const row of page) {
        try {
          const rec = mapDeal(toHubspotObject(row.snapshot), this.config.hubspot.portalCurrency, classifier);
          records.push({
            ...rec,
            version: row.version,
            deletedAt: row.deletedAt,
            outboxId: row.outboxId,
            derivationRev: dealDerivationRev(classifier),
            vendorSnapshot: row.snapshot,
          });
        } catch (err) {
          if (!(err instanceof HubspotInvalidPayload)) throw err;
          rederiveFailed.push(row.externalId);
        }
      }
      rederived += await this.payments.upsertMany(sql, records);
      after = page[page.length - 1].externalId;
      if (page.length < REDERIVE_PAGE) break;
    }
    const withoutSnapshot = await this.payments.countHubspotDealsWithoutSnapshot(sql, stageIds);
    return { rederived, rederiveFailed, withoutSnapshot };
  }

  /**
   * Deals just written with a stage id no classification explains. Asks for one refresh for all of
   * them (never one per deal or per batch), and only for deals modified since the pipelines were
   * last read: an older deal's stage already existed then, so HubSpot did not list it.
   */
  requestRefreshFor(sightings: Iterable<UnknownStageSighting>): void {
    if (this.stopped || !this.connection.api) return;
    const now = Date.now();
    let added = false;
    for (const s of sightings) {
      if (!s.stageId || !this.mayHelp(s.modifiedAt)) continue;
      const at = this.asked.get(s.stageId);
      if (at !== undefined && now - at < ASK_AGAIN_AFTER_MS) continue;
      this.asked.set(s.stageId, now);
      this.pending.set(s.stageId, Math.max(this.pending.get(s.stageId) ?? 0, s.modifiedAt?.getTime() ?? now));
      added = true;
    }
    if (this.asked.size > 10_000)
      for (const [id, at] of this.asked) if (now - at >= ASK_AGAIN_AFTER_MS) this.asked.delete(id);
    if (added && !this.draining) {
      const d = this.drainUnknown()
        .catch((err) =>
          logger.warn('hubspot pipelines refresh for unknown stages failed', { err: (err as Error).message }),
        )
        .finally(() => {
          if (this.draining === d) this.draining = null;
        });
      this.draining = d;
    }
  }

  private mayHelp(modifiedAt: Date | null): boolean {
    return (
      this.refreshedAt === null ||
      modifiedAt === null ||
      modifiedAt.getTime() > this.refreshedAt.getTime() - CLOCK_MARGIN_MS
    );
  }

  private async drainUnknown(): Promise<void> {
    while (this.pending.size > 0 && !this.stopped) {
      // A refresh already under way may answer these: wait for it, then look again.
      if (this.inflight) await this.inflight.catch(() => undefined);
      const batch = [...this.pending];
      this.pending.clear();
      const classifier = await this.current();
      const stageIds = batch
        .filter(([id, modifiedMs]) => classifier.classOf(id) === 'unknown' && this.mayHelp(new Date(modifiedMs)))
        .map(([id]) => id);
      if (stageIds.length === 0) continue;
      logger.info('hubspot deal stages unknown: refreshing pipelines', {
        stageIds: stageIds.slice(0, 20),
        count: stageIds.length,
      });
      await this.refresh('unknown_stage');
    }
  }

  /** Resolves once no refresh is running or queued in this process (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.draining || this.inflight) {
      await this.draining;
      await this.inflight?.catch(() => undefined);
    }
  }

  async readiness(): Promise<PipelinesReadiness> {
    const s = await this.repo.loadState(this.db);
    const failedSince =
      s.lastError !== null && s.attemptedAt !== null && (s.refreshedAt === null || s.attemptedAt > s.refreshedAt);
    return {
      pipelinesRefreshedAt: s.refreshedAt?.toISOString() ?? null,
      ...(failedSince ? { pipelinesError: s.lastError! } : {}),
    };
  }
}

class MalformedAnswer extends Error {}
