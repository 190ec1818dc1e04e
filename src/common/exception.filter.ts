import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { ZodSerializationException, ZodValidationException } from 'nestjs-zod';
import type { ZodError } from 'zod';
import { AppError, Errors } from './app.errors.js';
import { logger } from './app.logger.js';
import { issuesOf, RequestValidationException } from './request.validation.js';
import { requestIdOf } from './request-id.hook.js';
import { pathOf, RoutePatterns, type HttpReply, type HttpRequest } from './http.request.js';
import { isDbUnavailable } from '../database/database.sql.js';

const ERROR_ID = Symbol('errorId');

/**
 * Errors Fastify raises itself, before a handler runs (a Content-Type header it cannot parse, a
 * path that is not valid percent-encoding, a parameter past maxParamLength): contract codes.
 */
function fromHttpLayer(err: unknown): AppError | null {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return new AppError(413, 'payload_too_large', 'The request body is larger than this endpoint accepts.');
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH')
    return new AppError(415, 'unsupported_media_type', 'Request bodies must be application/json.');
  if (code === 'FST_ERR_BAD_URL' || err instanceof URIError) {
    return new AppError(400, 'validation_failed', 'A path parameter is not valid percent-encoding.', {
      issues: [{ in: 'params', field: '', message: 'Path parameter is not valid percent-encoding.' }],
    });
  }
  if (code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return new AppError(400, 'validation_failed', 'A path parameter is too long.', {
      issues: [{ in: 'params', field: '', message: 'Path parameter is too long.' }],
    });
  }
  return null;
}

/**
 * Fastify's router answers a parameter it cannot percent-decode (/runs/%E0%A4%A) as no match. When
 * the path does fit a route's pattern, the client's mistake is the encoding and it gets the 400 that
 * says so; a path that fits no route stays a 404.
 */
const routes = new RoutePatterns();
export const knownRoutes = routes;

function badParameterEncoding(method: string, path: string): boolean {
  try {
    decodeURIComponent(path);
    return false;
  } catch {
    return routes.matches(method, path);
  }
}

/** The errorId of a request answered 500, for its access line. */
export function errorIdOf(req: HttpRequest): string | undefined {
  return (req as unknown as Record<symbol, string | undefined>)[ERROR_ID];
}

/** Any exception as the contract error it answers with; a 500 is logged under a fresh errorId. */
export function toAppError(exception: unknown, req: HttpRequest): AppError {
  const path = pathOf(req);
  let err: AppError;
  // An unknown route answers 404 whatever its body or Content-Type (as BodyErrorGuard ensures for routed ones).
  const httpLayer = req.is404
    ? badParameterEncoding(req.method, path)
      ? fromHttpLayer(new URIError())
      : null
    : (fromHttpLayer(exception) ?? fromHttpLayer((exception as { cause?: unknown } | null)?.cause));
  if (exception instanceof AppError) err = exception;
  else if (httpLayer) err = httpLayer;
  else if (exception instanceof RequestValidationException) err = Errors.validation(exception.issues);
  // nestjs-zod's own pipe does not say which part of the request failed; bodies are its usual input.
  else if (exception instanceof ZodValidationException)
    err = Errors.validation(issuesOf(exception.getZodError() as ZodError, 'body'));
  else if (req.is404 || (exception instanceof HttpException && exception.getStatus() === 404)) {
    err = new AppError(404, 'not_found', `No route for ${req.method} ${path}.`, { path });
  } else if (exception instanceof HttpException && exception.getStatus() < 500) {
    const status = exception.getStatus();
    // The message of an HTTP-layer error may be library text; the status line says enough.
    const code = (
      { 405: 'method_not_allowed', 413: 'payload_too_large', 415: 'unsupported_media_type' } as Record<number, string>
    )[status];
    err = new AppError(status, code ?? 'bad_request', `${STATUS_CODES[status] ?? 'Bad Request'}.`);
  } else if (isDbUnavailable(exception)) {
    logger.warn('database unavailable', { err: (exception as Error)?.message, path });
    err = new AppError(
      503,
      'database_unavailable',
      'The database is unavailable; retry later.',
      {},
      { 'Retry-After': '5' },
    );
  } else {
    const errorId = randomUUID();
    // A response that does not match its declared schema: the issues say which field drifted.
    const drift =
      exception instanceof ZodSerializationException ? { issues: (exception.getZodError() as ZodError)?.issues } : {};
    logger.error('unhandled error', {
      ...drift,
      errorId,
      path,
      method: req.method,
      err: (exception as Error)?.message,
      stack: (exception as Error)?.stack?.split('\n').slice(0, 6).join(' | '),
    });
    err = new AppError(500, 'internal_error', 'An unexpected error occurred; quote the errorId when reporting it.', {
      errorId,
    });
  }
  // Every 500 (metric_drift too) names the log line it can be found under.
  if (err.status === 500 && err.extra.errorId === undefined)
    err = new AppError(500, err.code, err.message, { ...err.extra, errorId: randomUUID() }, err.headers);
  if (err.status >= 500 && err.code !== 'internal_error')
    logger.error('request failed', { code: err.code, status: err.status, path, ...err.extra });
  return err;
}

/** Answers with the contract's error body; the access line of this request names the same errorId. */
export function sendError(req: HttpRequest, reply: HttpReply, exception: unknown): void {
  const err = toAppError(exception, req);
  if (err.status === 500) (req as unknown as Record<symbol, unknown>)[ERROR_ID] = err.extra.errorId;
  if (reply.sent || reply.raw.headersSent) return;
  const requestId = requestIdOf(req);
  // Set here too: a request Fastify refused while routing never ran the onRequest hook that sets it.
  void reply.header('x-request-id', requestId);
  for (const [k, v] of Object.entries(err.headers)) void reply.header(k, v);
  void reply
    .code(err.status)
    .type('application/json; charset=utf-8')
    .send({ error: err.code, message: err.message, requestId, ...err.extra });
}

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    sendError(ctx.getRequest<HttpRequest>(), ctx.getResponse<HttpReply>(), exception);
  }
}
