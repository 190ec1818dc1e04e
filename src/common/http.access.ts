import type { NextFunction, Request, Response } from 'express';
import { pinoHttp } from 'pino-http';
import { rootLogger } from './app.logger.js';
import type { HttpMetrics } from './http.metrics.js';

const WEBHOOK_SOURCES = new Set(['stripe', 'hubspot', 'gcal']);
const ELAPSED = Symbol('elapsedS');
const STARTED = Symbol('startedAt');

type Timed = Response & { [ELAPSED]?: number; [STARTED]?: number };

/**
 * The route pattern Nest registered (`/runs/:runId`), never the raw URL, so a label stays bounded
 * whatever paths clients send; requests answered before routing (404, 429, 415…) are `unmatched`.
 */
export function routeOf(req: Request): string {
  const route = (req as { route?: { path?: unknown } }).route;
  const path = route?.path;
  return typeof path === 'string' ? `${req.baseUrl ?? ''}${path}` : 'unmatched';
}

/** Seconds from the access middleware to the end of the response; measured once, shared by the log line and the metrics. */
function elapsedS(res: Timed): number {
  res[ELAPSED] ??= (performance.now() - (res[STARTED] ?? performance.now())) / 1000;
  return res[ELAPSED];
}

function statusOf(res: Response): number | 'aborted' {
  return res.writableFinished || res.headersSent ? res.statusCode : 'aborted';
}

/**
 * One access line per request (method, route, path, status, latency in ms; requestId from the log
 * context) through pino-http, and the HTTP latency histograms. Mounted right after the request-id
 * middleware, before anything that can answer early (host check, rate limit, body errors), so
 * those requests are logged and measured too.
 */
export function httpAccess(metrics: HttpMetrics) {
  const accessLog = pinoHttp({
    logger: rootLogger,
    genReqId: (req) => (req as Request & { id?: string }).id ?? '',
    // No request/response objects on any line: headers would carry the API keys and signatures.
    wrapSerializers: false,
    serializers: { req: () => undefined, res: () => undefined },
    // The id is on the line itself (accessFields), not bound to a child logger: a binding would
    // repeat the requestId key that the log context adds.
    quietResLogger: true,
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessMessage: (req) => (req.readableAborted ? 'request aborted' : 'request completed'),
    customErrorMessage: () => 'request failed',
    customSuccessObject: (req, res) => accessFields(req as Request, res as Timed),
    customErrorObject: (req, res, err) => ({
      ...accessFields(req as Request, res as Timed),
      err: err.message,
    }),
  });
  return (req: Request, res: Response, next: NextFunction) => {
    (res as Timed)[STARTED] = performance.now();
    let recorded = false;
    const record = () => {
      if (recorded) return;
      recorded = true;
      const route = routeOf(req);
      const status = statusOf(res);
      const s = elapsedS(res as Timed);
      metrics.observe('buffalo_http_request_duration_seconds', { method: req.method, route, status }, s);
      const webhook = /^\/webhooks\/([a-z]+)$/i.exec(route);
      if (webhook && WEBHOOK_SOURCES.has(webhook[1].toLowerCase()))
        metrics.observe('buffalo_webhook_receipt_duration_seconds', { source: webhook[1].toLowerCase(), status }, s);
    };
    res.once('finish', record);
    res.once('close', record);
    accessLog(req, res, next);
  };
}

function accessFields(req: Request, res: Timed) {
  return {
    requestId: (req as Request & { id?: string }).id,
    method: req.method,
    route: routeOf(req),
    path: req.path,
    status: statusOf(res),
    ms: Math.round(elapsedS(res) * 10_000) / 10,
    ...errorIdOf(res),
  };
}

/** Set by the exception filter on a 500, so the access line names the errorId the response carries. */
function errorIdOf(res: Response): { errorId?: string } {
  const errorId: unknown = (res.locals as Record<string, unknown> | undefined)?.errorId;
  return typeof errorId === 'string' ? { errorId } : {};
}
