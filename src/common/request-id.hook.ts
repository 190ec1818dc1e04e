import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { logContext } from './app.logger.js';
import { header, type HttpReply, type HttpRequest } from './http.request.js';

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify's genReqId: a sane incoming x-request-id is kept, anything else is replaced by a UUID. */
export function requestIdFor(req: IncomingMessage): string {
  const incoming = header(req, 'x-request-id');
  return incoming && SANE_ID.test(incoming) ? incoming : randomUUID();
}

/** onRequest hook: echoes the id and binds it to the log context of everything the request does. */
export function requestIdHook(req: HttpRequest, reply: HttpReply, done: () => void): void {
  void reply.header('x-request-id', req.id);
  logContext.run({ requestId: req.id }, done);
}

export function requestIdOf(req: unknown): string {
  return (req as { id?: string })?.id ?? randomUUID();
}
