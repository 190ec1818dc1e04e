import { applyDecorators, type INestApplication } from '@nestjs/common';
import { ApiHeader, ApiResponse, DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { cleanupOpenApiDoc } from 'nestjs-zod';
import { z } from 'zod';

/** One example request id across the document, so examples read as one story. */
export const EXAMPLE_REQUEST_ID = '6f1d2c9e-1b1a-4c55-9d5e-3a2b1c0d9e8f';

/** Every non-2xx body (CONTRACT "Conventions"); the exception filter writes exactly these fields. */
export const ErrorBody = z
  .object({
    error: z.string().meta({
      example: 'validation_failed',
      description:
        "Snake-case code. Besides each route's own: not_found, validation_failed, unauthorized, payload_too_large, unsupported_media_type, " +
        'rate_limited (429, Retry-After), database_unavailable (503, Retry-After), internal_error (500, with errorId); and for requests refused before routing: ' +
        'bad_request (400, not valid HTTP or no Host), headers_too_large (431), request_timeout (408).',
    }),
    message: z.string().meta({ example: 'startDate must be a real calendar date in YYYY-MM-DD format.' }),
    requestId: z.string().meta({ example: EXAMPLE_REQUEST_ID }),
    code: z.string().optional().meta({ description: 'Sub-code (401: invalid_api_key | invalid_admin_key)' }),
    path: z.string().optional().meta({ description: '404 not_found: the unknown path' }),
    errorId: z.string().optional().meta({ description: '500 internal_error and metric_drift: matches the log line' }),
    retryAfterS: z
      .int()
      .optional()
      .meta({ description: '429 rate_limited: seconds until a request is accepted again (also in Retry-After)' }),
    issues: z
      .array(z.object({ in: z.enum(['query', 'params', 'body', 'header']), field: z.string(), message: z.string() }))
      .optional()
      .meta({ description: '400 validation_failed: every invalid field of the request' }),
  })
  .meta({
    description:
      'Routes add fields of their own to some codes (e.g. run_not_found: runId; date_range_too_large: maxDays, days).',
  });

type ErrorExample = { error: string; message: string } & Record<string, unknown>;

/** An example error body in the contract's shape. */
export const errorBody = (error: string, message: string, extra: Record<string, unknown> = {}) => ({
  error,
  message,
  requestId: EXAMPLE_REQUEST_ID,
  ...extra,
});

/** The body an AppError answers with (requestId aside), as an OpenAPI example of that very error. */
export const errorExample = (e: { code: string; message: string; extra: Record<string, unknown> }): ErrorExample => ({
  error: e.code,
  message: e.message,
  ...e.extra,
});

/** A response content entry: the shared Error schema with one example. */
export const errorContent = (error: string, message: string, extra: Record<string, unknown> = {}) => ({
  content: {
    'application/json': { schema: { $ref: '#/components/schemas/Error' }, example: errorBody(error, message, extra) },
  },
});

/**
 * Documents one error status: the shared Error schema, with one example, or named examples when
 * a status has several causes. Examples built with `validationFailure` come from the real schema.
 */
export function ApiError(status: number, description: string, examples: ErrorExample | Record<string, ErrorExample>) {
  const single = typeof examples.error === 'string';
  const withId = ({ error, message, ...extra }: ErrorExample) => errorBody(error, message, extra);
  const content = single
    ? { schema: { $ref: '#/components/schemas/Error' }, example: withId(examples as ErrorExample) }
    : {
        schema: { $ref: '#/components/schemas/Error' },
        examples: Object.fromEntries(
          Object.entries(examples as Record<string, ErrorExample>).map(([name, e]) => [
            name,
            { summary: name, value: withId(e) },
          ]),
        ),
      };
  return ApiResponse({ status, description, content: { 'application/json': content } });
}

/** Every admin POST: the Idempotency-Key header and the 409 of a reused key (plus the route's own 409s). */
export const ApiIdempotencyKey = (conflicts: Record<string, ErrorExample> = {}) =>
  applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: true,
      description:
        '1-255 printable ASCII characters. Same key + same route + same body within 24 h replays the stored response (header Idempotent-Replayed: true).',
    }),
    ApiError(409, 'The Idempotency-Key was used with another route or body, or its first request is still running', {
      idempotency_key_mismatch: {
        error: 'idempotency_key_mismatch',
        message: 'This Idempotency-Key was used with a different route or body.',
      },
      idempotency_key_in_progress: {
        error: 'idempotency_key_in_progress',
        message: 'A request with this Idempotency-Key is still being processed; retry later.',
      },
      ...conflicts,
    }),
  );

/** The examples of a missing or malformed Idempotency-Key, for a route's 400. */
export const IDEMPOTENCY_KEY_ERRORS = {
  idempotency_key_required: {
    error: 'idempotency_key_required',
    message: 'The Idempotency-Key header is required on this request.',
  },
};

export const DATABASE_UNAVAILABLE = {
  error: 'database_unavailable',
  message: 'The database is unavailable; retry later.',
};

