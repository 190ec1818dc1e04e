import type { FastifyReply, FastifyRequest } from 'fastify';

/** The framework's request and reply (Fastify); named once here so handlers do not import the framework. */
export type HttpRequest = FastifyRequest;
export type HttpReply = FastifyReply;

/** One request header as a string: the first of a repeated header, undefined when absent. */
export function header(
  req: { headers: Record<string, string | string[] | undefined> },
  name: string,
): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** The path as the client sent it (still percent-encoded), without the query string. */
export function pathOf(req: { url?: string }): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * The route pattern the request matched (`/runs/:runId`), never the raw URL, so a metric label
 * stays bounded whatever paths clients send; requests no route matched are `unmatched`.
 */
export function routeOf(req: HttpRequest): string {
  return req.is404 ? 'unmatched' : (req.routeOptions?.url ?? 'unmatched');
}

/** The path as the router matches it: percent-decoded (left as sent when the encoding is broken). */
export function routedPath(req: { url?: string }): string {
  const raw = pathOf(req);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * The route patterns registered with Fastify (its onRoute hook feeds them), so an error raised
 * before routing can tell "no such route" from "a route whose parameter could not be decoded".
 */
export class RoutePatterns {
  private readonly patterns: { method: string; re: RegExp }[] = [];
  private readonly seen = new Set<string>();

  add(method: string | string[], url: string): void {
    const key = `${String(method)} ${url}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const source = url
      .replace(/\/+$/, '')
      .split('/')
      .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    for (const m of Array.isArray(method) ? method : [method])
      this.patterns.push({ method: m.toUpperCase(), re: new RegExp(`^${source}/?$`, 'i') });
  }

  matches(method: string, path: string): boolean {
    return this.patterns.some((p) => p.method === method.toUpperCase() && p.re.test(path));
  }
}
