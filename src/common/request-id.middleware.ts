import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { logContext } from './app.logger.js';

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Echoes a sane incoming x-request-id, else generates one; binds it to the log context. */
export function requestIdMiddleware(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.header('x-request-id');
  const id = incoming && SANE_ID.test(incoming) ? incoming : randomUUID();
  (req as Request & { id: string }).id = id;
  res.setHeader('x-request-id', id);
  logContext.run({ requestId: id }, () => next());
}

export function requestIdOf(req: unknown): string {
  return (req as { id?: string })?.id ?? randomUUID();
}
