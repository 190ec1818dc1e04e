import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app.config.js';
import { HubspotPipelinesService } from '../connectors/hubspot/hubspot-pipelines.service.js';
import { DbHealthIndicator } from './db.indicator.js';
import { enabledSources } from '../config/config.sources.js';
import { VendorSyncHealthIndicator } from './vendor-sync.indicator.js';

export type ReadinessCheckEntry =
  | { ok: true; latencyMs: number }
  | { ok: false; error: 'database_unavailable' }
  | {
      ok: boolean;
      lastSync: string | null;
      lastStatus: string | null;
      error?: string | null;
      pipelinesRefreshedAt?: string | null;
      pipelinesError?: string;
    };

/** The body of GET /readyz (CONTRACT.md) without uptimeS. */
export interface Readiness {
  status: 'ok' | 'degraded' | 'down';
  syncStatus: 'healthy' | 'degraded';
  checks: Record<string, ReadinessCheckEntry>;
}

/**
 * Runs the Terminus indicators and folds them into the contract's readiness report: ready
 * (`ok` or `degraded`) exactly when the database indicator is up; a degraded vendor only
 * degrades syncStatus. Vendors are not checked while the database is down (their state lives there).
 */
@Injectable()
export class ReadinessCheck {
  constructor(
    private readonly db: DbHealthIndicator,
    private readonly vendors: VendorSyncHealthIndicator,
    private readonly hubspotPipelines: HubspotPipelinesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async check(): Promise<Readiness> {
    const { db } = await this.db.check();
    if (db.status !== 'up')
      return { status: 'down', syncStatus: 'degraded', checks: { db: { ok: false, error: 'database_unavailable' } } };
    const checks: Record<string, ReadinessCheckEntry> = { db: { ok: true, latencyMs: Number(db.latencyMs) } };
    let syncStatus: Readiness['syncStatus'] = 'healthy';
    const vendors = await this.vendors.checkAll(enabledSources(this.config));
    for (const [source, { status, lastSync, lastStatus, error }] of Object.entries(vendors)) {
      const ok = status === 'up';
      if (!ok) syncStatus = 'degraded';
      checks[source] = { ok, lastSync, lastStatus, ...(ok ? {} : { error: error ?? null }) };
    }
    // When HubSpot's deal pipelines (which decide what counts as won) were last read, and why not since.
    if (checks.hubspot)
      Object.assign(
        checks.hubspot,
        await this.hubspotPipelines.readiness().catch(() => ({ pipelinesRefreshedAt: null })),
      );
    return { status: syncStatus === 'healthy' ? 'ok' : 'degraded', syncStatus, checks };
  }
}
