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
import { signedWebhookRow } from './stripe.outbox-rows.js';
import { verifyStripeSignature } from './stripe-webhook.event.js';

const EXAMPLE_EVENT = {
  id: 'evt_3QbUJ2CZ6qsJgndJ0j6jXW1V',
  object: 'event',
  api_version: '2026-10-28.endive',
  created: 1781000000,
  type: 'charge.refunded',
  livemode: false,
  pending_webhooks: 1,
  request: { id: 'req_Lq2mZc8Yx1Ab', idempotency_key: null },
  data: {
    object: {
      id: 'ch_3QbUJ2CZ6qsJgndJ0xE4kq8s',
      object: 'charge',
      amount: 4900,
      amount_captured: 4900,
      amount_refunded: 4900,
      captured: true,
      currency: 'usd',
      created: 1780990000,
      customer: 'cus_000123',
      disputed: false,
      refunded: true,
      status: 'succeeded',
    },
    previous_attributes: { amount_refunded: 0, refunded: false },
  },
};

const SECRET_HINT =
  'set STRIPE_WEBHOOK_SECRET (the endpoint’s whsec_… signing secret; comma-separate two while rolling it)';

/**
 * Fast and dumb: verify `Stripe-Signature` on the raw bytes, store the event in the outbox keyed by
 * its id (so Stripe's redeliveries and our Events API polling dedupe against each other), answer
 * after commit. The worker does the rest. A verified body is stored whatever its shape (DESIGN
 * invariant 6): refusing it would lose it once Stripe stops retrying; the worker parks what it
 * cannot map as dead `invalid_payload`, to be redriven once the mapper knows the shape.
 */
@ApiTags('webhooks')
@Controller('webhooks')
@ZodContract()
export class StripeWebhookController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly receiver: WebhookReceiver,
  ) {}

  @Post('stripe')
  @ApiOperation({
    summary: 'Stripe webhook endpoint',
    description:
      'Point a Stripe webhook endpoint at this URL. The `Stripe-Signature` header (`t=<unix>,v1=<hex HMAC-SHA256>`) is verified on the raw body ' +
      'with STRIPE_WEBHOOK_SECRET; signatures dated more than 300 s before or after now are refused. The event is stored once per event id and processed asynchronously ' +
      '(visible in revenue within about a second). Any event type is accepted; types that do not affect money are stored and marked ignored. ' +
      'Once the signature verifies, the body is stored whatever its shape (an event without `created` or `data.object`, a new API version, ' +
      'even a body that is not JSON, kept base64): the answer is 200 and the worker parks what it cannot map as dead with reason ' +
      '`invalid_payload` (see GET /outbox/dead), to be redriven after a fix. Events without a usable `id` are deduplicated by a hash of their bytes. ' +
      'Works with only STRIPE_WEBHOOK_SECRET set (no API key needed).',
  })
  @ApiHeader({
    name: 'Stripe-Signature',
    required: true,
    description: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "t.rawBody">',
    example: 't=1781000000,v1=5257a869e7…',
  })
  @ApiBody({
    description: 'A Stripe Event object, exactly as Stripe sent it',
    schema: { type: 'object', required: ['id', 'type', 'created', 'data'], example: EXAMPLE_EVENT },
  })
  @ZodResponse({
    status: 200,
    description:
      'Stored (duplicate: false) or already stored earlier (duplicate: true); either way Stripe must not retry. `type` is the event type, `unknown` when the body has none',
    type: WebhookReceiptDto,
  })
  @ApiError(400, 'missing_signature | invalid_signature (a verified body is never refused for its shape)', {
    missing_signature: { error: 'missing_signature', message: 'The Stripe-Signature header is required.' },
    invalid_signature: {
      error: 'invalid_signature',
      message: 'Invalid Stripe signature: no signature matches the payload.',
    },
    stale_signature: {
      error: 'invalid_signature',
      message: 'Invalid Stripe signature: the timestamp is outside the 300 s tolerance.',
    },
  })
  @ApiError(404, 'STRIPE_WEBHOOK_SECRET is not configured', {
    error: 'stripe_disabled',
    message: `Stripe webhooks are not enabled on this deployment (${SECRET_HINT}).`,
  })
  @ApiError(413, 'Body larger than MAX_WEBHOOK_BODY_BYTES', {
    error: 'payload_too_large',
    message: 'The request body is larger than this endpoint accepts.',
  })
  @ApiError(503, 'The event could not be stored (Retry-After: 5); Stripe retries the delivery', {
    ...DATABASE_UNAVAILABLE,
    message: 'The event could not be stored; retry later.',
  })
  async receive(@Req() req: HttpRequest) {
    const secrets = (this.config.stripe.webhookSecret ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (secrets.length === 0)
      throw Errors.notFound('stripe_disabled', `Stripe webhooks are not enabled on this deployment (${SECRET_HINT}).`);
    const signature = header(req, 'stripe-signature')?.trim();
    if (!signature) throw Errors.badRequest('missing_signature', 'The Stripe-Signature header is required.');

    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const verdict = verifyStripeSignature(rawBody, signature, secrets);
    if (verdict !== 'ok') {
      const why = {
        stale: `the timestamp is outside the 300 s tolerance`,
        future: 'the timestamp is more than 300 s in the future',
        malformed: 'the header is not of the form t=…,v1=…',
        mismatch: 'no signature matches the payload',
      }[verdict];
      throw Errors.badRequest('invalid_signature', `Invalid Stripe signature: ${why}.`);
    }

    const row = signedWebhookRow(rawBody, readWebhookJson(rawBody));
    return this.receiver.store(row.eventType, [row]);
  }
}
