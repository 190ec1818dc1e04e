import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import { AppError } from './app.errors.js';
import { deferBodyError } from './body-error.guard.js';
import { header, routedPath, type HttpRequest } from './http.request.js';

export interface BodyLimits {
  jsonBodyBytes: number;
  webhookBodyBytes: number;
}

const tooLarge = () => new AppError(413, 'payload_too_large', 'The request body is larger than this endpoint accepts.');
const invalid = (message: string, detail: string) =>
  new AppError(400, 'validation_failed', message, { issues: [{ in: 'body', field: '', message: detail }] });

/**
 * Fastify's body parsers answer errors themselves, in their own shape, before routing; this one
 * reads every body itself so that the contract's rules hold: webhooks get the raw bytes
 * (signatures are verified on them), everything else is JSON only (415 otherwise), bodies are
 * limited after decoding gzip/deflate/br, and any error is parked for BodyErrorGuard so that an
 * unknown route still answers 404 whatever body it was sent. It never fails the request itself.
 */
export function bodyParser(limits: BodyLimits) {
  return (req: HttpRequest, payload: Readable, done: (err: Error | null, body?: unknown) => void): void => {
    const park = (err: unknown) => {
      deferBodyError(req, err);
      done(null, undefined);
    };
    // An empty body is no body: no media type is demanded of it (a POST without one is common).
    // Without Content-Length and Transfer-Encoding an HTTP/1.1 request has no body either.
    const length = header(req, 'content-length');
    if ((length === undefined || length === '0') && header(req, 'transfer-encoding') === undefined) {
      payload.resume();
      return done(null, undefined);
    }
    // Express routed case-insensitively and so do we: /Webhooks/Stripe reaches the Stripe controller.
    const webhook = /^\/webhooks\//i.test(routedPath(req));
    if (!webhook) {
      const type = header(req, 'content-type') ?? '';
      if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
        payload.resume();
        return park(new AppError(415, 'unsupported_media_type', 'Request bodies must be application/json.'));
      }
      const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(type)?.[1];
      if (charset && !/^utf-?8$/i.test(charset)) {
        payload.resume();
        return park(new AppError(415, 'unsupported_media_type', 'Unsupported content encoding or charset.'));
      }
    }
    const limit = webhook ? limits.webhookBodyBytes : limits.jsonBodyBytes;
    readBody(payload, header(req, 'content-encoding'), header(req, 'content-length'), limit).then((raw) => {
      if (webhook) return done(null, raw);
      if (raw.length === 0) return done(null, undefined);
      try {
        done(null, JSON.parse(raw.toString('utf8')));
      } catch {
        park(invalid('The request body is not valid JSON.', 'Body is not valid JSON.'));
      }
    }, park);
  };
}

function decoder(encoding: string): Readable | null | 'unsupported' {
  switch (encoding) {
    case '':
    case 'identity':
      return null;
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return 'unsupported';
  }
}

/** The whole body, decoded; rejects with the contract error (413, 415, 400) rather than reading on. */
function readBody(
  payload: Readable,
  contentEncoding: string | undefined,
  contentLength: string | undefined,
  limit: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const encoding = (contentEncoding ?? '').trim().toLowerCase();
    const decode = decoder(encoding) as (Readable & NodeJS.WritableStream) | null | 'unsupported';
    if (decode === 'unsupported') {
      payload.resume();
      return reject(new AppError(415, 'unsupported_media_type', 'Unsupported content encoding or charset.'));
    }
    // A declared length past the limit is refused before a byte is read (an encoded body may grow).
    if (decode === null && contentLength !== undefined && Number(contentLength) > limit) {
      payload.resume();
      return reject(tooLarge());
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      if (decode) {
        payload.unpipe(decode);
        decode.destroy();
      }
      // Drain what is left so the connection can be reused; the answer goes out at once.
      payload.resume();
      reject(err);
    };
    const source: Readable = decode ? payload.pipe(decode) : payload;
    source.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) return fail(tooLarge());
      chunks.push(chunk);
    });
    source.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    // A decoder's error is the body's fault (400); the socket's (the client went away) is an abort.
    const aborted = () => new AppError(400, 'request_aborted', 'The request was aborted.');
    source.on('error', () =>
      fail(
        decode
          ? invalid(
              'The request body could not be decoded with its Content-Encoding.',
              'The request body could not be decoded with its Content-Encoding.',
            )
          : aborted(),
      ),
    );
    if (decode) payload.on('error', () => fail(aborted()));
    payload.on('aborted', () => fail(aborted()));
  });
}
