import { rootLogger, logContext } from './app.logger.js';
import { errorIdOf } from './exception.filter.js';
import type { HttpMetrics } from './http.metrics.js';
import { pathOf, routeOf, type HttpReply, type HttpRequest } from './http.request.js';

const WEBHOOK_SOURCES = new Set(['stripe', 'hubspot', 'gcal']);
const LOGGED = Symbol('accessLogged');

type Status = number | 'aborted';

/**
 * One access line per request (method, route, path, status, latency in ms, requestId) and the
 * HTTP latency histograms, from Fastify's onResponse and onRequestAbort hooks. Those hooks run for
 * every request, including those answered before routing (404, 429, 415…), so they are logged and
 * measured too. Fastify's own request logging is off: it would log twice and without our fields.
 */
export function httpAccess(metrics: HttpMetrics) {
  const record = (req: HttpRequest, reply: HttpReply, status: Status) => {
    const flags = req as unknown as Record<symbol, boolean>;
    if (flags[LOGGED]) return;
    flags[LOGGED] = true;
    const route = routeOf(req);
    const ms = reply.elapsedTime;
    const s = ms / 1000;
    metrics.observe('buffalo_http_request_duration_seconds', { method: req.method, route, status }, s);
    const webhook = /^\/webhooks\/([a-z]+)$/i.exec(route);
    if (webhook && WEBHOOK_SOURCES.has(webhook[1].toLowerCase()))
      metrics.observe('buffalo_webhook_receipt_duration_seconds', { source: webhook[1].toLowerCase(), status }, s);
    const errorId = errorIdOf(req);
    const fields = {
      method: req.method,
      route,
      path: pathOf(req),
      status,
      ms: Math.round(ms * 10) / 10,
      ...(errorId ? { errorId } : {}),
    };
    // Written inside the request's own log context, so the requestId is on the line exactly once.
    logContext.run({ requestId: req.id }, () => {
      if (status === 'aborted') rootLogger.info(fields, 'request aborted');
      else if (status >= 500) rootLogger.error(fields, 'request failed');
      else rootLogger.info(fields, 'request completed');
    });
  };
  return {
    onResponse: (req: HttpRequest, reply: HttpReply, done: () => void) => {
      record(req, reply, reply.raw.writableFinished || reply.sent ? reply.statusCode : 'aborted');
      done();
    },
    onRequestAbort: (req: HttpRequest, done: () => void) => {
      // No reply object here; the elapsed time is read from the request's own clock.
      record(req, { elapsedTime: performance.now() - startedAt(req) } as HttpReply, 'aborted');
      done();
    },
  };
}

const STARTED = Symbol('startedAt');

/** onRequest hook: the start of the clock onRequestAbort reads (Fastify keeps its own on the reply). */
export function markStart(req: HttpRequest, _reply: HttpReply, done: () => void): void {
  (req as unknown as Record<symbol, number>)[STARTED] = performance.now();
  done();
}

function startedAt(req: HttpRequest): number {
  return (req as unknown as Record<symbol, number | undefined>)[STARTED] ?? performance.now();
}
