import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { AppError } from '../common/app.errors.js';
import { HttpMetrics, fmtLabels } from '../common/http.metrics.js';
import { ZodContract } from '../common/request.validation.js';
import { OutboxRepository } from '../outbox/outbox.repository.js';
import { HealthzDto, ReadyzDownDto, ReadyzDto } from './health.schemas.js';
import { ReadinessCheck } from './readiness.check.js';

const started = Date.now();
const uptimeS = () => Math.round((Date.now() - started) / 1000);

@ApiTags('health')
@Controller()
@ZodContract()
export class HealthController {
  constructor(
    private readonly readiness: ReadinessCheck,
    private readonly outbox: OutboxRepository,
    private readonly httpMetrics: HttpMetrics,
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
    const body = { ...(await this.readiness.check()), uptimeS: uptimeS() };
    if (body.status !== 'down') return body;
    // A 503 like every other: the contract's error fields beside the readiness report.
    throw new AppError(503, 'database_unavailable', 'The database is unavailable.', body);
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiProduces('text/plain')
  @ApiOperation({ summary: 'Prometheus metrics (outbox gauges, HTTP and pipeline counters)' })
  async metrics(): Promise<string> {
    let out = `# HELP buffalo_uptime_seconds Process uptime\n# TYPE buffalo_uptime_seconds gauge\nbuffalo_uptime_seconds ${uptimeS()}\n`;
    const stats = await this.outbox.stats().catch(() => null);
    if (stats) {
      out += '# HELP buffalo_outbox_rows Outbox rows by status and source\n# TYPE buffalo_outbox_rows gauge\n';
      for (const [source, counts] of Object.entries(stats.bySource)) {
        for (const [status, n] of Object.entries(counts))
          out += `buffalo_outbox_rows${fmtLabels({ status, source })} ${n}\n`;
      }
    }
    return out + this.httpMetrics.render();
  }
}
