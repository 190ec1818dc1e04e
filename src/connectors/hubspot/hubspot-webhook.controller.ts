import { Controller, Inject, Post, Req } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { header, type HttpRequest } from '../../common/http.request.js';
import { ZodContract } from '../../common/request.validation.js';
import { ApiError, DATABASE_UNAVAILABLE } from '../../common/swagger.setup.js';
import { WebhookReceiptDto } from '../../webhooks/webhook.schemas.js';
import { APP_CONFIG, type AppConfig } from '../../config/app.config.js';
import { Errors } from '../../common/app.errors.js';
import { readWebhookJson } from '../../webhooks/webhook.json.js';
import { WebhookReceiver } from '../../webhooks/webhook-receiver.service.js';
import { verifyHubspotSignatureV3 } from './hubspot.signature.js';
import { signedBatchRows } from './hubspot-webhook.event.js';

const EXAMPLE_BATCH = [
  {
    eventId: 1001,
    subscriptionId: 42,
    portalId: 62515,
    appId: 7,
    occurredAt: 1781000000000,
    subscriptionType: 'deal.propertyChange',
    attemptNumber: 0,
    objectId: 123456,
    propertyName: 'dealstage',
    propertyValue: 'closedwon',
    changeSource: 'CRM_UI',
  },
  {
    eventId: 1002,
    subscriptionId: 43,
    portalId: 62515,
    appId: 7,
    occurredAt: 1781000000500,
    subscriptionType: 'contact.deletion',
    attemptNumber: 0,
    objectId: 987,
    changeSource: 'CRM_UI',
  },
];

/**
 * Fast and dumb: verify the v3 signature on the raw bytes, store every event in the outbox in one
 * statement (deduped by eventId), answer. Processing happens in the worker (HubspotWebhookHandler).
 * A verified batch is stored whatever its shape (DESIGN invariant 6); the worker parks the events
 * it cannot use as dead `invalid_payload`.
 */
@ApiTags('webhooks')
@Controller('webhooks')
@ZodContract()
export class HubspotWebhookController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly receiver: WebhookReceiver,
  ) {}

  @Post('hubspot')
  @ApiOperation({
    summary: 'HubSpot webhook batch (v3 signature)',
    description:
      'Signature: base64(HMAC-SHA256(HUBSPOT_CLIENT_SECRET, method + URI + raw body + X-HubSpot-Request-Timestamp)). The URI is ' +
      'HUBSPOT_WEBHOOK_URL when set, else rebuilt from the request (X-Forwarded-Proto/Host honoured). Timestamps older than 5 minutes are refused. ' +
      'The body is a JSON array of 1–100 events; each is stored once (dedupe by eventId). `duplicate` is true only when every event was already stored; ' +
      '`stored` counts the new ones. Unknown subscription types are stored and later marked ignored. Once the signature verifies, the body is ' +
      'stored whatever its shape (events with odd or missing fields, a single object, even a body that is not JSON, kept base64): the worker parks ' +
      'what it cannot use as dead with reason `invalid_payload` (see GET /outbox/dead). Events without a usable eventId are deduplicated by a hash of their JSON.',
  })
  @ApiHeader({ name: 'X-HubSpot-Signature-v3', required: true, description: 'base64 HMAC-SHA256 signature' })
  @ApiHeader({ name: 'X-HubSpot-Request-Timestamp', required: true, description: 'epoch milliseconds' })
  @ApiBody({ schema: { type: 'array', maxItems: 100, items: { type: 'object' }, example: EXAMPLE_BATCH } })
  @ZodResponse({ status: 200, description: 'Stored (or already stored); `type` is `batch`', type: WebhookReceiptDto })
  @ApiError(400, 'missing_signature | invalid_signature (a verified body is never refused for its shape)', {
    missing_signature: {
      error: 'missing_signature',
      message: 'X-HubSpot-Signature-v3 and X-HubSpot-Request-Timestamp headers are required.',
    },
    invalid_signature: {
      error: 'invalid_signature',
      message: 'Invalid HubSpot signature: the signature does not match.',
    },
  })
  @ApiError(404, 'HUBSPOT_CLIENT_SECRET is not configured', {
    error: 'hubspot_disabled',
    message: 'HubSpot webhooks are not enabled on this deployment (set HUBSPOT_CLIENT_SECRET).',
  })
  @ApiError(503, 'The events could not be stored (Retry-After: 5); HubSpot retries', {
    ...DATABASE_UNAVAILABLE,
    message: 'The event could not be stored; retry later.',
  })
  async receive(@Req() req: HttpRequest) {
    const secret = this.config.hubspot.clientSecret;
    if (!secret)
      throw Errors.notFound(
        'hubspot_disabled',
        'HubSpot webhooks are not enabled on this deployment (set HUBSPOT_CLIENT_SECRET).',
      );
    const signature = header(req, 'x-hubspot-signature-v3');
    const timestamp = header(req, 'x-hubspot-request-timestamp');
    if (!signature || !timestamp) {
      throw Errors.badRequest(
        'missing_signature',
        'X-HubSpot-Signature-v3 and X-HubSpot-Request-Timestamp headers are required.',
      );
    }
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const verdict = verifyHubspotSignatureV3({
      clientSecret: secret,
      method: req.method,
      uri: this.signedUri(req),
      rawBody,
      signature,
      timestamp,
    });
    if (verdict !== 'ok') {
      const why = {
        bad_timestamp: 'the timestamp is not epoch milliseconds',
        stale: 'the timestamp is older than 5 minutes',
        future: 'the timestamp is in the future',
        mismatch: 'the signature does not match',
      }[verdict];
      throw Errors.badRequest('invalid_signature', `Invalid HubSpot signature: ${why}.`);
    }

    return this.receiver.store('batch', signedBatchRows(rawBody, readWebhookJson(rawBody)), { batch: true });
  }

  /** The URL HubSpot called, as HubSpot saw it: the configured public URL, else rebuilt behind any proxy. */
  private signedUri(req: HttpRequest): string {
    if (this.config.hubspot.webhookUrl) return this.config.hubspot.webhookUrl;
    const first = (v: string | undefined) => v?.split(',')[0]?.trim() || undefined;
    const proto = first(header(req, 'x-forwarded-proto')) ?? req.protocol;
    const host = first(header(req, 'x-forwarded-host')) ?? header(req, 'host') ?? '';
    return `${proto}://${host}${req.url}`;
  }
}
