import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { AdminAuth } from '../common/auth.guard.js';
import { validationFailure, ZodContract } from '../common/request.validation.js';
import { ApiError } from '../common/swagger.setup.js';
import { AlertsService } from './alerts.service.js';
import { AlertListDto, AlertsQueryDto } from './alerts.schemas.js';

@ApiTags('alerts')
@AdminAuth()
@Controller('alerts')
@ZodContract()
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  @Get()
  @ApiOperation({
    summary: 'Alerts, newest first: what fired, what is still firing, what resolved',
    description:
      'One open alert per condition and subject. Each state change (firing, resolved) is POSTed once to ALERT_WEBHOOK_URL when it is set, retried with backoff until the receiver answers 2xx.',
  })
  @ZodResponse({ status: 200, description: 'A page of alerts', type: AlertListDto })
  @ApiError(400, 'Invalid state, limit or before', validationFailure(AlertsQueryDto.schema, { state: 'open' }, 'query'))
  async list(@Query() { state, limit, before }: AlertsQueryDto) {
    return this.alerts.list(state ?? null, limit, before ?? null);
  }
}
