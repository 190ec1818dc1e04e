import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** One example request id across the document, so examples read as one story. */
export const EXAMPLE_REQUEST_ID = '6f1d2c9e-1b1a-4c55-9d5e-3a2b1c0d9e8f';

/** An example error body in the contract's shape. */
export const errorBody = (error: string, message: string, extra: Record<string, unknown> = {}) => ({ error, message, requestId: EXAMPLE_REQUEST_ID, ...extra });

/** A response content entry: the shared Error schema with one example. */
export const errorContent = (error: string, message: string, extra: Record<string, unknown> = {}) => ({
  schema: { $ref: '#/components/schemas/Error', example: errorBody(error, message, extra) },
});

const errorSchema = {
  type: 'object',
  required: ['error', 'message', 'requestId'],
  properties: {
    error: {
      type: 'string',
      example: 'validation_failed',
      description:
        'Snake-case code. Besides each route\'s own: not_found, validation_failed, unauthorized, payload_too_large, unsupported_media_type, ' +
        'rate_limited (429, Retry-After), database_unavailable (503, Retry-After), internal_error (500, with errorId); and for requests refused before routing: ' +
        'bad_request (400, not valid HTTP or no Host), headers_too_large (431), request_timeout (408).',
    },
    message: { type: 'string', example: 'startDate must be a real calendar date in YYYY-MM-DD format.' },
    requestId: { type: 'string', example: '6f1d2c9e-1b1a-4c55-9d5e-3a2b1c0d9e8f' },
    code: { type: 'string', description: 'Sub-code (401: invalid_api_key | invalid_admin_key)' },
    path: { type: 'string', description: '404 not_found: the unknown path' },
    errorId: { type: 'string', description: '500 internal_error: matches the log line' },
    retryAfterS: { type: 'integer', description: '429 rate_limited: seconds until a request is accepted again (also in Retry-After)' },
    issues: {
      type: 'array',
      items: {
        type: 'object',
        properties: { in: { type: 'string', enum: ['query', 'params', 'body', 'header'] }, field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

export function setupSwagger(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Buffalo API')
    .setDescription(
      'One revenue number finance and ops can trust. Money is integer minor units serialised as strings; ' +
        'every error is `{"error","message","requestId",…}` (see the Error schema). Read endpoints take `X-Api-Key`, ' +
        'admin endpoints `X-Admin-Api-Key` and an `Idempotency-Key` on every POST.',
    )
    .setVersion('1.0.0')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }, 'apiKey')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Admin-Api-Key' }, 'adminApiKey')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  // Every keyed route shares the rate limiter's 429 (webhooks and probes are exempt).
  for (const ops of Object.values(document.paths)) {
    for (const op of Object.values(ops) as Array<{ security?: unknown[]; responses?: Record<string, unknown> }>) {
      if (!op?.security?.length || !op.responses || op.responses['429']) continue;
      op.responses['429'] = {
        description: 'rate_limited: too many requests for this key; retry after Retry-After seconds',
        headers: { 'Retry-After': { schema: { type: 'integer' } } },
        content: { 'application/json': errorContent('rate_limited', 'Too many requests; retry in 1 s.', { retryAfterS: 1 }) },
      };
    }
  }
  document.components = document.components ?? {};
  document.components.schemas = { ...(document.components.schemas ?? {}), Error: errorSchema as any };
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json', yamlDocumentUrl: 'docs/openapi.yaml' });
}