/**
 * The OpenAPI document of the app, generated from the controllers' decorators and zod DTOs: the
 * same function serves /docs/openapi.json and writes postman/openapi.json (npm run docs:export).
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Buffalo API')
    .setDescription(
      'One revenue number finance and ops can trust. Money is integer minor units serialised as strings; ' +
        'every error is `{"error","message","requestId",…}` (see the Error schema). Read endpoints take `X-Api-Key`, ' +
        'admin endpoints `X-Admin-Api-Key` and an `Idempotency-Key` on every POST.',
    )
    .setVersion('1.0.0')
    // 3.1's schemas are JSON Schema 2020-12, which is what zod writes (nullable is `type: [x, "null"]`).
    .setOpenAPIVersion('3.1.0')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }, 'apiKey')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Admin-Api-Key' }, 'adminApiKey')
    .build();
  const document = cleanupOpenApiDoc(SwaggerModule.createDocument(app, config));
  // Error responses reference the one shared schema by name (ApiError); it is no route's DTO.
  const { $schema: _dialect, ...errorSchema } = z.toJSONSchema(ErrorBody);
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, Error: errorSchema as never },
  };
  // Every keyed route shares the rate limiter's 429 (webhooks and probes are exempt).
  for (const ops of Object.values(document.paths)) {
    for (const op of Object.values(ops) as Array<{ security?: unknown[]; responses?: Record<string, unknown> }>) {
      if (!op?.security?.length || !op.responses || op.responses['429']) continue;
      op.responses['429'] = {
        description: 'rate_limited: too many requests for this key; retry after Retry-After seconds',
        headers: { 'Retry-After': { schema: { type: 'integer' } } },
        ...errorContent('rate_limited', 'Too many requests; retry in 1 s.', { retryAfterS: 1 }),
      };
    }
  }
  showExamples(document);
  renameSchemas(document);
  // Paths and schemas in name order, not in the order modules happen to register their routes.
  document.paths = sortedByKey(document.paths);
  document.components = { ...document.components, schemas: sortedByKey(document.components?.schemas ?? {}) };
  return dropSafeIntegerBounds(document);
}

const sortedByKey = <T>(o: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A response whose schema is a component shows that schema's example next to it, where Swagger
 * UI and the Postman export look for it (the example itself is declared once, on the zod schema).
 */
function showExamples(document: OpenAPIObject): void {
  const schemas = (document.components?.schemas ?? {}) as Record<string, Json>;
  for (const op of Object.values(document.paths).flatMap((ops) => Object.values(ops as Json))) {
    const bodies = [(op as Json)?.requestBody, ...Object.values(((op as Json)?.responses ?? {}) as Json)];
    for (const body of bodies) {
      const media = isObject(body) && isObject(body.content) ? body.content['application/json'] : undefined;
      if (!isObject(media) || media.example !== undefined || media.examples !== undefined || !isObject(media.schema))
        continue;
      const ref = media.schema.$ref;
      const example = typeof ref === 'string' ? schemas[ref.replace('#/components/schemas/', '')]?.example : undefined;
      if (example !== undefined) media.example = example;
    }
  }
}

/**
 * Schemas are named after what they are (Run, RunList, TriggerBody), not after the DTO class that
 * carries them and nestjs-zod's output marker (RunDto_Output).
 */
function renameSchemas(document: OpenAPIObject): void {
  const schemas = document.components?.schemas ?? {};
  const names = new Map(Object.keys(schemas).map((k) => [k, k.replace(/Dto(_Output)?$/, '')]));
  const taken = new Set<string>();
  for (const name of names.values()) {
    if (taken.has(name)) throw new Error(`Two schemas would both be named ${name} in the OpenAPI document`);
    taken.add(name);
  }
  const renamed = JSON.parse(JSON.stringify(document), (key: string, value: unknown) =>
    key === '$ref' && typeof value === 'string' && value.startsWith('#/components/schemas/')
      ? `#/components/schemas/${names.get(value.slice(21)) ?? value.slice(21)}`
      : value,
  ) as OpenAPIObject;
  document.paths = renamed.paths;
  document.components = {
    ...renamed.components,
    schemas: Object.fromEntries(
      Object.entries(renamed.components?.schemas ?? {}).map(([k, v]) => [names.get(k) ?? k, v]),
    ),
  };
}

/** zod writes ±(2^53 − 1) bounds on every integer; they say nothing about these APIs. */
function dropSafeIntegerBounds<T>(node: T): T {
  if (Array.isArray(node)) return node.map(dropSafeIntegerBounds) as T;
  if (!isObject(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    if ((k === 'minimum' || k === 'maximum') && Math.abs(v as number) === Number.MAX_SAFE_INTEGER) continue;
    out[k] = dropSafeIntegerBounds(v);
  }
  return out as T;
}

export function setupSwagger(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs/openapi.json',
    yamlDocumentUrl: 'docs/openapi.yaml',
  });
}
