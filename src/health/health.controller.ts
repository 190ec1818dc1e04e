import { Controller, Get, Header, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { HttpMetrics, fmtLabels } from '../common/http.metrics.js';
import { requestIdOf } from '../common/request-id.middleware.js';
import { OutboxRepository } from '../outbox/outbox.repository.js';
import { EXAMPLE_REQUEST_ID } from '../common/swagger.setup.js';
import { ReadinessCheck } from './readiness.check.js';

const started = Date.now();
const uptimeS = () => Math.round((Date.now() - started) / 1000);

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    private readonly readiness: ReadinessCheck,
    private readonly outbox: OutboxRepository,
    private readonly httpMetrics: HttpMetrics,
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
    const body = { ...(await this.readiness.check()), uptimeS: uptimeS() };
    if (body.status !== 'down') {
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
    const stats = await this.outbox.stats().catch(() => null);
    if (stats) {
      out += '# HELP buffalo_outbox_rows Outbox rows by status and source\n# TYPE buffalo_outbox_rows gauge\n';
      for (const [source, counts] of Object.entries(stats.bySource)) {
        for (const [status, n] of Object.entries(counts)) out += `buffalo_outbox_rows${fmtLabels({ status, source })} ${n}\n`;
      }
    }
    return out + this.httpMetrics.render();
  }
}
