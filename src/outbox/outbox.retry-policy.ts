import type { FailureClass, OutboxRow, RowOutcome } from './outbox.types.js';
import { OutboxRowError } from './outbox.failure.js';
import { isDbUnavailable } from '../database/database.sql.js';

/** Delay before attempt n+1 after attempt n failed; the last step repeats. */
export const BACKOFF_SCHEDULE_MS = [5_000, 30_000, 120_000, 600_000, 3_600_000] as const;
/** A vendor's Retry-After is honoured up to this much; beyond it we assume a bogus header. */
export const MAX_RETRY_AFTER_MS = 6 * 3_600_000;
/** Retrying cannot fix these: the row is parked at once (a schema error does not deserve eight retries). */
export const PERMANENT_CLASSES: ReadonlySet<FailureClass> = new Set(['invalid_payload', 'unsupported']);

const MAX_ERROR_CHARS = 2000;

/** How one claimed row leaves `running`. */
export interface Settlement {
  id: string;
  status: 'done' | 'ignored' | 'error' | 'dead';
  failureClass: FailureClass | null;
  error: string | null;
  /** Only for `error`: when the row becomes claimable again. */
  delayMs: number | null;
}

/**
 * ±20 % jitter so rows that failed together (a vendor outage) do not retry in lockstep.
 * `attempt` is the 1-based attempt that just failed.
 */
export function retryDelayMs(attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const step = BACKOFF_SCHEDULE_MS[Math.min(Math.max(attempt, 1), BACKOFF_SCHEDULE_MS.length) - 1];
  const jittered = Math.round(step * (0.8 + 0.4 * random()));
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs > 0) {
    return Math.max(jittered, Math.min(Math.round(retryAfterMs), MAX_RETRY_AFTER_MS));
  }
  return jittered;
}

export function truncateError(message: string): string {
  return message.length > MAX_ERROR_CHARS ? `${message.slice(0, MAX_ERROR_CHARS - 1)}…` : message;
}

/** Decides the row's next state from the handler's outcome; `row.attempts` already counts this attempt. */
export function settle(
  row: Pick<OutboxRow, 'id' | 'attempts'>,
  outcome: RowOutcome,
  maxAttempts: number,
  random?: () => number,
): Settlement {
  if (outcome.status === 'done') return { id: row.id, status: 'done', failureClass: null, error: null, delayMs: null };
  if (outcome.status === 'ignored')
    return { id: row.id, status: 'ignored', failureClass: null, error: truncateError(outcome.reason), delayMs: null };
  const error = truncateError(outcome.error);
  if (PERMANENT_CLASSES.has(outcome.failureClass) || outcome.failureClass === 'retries_exhausted') {
    return { id: row.id, status: 'dead', failureClass: outcome.failureClass, error, delayMs: null };
  }
  if (row.attempts >= maxAttempts && !outcome.retryUntilDone) {
    // The original class survives in the message so the dead list still says why.
    return {
      id: row.id,
      status: 'dead',
      failureClass: 'retries_exhausted',
      error: truncateError(`${outcome.failureClass}: ${outcome.error}`),
      delayMs: null,
    };
  }
  return {
    id: row.id,
    status: 'error',
    failureClass: outcome.failureClass,
    error,
    delayMs: retryDelayMs(row.attempts, outcome.retryAfterMs, random),
  };
}

/** The outcome for a row whose handler threw. */
export function outcomeFromError(err: unknown): RowOutcome {
  if (err instanceof OutboxRowError) {
    return { status: 'failed', failureClass: err.failureClass, error: err.message, retryAfterMs: err.retryAfterMs };
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    status: 'failed',
    failureClass: 'transient',
    error: isDbUnavailable(err) ? `database unavailable: ${message}` : message || 'handler failed',
  };
}
