import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { header, pathOf, type HttpReply, type HttpRequest } from '../common/http.request.js';

/** What IdempotencyService needs of a request: its key, route and body, and a way to mark a replay. */
export interface IdempotentRequest {
  method: string;
  path: string;
  body: unknown;
  idempotencyKey: string | undefined;
  markReplayed(): void;
}

/** The handler's request as an IdempotentRequest (the reply is needed to add the replay header). */
export const IdempotentCall = createParamDecorator((_data: unknown, ctx: ExecutionContext): IdempotentRequest => {
  const http = ctx.switchToHttp();
  const req = http.getRequest<HttpRequest>();
  const reply = http.getResponse<HttpReply>();
  return {
    method: req.method,
    path: pathOf(req),
    body: req.body,
    idempotencyKey: header(req, 'idempotency-key'),
    markReplayed: () => void reply.header('Idempotent-Replayed', 'true'),
  };
});
