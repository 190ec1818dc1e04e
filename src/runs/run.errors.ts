import { AppError } from '../common/app.errors.js';

/** Why RunsService would not queue a run. */
export type RunRefusal = 'source_not_enabled' | 'unknown_entity' | 'shutting_down';

/**
 * A trigger refused before any run was written. Callers outside HTTP (scheduler ticks, the job
 * CLI, webhook handlers in the worker) branch on `reason`; the HTTP status it extends AppError
 * with is only what the exception filter answers a client.
 */
export class RunRefusedError extends AppError {
  constructor(
    readonly reason: RunRefusal,
    message: string,
    extra: Record<string, unknown> = {},
  ) {
    super(
      reason === 'shutting_down' ? 503 : 400,
      reason,
      message,
      extra,
      reason === 'shutting_down' ? { 'Retry-After': '5' } : {},
    );
  }
}

export function isRunRefused(err: unknown, ...reasons: RunRefusal[]): err is RunRefusedError {
  return err instanceof RunRefusedError && (reasons.length === 0 || reasons.includes(err.reason));
}
