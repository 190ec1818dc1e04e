import { createHash } from 'node:crypto';
import { header, routedPath, type HttpReply, type HttpRequest } from './http.request.js';

/**
 * Per-client token bucket for the API (in-process; each instance limits on its own). A client is
 * the key it presents (hashed, never stored in clear), else its address. Vendor webhooks and the
 * health/Prometheus probes are never limited: refusing a vendor only makes it retry harder.
 */
const EXEMPT = /^\/(webhooks\/|healthz\/?$|readyz\/?$|metrics\/?$)/i;
const MAX_CLIENTS = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

/** An onRequest hook. */
export function rateLimit(perS: number, burst: number) {
  const buckets = new Map<string, Bucket>();
  return (req: HttpRequest, reply: HttpReply, done: () => void): void => {
    if (perS <= 0 || EXEMPT.test(routedPath(req))) return done();
    const presented = header(req, 'x-admin-api-key') ?? header(req, 'x-api-key');
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
      return done();
    }
    const retryAfterS = Math.max(1, Math.ceil((1 - b.tokens) / perS));
    void reply
      .code(429)
      .header('Retry-After', String(retryAfterS))
      .send({
        error: 'rate_limited',
        message: `Too many requests; retry in ${retryAfterS} s.`,
        requestId: req.id,
        retryAfterS,
      });
  };
}
