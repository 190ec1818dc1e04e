import { Controller, Post, Req } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { header, type HttpRequest } from '../../common/http.request.js';
import { z } from 'zod';
import { ApiError, DATABASE_UNAVAILABLE } from '../../common/swagger.setup.js';
import { Database } from '../../database/database.sql.js';
import { Errors } from '../../common/app.errors.js';
import { oneOf, parseRequest, text, validationFailure, ZodContract } from '../../common/request.validation.js';
import { WebhookReceiptDto } from '../../webhooks/webhook.schemas.js';
import { vendorMustRetry, WebhookReceiver } from '../../webhooks/webhook-receiver.service.js';
import { GcalChannelsRepository, type GcalChannel } from './gcal-channels.repository.js';
import { GcalConnection } from './gcal.connection.js';
import { channelTokenMatches, notificationInsert, RESOURCE_STATES } from './gcal.notification.js';

/** A message sent just before expiry may arrive a little after it. */
const EXPIRY_GRACE_MS = 5 * 60_000;

/** The headers that describe the notification, checked once its channel token is. */
const NotificationHeaders = z.object({
  'X-Goog-Resource-State': oneOf(RESOURCE_STATES),
  'X-Goog-Message-Number': text({ max: 20, pattern: /^\d{1,20}$/, hint: 'must be a decimal number' }),
});

/**
 * Google push notifications carry no body and no signature: the proof is the channel token we
 * chose when opening the channel, echoed in X-Goog-Channel-Token. It is compared in constant time
 * with the stored token of the channel named by X-Goog-Channel-ID. An unknown, stopped or expired
 * channel is refused like a wrong token (400 invalid_signature): Google does not retry 4xx, so a
 * replaced channel's stragglers end there. Valid notifications are stored in the outbox (deduped
 * by channel + message number); the worker turns `sync`/`exists` into a debounced incremental
 * sync of that calendar.
 */
@ApiTags('webhooks')
@Controller('webhooks')
@ZodContract()
export class GcalWebhookController {
  constructor(
    private readonly connection: GcalConnection,
    private readonly channels: GcalChannelsRepository,
    private readonly db: Database,
    private readonly receiver: WebhookReceiver,
  ) {}

  @Post('gcal')
  @ApiOperation({
    summary: 'Google Calendar push notification',
    description:
      'Sent by Google to the address of a channel opened with POST /admin/gcal/watch. Authenticated by X-Goog-Channel-Token against the stored ' +
      'token of the channel (constant-time). `sync` and `exists` schedule one incremental sync of the calendar (a burst of notifications yields one run); ' +
      '`not_exists` is stored and ignored. Unknown, stopped or expired channels get 400 invalid_signature.',
  })
  @ApiHeader({ name: 'X-Goog-Channel-ID', required: true })
  @ApiHeader({ name: 'X-Goog-Channel-Token', required: true })
  @ApiHeader({ name: 'X-Goog-Resource-State', required: true, enum: [...RESOURCE_STATES] })
  @ApiHeader({ name: 'X-Goog-Message-Number', required: true })
  @ApiHeader({ name: 'X-Goog-Resource-ID', required: false })
  @ApiHeader({ name: 'X-Goog-Resource-URI', required: false })
  @ApiHeader({ name: 'X-Goog-Channel-Expiration', required: false })
  @ZodResponse({
    status: 200,
    description: 'Stored (or already stored); `type` is the resource state',
    type: WebhookReceiptDto,
  })
  @ApiError(400, 'missing_signature | invalid_signature | validation_failed', {
    missing_signature: {
      error: 'missing_signature',
      message: 'X-Goog-Channel-ID and X-Goog-Channel-Token headers are required.',
    },
    invalid_signature: {
      error: 'invalid_signature',
      message: 'Unknown, stopped or expired channel, or a wrong channel token.',
    },
    validation_failed: validationFailure(
      NotificationHeaders,
      { 'X-Goog-Resource-State': 'moved', 'X-Goog-Message-Number': '1' },
      'header',
    ),
  })
  @ApiError(404, 'Google Calendar is not configured', {
    error: 'gcal_disabled',
    message: 'Google Calendar is not enabled on this deployment (set GCAL_SERVICE_ACCOUNT_JSON and GCAL_CALENDAR_IDS).',
  })
  @ApiError(503, 'The notification could not be stored (Retry-After: 5); Google retries', {
    ...DATABASE_UNAVAILABLE,
    message: 'The event could not be stored; retry later.',
  })
  async receive(@Req() req: HttpRequest) {
    if (!this.connection.enabled)
      throw Errors.notFound(
        'gcal_disabled',
        'Google Calendar is not enabled on this deployment (set GCAL_SERVICE_ACCOUNT_JSON and GCAL_CALENDAR_IDS).',
      );
    const channelId = header(req, 'x-goog-channel-id');
    const token = header(req, 'x-goog-channel-token');
    if (!channelId || !token)
      throw Errors.badRequest('missing_signature', 'X-Goog-Channel-ID and X-Goog-Channel-Token headers are required.');

    const channel = channelId.length <= 200 ? await this.lookup(channelId) : null;
    const tokenOk = channelTokenMatches(token, channel?.token ?? null);
    const live =
      channel !== null && channel.stoppedAt === null && channel.expiration.getTime() > Date.now() - EXPIRY_GRACE_MS;
    const resourceId = header(req, 'x-goog-resource-id') ?? null;
    const sameResource = !resourceId || !channel?.resourceId || resourceId === channel.resourceId;
    if (!channel || !tokenOk || !live || !sameResource)
      throw Errors.badRequest('invalid_signature', 'Unknown, stopped or expired channel, or a wrong channel token.');

    const { 'X-Goog-Resource-State': state, 'X-Goog-Message-Number': messageNumber } = parseRequest(
      NotificationHeaders,
      {
        'X-Goog-Resource-State': header(req, 'x-goog-resource-state'),
        'X-Goog-Message-Number': header(req, 'x-goog-message-number'),
      },
      'header',
    );

    return this.receiver.store(state, [
      notificationInsert({
        channelId,
        calendarId: channel.calendarId,
        resourceState: state,
        messageNumber,
        resourceId,
        resourceUri: header(req, 'x-goog-resource-uri')?.slice(0, 2000) ?? null,
        channelExpiration: header(req, 'x-goog-channel-expiration')?.slice(0, 100) ?? null,
      }),
    ]);
  }

  private async lookup(channelId: string): Promise<GcalChannel | null> {
    try {
      return await this.channels.find(this.db, channelId);
    } catch (err) {
      // The vendor must retry (503) rather than drop a notification we could not even check.
      throw vendorMustRetry(err, 'The notification could not be checked; retry later.');
    }
  }
}
