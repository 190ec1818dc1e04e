import { Body, Controller, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { IdempotentCall, type IdempotentRequest } from '../../idempotency/idempotent-request.decorator.js';
import { AdminAuth } from '../../common/auth.guard.js';
import { IdempotencyService } from '../../idempotency/idempotency.service.js';
import { AppError, Errors } from '../../common/app.errors.js';
import { validationFailure, ZodContract } from '../../common/request.validation.js';
import { ApiError, ApiIdempotencyKey, IDEMPOTENCY_KEY_ERRORS } from '../../common/swagger.setup.js';
import { GcalChannelsService } from './gcal-channels.service.js';
import { GcalConnection } from './gcal.connection.js';
import { WatchBodyDto, WatchResultDto } from './gcal-admin.schemas.js';

@ApiTags('admin')
@Controller('admin/gcal')
@ZodContract()
export class GcalAdminController {
  constructor(
    private readonly connection: GcalConnection,
    private readonly channels: GcalChannelsService,
    private readonly idempotency: IdempotencyService,
  ) {}

  @Post('watch')
  @AdminAuth()
  @ApiOperation({
    summary: 'Open or renew Google Calendar push channels',
    description:
      'For the given calendar (default: every calendar of GCAL_CALENDAR_IDS) opens a new push channel to GCAL_WEBHOOK_URL with a random ' +
      'channel id and token, stores it, and stops the calendar’s previous channel. Channels are also renewed automatically before they expire ' +
      '(when the scheduler runs). Requires `Idempotency-Key`. The body is optional.',
  })
  @ApiBody({ type: WatchBodyDto, required: false })
  @ApiIdempotencyKey({
    watch_in_progress: {
      error: 'watch_in_progress',
      message: 'A channel for sales@example.com is being opened or renewed right now; retry shortly.',
    },
  })
  @ZodResponse({ status: 200, description: 'Channels opened', type: WatchResultDto })
  @ApiError(
    400,
    'Invalid body or unknown calendarId, missing Idempotency-Key, Google Calendar not configured, or GCAL_WEBHOOK_URL missing',
    {
      validation_failed: validationFailure(
        WatchBodyDto.schema,
        { calendarId: 'sales@example.com', force: true },
        'body',
      ),
      ...IDEMPOTENCY_KEY_ERRORS,
      source_not_enabled: {
        error: 'source_not_enabled',
        message: 'gcal is not configured (set GCAL_SERVICE_ACCOUNT_JSON and GCAL_CALENDAR_IDS).',
        source: 'gcal',
      },
      gcal_webhook_url_missing: {
        error: 'gcal_webhook_url_missing',
        message:
          'GCAL_WEBHOOK_URL must be set to the public HTTPS URL of POST /webhooks/gcal before channels can be opened.',
      },
    },
  )
  @ApiError(502, 'gcal_unavailable | gcal_auth_failed: Google refused or failed', {
    error: 'gcal_auth_failed',
    message: 'Google refused our credentials for sales@example.com: …',
  })
  async watch(@Body() { calendarId }: WatchBodyDto, @IdempotentCall() req: IdempotentRequest) {
    // Which calendars exist is configuration, not shape: checked here, reported like a schema issue.
    if (calendarId !== undefined && !this.connection.calendarIds.includes(calendarId)) {
      const message = `calendarId must be one of the configured calendars (GCAL_CALENDAR_IDS): ${this.connection.calendarIds.join(', ') || 'none'}.`;
      throw Errors.validation([{ in: 'body', field: 'calendarId', message }]);
    }
    if (!this.connection.enabled) {
      throw new AppError(
        400,
        'source_not_enabled',
        'gcal is not configured (set GCAL_SERVICE_ACCOUNT_JSON and GCAL_CALENDAR_IDS).',
        { source: 'gcal' },
      );
    }
    return this.idempotency.execute(req, 200, async () => ({
      channels: await this.channels.watch(calendarId !== undefined ? [calendarId] : this.connection.calendarIds),
    }));
  }
}
