import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { AppError } from '../common/app.errors.js';
import { Registry } from 'prom-client';
import { HttpMetrics } from '../common/http.metrics.js';
import { ZodContract } from '../common/request.validation.js';
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
  // The format prom-client's registries render (text 0.0.4), not a hand-kept string.
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @ApiProduces('text/plain')
  @ApiOperation({ summary: 'Prometheus metrics (outbox gauges, HTTP and pipeline counters)' })
  async metrics(): Promise<string> {
    return this.httpMetrics.render();
  }
}
