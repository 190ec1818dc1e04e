import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { IdempotentRequest } from './idempotent-request.decorator.js';
import { AppError, Errors } from '../common/app.errors.js';
import { IdempotencyRepository } from './idempotency.repository.js';

const REPLAYED = 'Idempotent-Replayed';
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const WAIT_STEP_MS = 50;
const WAIT_MAX_MS = 15_000;

/** Stable JSON: object keys sorted, so {"a":1,"b":2} and {"b":2,"a":1} are the same body. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
}

/**
 * Idempotency-Key for admin POSTs. The key row is claimed with one INSERT … ON CONFLICT, so of two
 * concurrent requests exactly one executes; the other waits for the stored result and replays it.
 * Successful and 4xx outcomes are stored for 24 h; 5xx outcomes release the key so a retry can run.
 *
 * Handlers call it after their input is validated, so a request refused with 400 does not use up
 * its key. It returns the body for Nest to send (the route's @HttpCode is `successStatus`) and
 * throws a stored error again; a replay is marked with the Idempotent-Replayed header.
 */
@Injectable()
export class IdempotencyService {
  constructor(private readonly repo: IdempotencyRepository) {}

  async execute<T>(req: IdempotentRequest, successStatus: number, fn: () => Promise<T>): Promise<T> {
    const key = req.idempotencyKey;
    if (key === undefined || key === '') {
      throw new AppError(400, 'idempotency_key_required', 'The Idempotency-Key header is required on this request.');
    }
    if (!KEY_PATTERN.test(key)) {
      throw Errors.validation([
        {
          in: 'header',
          field: 'Idempotency-Key',
          message: 'Idempotency-Key must be 1-255 printable ASCII characters.',
        },
      ]);
    }
    const route = req.path;
    const bodyHash = createHash('sha256')
      .update(canonicalJson(req.body ?? {}))
      .digest('hex');

    if (!(await this.repo.claim(key, req.method, route, bodyHash))) {
      return (await this.replay(req, key, req.method, route, bodyHash)) as T;
    }
    let body: T;
    try {
      body = await fn();
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        await this.repo.complete(key, err.status, { error: err.code, message: err.message, ...err.extra });
      } else {
        await this.repo.release(key).catch(() => undefined);
      }
      throw err;
    }
    await this.repo.complete(key, successStatus, body);
    return body;
  }

  private async replay(
    req: IdempotentRequest,
    key: string,
    method: string,
    route: string,
    bodyHash: string,
  ): Promise<unknown> {
    const deadline = Date.now() + WAIT_MAX_MS;
    for (;;) {
      const row = await this.repo.find(key);
      if (!row)
        throw new AppError(
          409,
          'idempotency_key_in_progress',
          'A request with this Idempotency-Key did not complete; retry.',
        );
      if (row.method !== method || row.route !== route || row.bodyHash !== bodyHash) {
        throw Errors.conflict(
          'idempotency_key_mismatch',
          'This Idempotency-Key was used with a different route or body.',
        );
      }
      if (row.state === 'done') {
        const status = row.responseStatus ?? 200;
        if (status >= 400) {
          // The stored error again, under this request's id (the filter adds it).
          const {
            error,
            message,
            requestId: _stored,
            ...extra
          } = row.responseBody as { error: string; message: string; requestId?: string };
          throw new AppError(status, error, message, extra, { [REPLAYED]: 'true' });
        }
        // Same route, so the same status as the route's @HttpCode; only the header is added here.
        req.markReplayed();
        return row.responseBody;
      }
      if (Date.now() > deadline)
        throw new AppError(
          409,
          'idempotency_key_in_progress',
          'A request with this Idempotency-Key is still being processed; retry later.',
        );
      await new Promise((r) => setTimeout(r, WAIT_STEP_MS));
    }
  }
}
