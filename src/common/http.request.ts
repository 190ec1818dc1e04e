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
