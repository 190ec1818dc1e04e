import { Controller, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AdminAuth } from '../../common/auth.guard.js';
import { IdempotencyService } from '../../idempotency/idempotency.service.js';
import { AppError } from '../../common/app.errors.js';
import { assertJsonObject, Validator } from '../../common/request.validation.js';
import { GcalChannelsService } from './gcal-channels.service.js';
import { GcalConnection } from './gcal.connection.js';
import { errorBody as example } from '../../common/swagger.setup.js';


@ApiTags('admin')
@Controller('admin/gcal')
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
      '(when the scheduler runs). Requires `Idempotency-Key`.',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: '1-255 printable ASCII characters; replays within 24 h return the stored answer' })
  @ApiBody({ required: false, schema: { type: 'object', additionalProperties: false, properties: { calendarId: { type: 'string', example: 'sales@example.com' } } } })
  @ApiOkResponse({
    description: 'Channels opened',
    schema: {
      example: { channels: [{ calendarId: 'sales@example.com', channelId: '0b5f9c4e-6a57-4a4e-9d5c-1f2e3d4c5b6a', resourceId: 'o3hgv1538sdjfh', expiration: '2026-11-28T10:00:00.000Z' }] },
    },
  })
  @ApiResponse({
    status: 400,
    description: 'validation_failed (unknown calendarId) | idempotency_key_required | source_not_enabled | gcal_webhook_url_missing',
    schema: { example: example('gcal_webhook_url_missing', 'GCAL_WEBHOOK_URL must be set to the public HTTPS URL of POST /webhooks/gcal before channels can be opened.') },
  })
  @ApiResponse({ status: 409, description: 'idempotency_key_mismatch | watch_in_progress', schema: { example: example('watch_in_progress', 'A channel for sales@example.com is being opened or renewed right now; retry shortly.') } })
  @ApiResponse({ status: 502, description: 'gcal_unavailable | gcal_auth_failed: Google refused or failed', schema: { example: example('gcal_auth_failed', 'Google refused our credentials for sales@example.com: …') } })
  async watch(@Req() req: Request, @Res() res: Response): Promise<void> {
    const body = assertJsonObject(req.body);
    const v = new Validator('body', body);
    for (const key of Object.keys(body)) if (key !== 'calendarId') v.fail(key, `${key} is not a known field.`);
    const calendarId = v.string('calendarId', { max: 1024 });
    if (calendarId !== undefined && !this.connection.calendarIds.includes(calendarId)) {
      v.fail('calendarId', `calendarId must be one of the configured calendars (GCAL_CALENDAR_IDS): ${this.connection.calendarIds.join(', ') || 'none'}.`);
    }
    v.done();
    if (!this.connection.enabled) {
      throw new AppError(400, 'source_not_enabled', 'gcal is not configured (set GCAL_SERVICE_ACCOUNT_JSON and GCAL_CALENDAR_IDS).', { source: 'gcal' });
    }
    await this.idempotency.execute(req, res, 200, async () => ({
      channels: await this.channels.watch(calendarId !== undefined ? [calendarId] : this.connection.calendarIds),
    }));
  }
}
