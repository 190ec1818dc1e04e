import { Injectable } from '@nestjs/common';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { Source } from '../records/record.types.js';
import type { SourceSyncState } from '../runs/runs.service.js';
import { RunsService } from '../runs/runs.service.js';

export interface VendorSyncDetail {
  lastSync: string | null;
  lastStatus: string | null;
  error?: string | null;
}

/**
 * One indicator per vendor, from its sync runs: `up` while its latest finished run succeeded (or
 * it has not run yet), `degraded` when that run failed. Never `down`: a vendor outage degrades
 * syncStatus but must not take the service out of rotation.
 */
@Injectable()
export class VendorSyncHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly runs: RunsService,
  ) {}

  /** Every given vendor's indicator, from one read of the runs. */
  async checkAll(
    sources: readonly Source[],
  ): Promise<HealthIndicatorResult<Source, 'up' | 'degraded', VendorSyncDetail>> {
    // Unreadable runs say nothing about the vendors: report them as not failed rather than guess.
    const states = await this.runs.lastSyncBySource().catch((): SourceSyncState[] => []);
    const out: Partial<HealthIndicatorResult<Source, 'up' | 'degraded', VendorSyncDetail>> = {};
    for (const source of sources)
      Object.assign(
        out,
        this.check(
          source,
          states.find((s) => s.source === source),
        ),
      );
    return out as HealthIndicatorResult<Source, 'up' | 'degraded', VendorSyncDetail>;
  }

  check(
    source: Source,
    state: SourceSyncState | undefined,
  ): HealthIndicatorResult<Source, 'up' | 'degraded', VendorSyncDetail> {
    const detail = { lastSync: state?.lastSync?.toISOString() ?? null, lastStatus: state?.lastStatus ?? null };
    const failed = state?.lastStatus != null && state.lastStatus !== 'succeeded' && state.lastStatus !== 'partial';
    const session = this.health.check(source);
    return failed ? session.degraded({ ...detail, error: state?.lastError ?? null }) : session.up(detail);
  }
}
