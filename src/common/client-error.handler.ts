import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { HttpReply, HttpRequest } from './http.request.js';
import { AppError } from './app.errors.js';

const ANSWERS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'headers_too_large', 'The request headers are larger than this server accepts.'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'payload_too_large', 'The request body is larger than this endpoint accepts.'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'The request was not received in time.'],
};

/**
 * Requests Node's HTTP parser rejects never reach Fastify, and Node's own answer is a bare status
 * line. This writes the contract's JSON error instead (with an x-request-id), then closes the
 * connection, as Node would.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, error, message] = ANSWERS[err.code ?? ''] ?? [
    400,
    'bad_request',
    'The request is not valid HTTP/1.1.',
  ];
  const requestId = randomUUID();
  const body = JSON.stringify({ error, message, requestId });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `x-request-id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * HTTP/1.1 requires Host. Node refuses a request without it with a bare 400 of its own unless
 * server.requireHostHeader is off; with it off, this onRequest hook refuses it with the JSON error.
 */
export function requireHostHeader(req: HttpRequest, _reply: HttpReply, done: (err?: Error) => void): void {
  if (req.raw.httpVersion === '1.1' && req.headers.host === undefined)
    return done(new AppError(400, 'bad_request', 'An HTTP/1.1 request must carry a Host header.'));
  done();
}
