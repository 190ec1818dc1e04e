import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ZodResponse } from 'nestjs-zod';
import { APP_CONFIG, type AppConfig } from '../config/app.config.js';
import { Database } from '../database/database.sql.js';
import { AppError } from '../common/app.errors.js';
import { HttpMetrics, fmtLabels } from '../common/http.metrics.js';
import { ZodContract } from '../common/request.validation.js';
import { HealthRepository } from './health.repository.js';
import { HealthzDto, ReadyzDownDto, ReadyzDto } from './health.schemas.js';
import { enabledSources } from './health.sources.js';

const started = Date.now();
const uptimeS = () => Math.round((Date.now() - started) / 1000);

@ApiTags('health')
@Controller()
@ZodContract()
export class HealthController {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly db: Database,
    private readonly repo: HealthRepository,
    private readonly httpMetrics: HttpMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('healthz')
  @ApiOperation({ summary: 'Liveness: 200 while the process lives' })
  @ZodResponse({ status: 200, type: HealthzDto })
  healthz() {
    return { status: 'ok' as const, uptimeS: uptimeS() };
  }

  @Get('readyz')
  @ApiOperation({ summary: 'Readiness: 200 when Postgres answers; vendor outages only degrade syncStatus' })
  @ApiOkResponse({ description: 'Postgres answers', type: ReadyzDto.Output })
  @ApiServiceUnavailableResponse({ description: 'Postgres does not answer', type: ReadyzDownDto.Output })
  async readyz() {
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
    }
    const body = { status: dbOk ? (syncStatus === 'healthy' ? 'ok' : 'degraded') : 'down', syncStatus, checks, uptimeS: uptimeS() };
    if (dbOk) return body;
    // A 503 like every other: the contract's error fields beside the readiness report.
    throw new AppError(503, 'database_unavailable', 'The database is unavailable.', body);
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
