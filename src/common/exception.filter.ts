import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { ZodSerializationException, ZodValidationException } from 'nestjs-zod';
import type { ZodError } from 'zod';
import { AppError, Errors } from './app.errors.js';
import { logger } from './app.logger.js';
import { issuesOf, RequestValidationException } from './request.validation.js';
import { requestIdOf } from './request-id.middleware.js';
import { isDbUnavailable } from '../database/database.sql.js';

/** Body-parser / express errors carry `type` and `status`; map them to contract codes. */
function fromHttpLayer(err: unknown): AppError | null {
  const type = (err as { type?: unknown } | null | undefined)?.type;
  if (type === 'entity.too.large')
    return new AppError(413, 'payload_too_large', 'The request body is larger than this endpoint accepts.');
  if (type === 'entity.parse.failed') {
    return new AppError(400, 'validation_failed', 'The request body is not valid JSON.', {
      issues: [{ in: 'body', field: '', message: 'Body is not valid JSON.' }],
    });
  }
  if (type === 'encoding.unsupported' || type === 'charset.unsupported')
    return new AppError(415, 'unsupported_media_type', 'Unsupported content encoding or charset.');
  if (type === 'request.aborted') return new AppError(400, 'request_aborted', 'The request was aborted.');
  // Express could not percent-decode a path parameter (e.g. /runs/%E0%A4%A).
  if (err instanceof URIError) {
    return new AppError(400, 'validation_failed', 'A path parameter is not valid percent-encoding.', {
      issues: [{ in: 'params', field: '', message: 'Path parameter is not valid percent-encoding.' }],
    });
  }
  return null;
}

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request>();
    const requestId = requestIdOf(req);
    let err: AppError;
    // Nest's express adapter wraps body-parser errors in an HttpException; the original is its cause.
    const httpLayer = fromHttpLayer(exception) ?? fromHttpLayer((exception as { cause?: unknown } | null)?.cause);
    if (exception instanceof AppError) err = exception;
    else if (httpLayer) err = httpLayer;
    else if (exception instanceof RequestValidationException) err = Errors.validation(exception.issues);
    // nestjs-zod's own pipe does not say which part of the request failed; bodies are its usual input.
    else if (exception instanceof ZodValidationException)
      err = Errors.validation(issuesOf(exception.getZodError() as ZodError, 'body'));
    else if (exception instanceof HttpException && exception.getStatus() === 404) {
      err = new AppError(404, 'not_found', `No route for ${req.method} ${req.path}.`, { path: req.path });
    } else if (exception instanceof HttpException && exception.getStatus() < 500) {
      const status = exception.getStatus();
      // The message of an HTTP-layer error may be library text; the status line says enough.
      err = new AppError(
        status,
        status === 405 ? 'method_not_allowed' : 'bad_request',
        `${STATUS_CODES[status] ?? 'Bad Request'}.`,
      );
    } else if (isDbUnavailable(exception)) {
      logger.warn('database unavailable', { err: (exception as Error)?.message, path: req.path });
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
        path: req.path,
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
      logger.error('request failed', { code: err.code, status: err.status, path: req.path, ...err.extra });
    // The access line of this request names the same errorId.
    if (err.status === 500) res.locals.errorId = err.extra.errorId;
    if (res.headersSent) return;
    for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
    res.status(err.status).json({ error: err.code, message: err.message, requestId, ...err.extra });
  }
}
