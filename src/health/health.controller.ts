import { Controller, Get, Header, Inject, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { Request, Response } from 'express';
import { APP_CONFIG, type AppConfig } from '../config/app.config.js';
import { Database } from '../database/database.sql.js';
import { HttpMetrics, fmtLabels } from '../common/http.metrics.js';
import { requestIdOf } from '../common/request-id.middleware.js';
import { HealthRepository } from './health.repository.js';
import { EXAMPLE_REQUEST_ID } from '../common/swagger.setup.js';
import { enabledSources } from './health.sources.js';
import { HubspotPipelinesService } from '../connectors/hubspot/hubspot-pipelines.service.js';

const started = Date.now();
const uptimeS = () => Math.round((Date.now() - started) / 1000);

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly db: Database,
    private readonly repo: HealthRepository,
    private readonly httpMetrics: HttpMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly hubspotPipelines: HubspotPipelinesService,
  ) {}

  @Get('healthz')
  @ApiOperation({ summary: 'Liveness: 200 while the process lives' })
  @ApiOkResponse({ schema: { example: { status: 'ok', uptimeS: 42 } } })
  healthz() {
    return { status: 'ok', uptimeS: uptimeS() };
  }

  @Get('readyz')
  @ApiOperation({ summary: 'Readiness: 200 when Postgres answers; vendor outages only degrade syncStatus' })
  @ApiOkResponse({
    schema: {
      example: {
        status: 'ok',
        syncStatus: 'healthy',
        checks: {
          db: { ok: true, latencyMs: 3 },
          stripe: { ok: true, lastSync: '2026-06-15T10:00:00.000Z' },
          hubspot: { ok: true, lastSync: '2026-06-15T10:00:00.000Z', lastStatus: 'succeeded', pipelinesRefreshedAt: '2026-06-15T09:45:00.000Z' },
        },
        uptimeS: 42,
      },
    },
  })
  @ApiServiceUnavailableResponse({
    description: 'Postgres does not answer',
    schema: {
      example: {
        status: 'down',
        syncStatus: 'degraded',
        checks: { db: { ok: false, error: 'database_unavailable' } },
        uptimeS: 42,
        error: 'database_unavailable',
        message: 'The database is unavailable.',
        requestId: EXAMPLE_REQUEST_ID,
      },
    },
  })
  async readyz(@Req() req: Request, @Res() res: Response) {
    const db = await this.indicators
      .check('db')
      .attempt(async () => ({ latencyMs: await this.db.ping() }))
      .withTimeout(3000);
    const dbOk = db.db.status === 'up';
    const checks: Record<string, unknown> = { db: dbOk ? { ok: true, latencyMs: (db.db as any).latencyMs } : { ok: false, error: 'database_unavailable' } };
    let syncStatus: 'healthy' | 'degraded' = dbOk ? 'healthy' : 'degraded';
    if (dbOk) {
      const states = await this.repo.vendorStates().catch(() => []);
      for (const source of enabledSources(this.config)) {
        const s = states.find((x) => x.source === source);
        const ok = !s || s.lastStatus === null || s.lastStatus === 'succeeded' || s.lastStatus === 'partial';
        if (!ok) syncStatus = 'degraded';
        checks[source] = { ok, lastSync: s?.lastSync?.toISOString() ?? null, lastStatus: s?.lastStatus ?? null, ...(ok ? {} : { error: s?.lastError ?? null }) };
      }
      // When HubSpot's deal pipelines (which decide what counts as won) were last read, and why not since.
      if (checks.hubspot) Object.assign(checks.hubspot as object, await this.hubspotPipelines.readiness().catch(() => ({ pipelinesRefreshedAt: null })));
    }
    const body = { status: dbOk ? (syncStatus === 'healthy' ? 'ok' : 'degraded') : 'down', syncStatus, checks, uptimeS: uptimeS() };
    if (dbOk) {
      res.status(200).json(body);
      return;
    }
    // A 503 like every other: the contract's error fields beside the readiness report.
    res.status(503).json({ ...body, error: 'database_unavailable', message: 'The database is unavailable.', requestId: requestIdOf(req) });
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiProduces('text/plain')
  @ApiOperation({ summary: 'Prometheus metrics (outbox gauges, HTTP and pipeline counters)' })
  async metrics(): Promise<string> {
    let out = `# HELP buffalo_uptime_seconds Process uptime\n# TYPE buffalo_uptime_seconds gauge\nbuffalo_uptime_seconds ${uptimeS()}\n`;
    const gauges = await this.repo.outboxGauges().catch(() => null);
    if (gauges) {
      out += '# HELP buffalo_outbox_rows Outbox rows by status and source\n# TYPE buffalo_outbox_rows gauge\n';
      for (const g of gauges) out += `buffalo_outbox_rows${fmtLabels({ status: g.status, source: g.source })} ${g.count}\n`;
    }
    return out + this.httpMetrics.render();
  }
}
