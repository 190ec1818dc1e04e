import { createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { requestIdOf } from './request-id.middleware.js';

/**
 * Per-client token bucket for the API (in-process; each instance limits on its own). A client is
 * the key it presents (hashed, never stored in clear), else its address. Vendor webhooks and the
 * health/Prometheus probes are never limited: refusing a vendor only makes it retry harder.
 */
const EXEMPT = /^\/(webhooks\/|healthz$|readyz$|metrics$)/i;
const MAX_CLIENTS = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

export function rateLimit(perS: number, burst: number) {
  const buckets = new Map<string, Bucket>();
  return (req: Request, res: Response, next: NextFunction) => {
    if (perS <= 0 || EXEMPT.test(req.path)) return next();
    const presented = req.header('x-admin-api-key') ?? req.header('x-api-key');
    const client = presented
      ? createHash('sha256').update(presented).digest('base64url').slice(0, 22)
      : `ip:${req.socket.remoteAddress ?? '?'}`;
    const now = Date.now();
    let b = buckets.get(client);
    if (!b) {
      if (buckets.size >= MAX_CLIENTS) buckets.delete(buckets.keys().next().value as string);
      b = { tokens: burst, at: now };
      buckets.set(client, b);
    }
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perS);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return next();
    }
    const retryAfterS = Math.max(1, Math.ceil((1 - b.tokens) / perS));
    res.setHeader('Retry-After', String(retryAfterS));
    res.status(429).json({
      error: 'rate_limited',
      message: `Too many requests; retry in ${retryAfterS} s.`,
      requestId: requestIdOf(req),
      retryAfterS,
    });
  };
}
