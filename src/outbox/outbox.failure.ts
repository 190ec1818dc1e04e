import type { FailureClass } from './outbox.types.js';

/**
 * A handler may throw this to classify a failure it cannot express as a per-row outcome
 * (e.g. the whole payload is unreadable). Any other thrown error counts as transient.
 */
export class OutboxRowError extends Error {
  constructor(
    readonly failureClass: Exclude<FailureClass, 'retries_exhausted'>,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'OutboxRowError';
  }
}
