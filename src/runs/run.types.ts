import type { Source } from '../records/record.types.js';
import type { SyncMode } from './sync.drivers.js';

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'partial', 'failed', 'skipped'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const RUN_TRIGGERS = ['manual', 'schedule', 'job', 'webhook'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

export const SYNC_MODES: readonly SyncMode[] = ['incremental', 'full'] as const;

/**
 * Why a run did not succeed, beyond SyncError's classes:
 *  locked       skipped: another run of the same source and entity held the lock
 *  aborted      the process shut down mid-run (runs from before shutdowns re-queued them)
 *  abandoned    its process died too many times (RUN_MAX_ATTEMPTS), or no worker ever claimed it
 *  internal     an unclassified error (a bug or the database), logged with the run id
 */
export const RUN_ERROR_CLASSES = [
  'transient',
  'auth',
  'stale_cursor',
  'permanent',
  'locked',
  'aborted',
  'abandoned',
  'internal',
] as const;
export type RunErrorClass = (typeof RUN_ERROR_CLASSES)[number];

export interface RunCounts {
  pagesFetched: number;
  recordsFetched: number;
  recordsUpserted: number;
  recordsDeduped: number;
  recordsFailed: number;
}

export interface SyncRun {
  id: string;
  source: Source;
  entity: string;
  mode: SyncMode;
  status: RunStatus;
  trigger: RunTrigger;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  heartbeatAt: Date | null;
  cursorBefore: unknown;
  cursorAfter: unknown;
  staleCursorDetected: boolean;
  fullBackfillTriggered: boolean;
  error: string | null;
  errorClass: RunErrorClass | null;
  /** How many times a worker started it: more than 1 when it was resumed after its process died. */
  attempts: number;
  counts: RunCounts;
  unmappedStatusesSeen: string[];
}

/** How a run ended; written once, and only over a row that is still `running`. */
export interface RunOutcome {
  status: Extract<RunStatus, 'succeeded' | 'partial' | 'failed'>;
  error: string | null;
  errorClass: RunErrorClass | null;
  staleCursorDetected: boolean;
  fullBackfillTriggered: boolean;
  recordsFailed: number;
  unmappedStatusesSeen: string[];
}

export interface RunFilter {
  source?: Source;
  entity?: string;
  status?: RunStatus;
  /** Keyset: only runs with an id lower than this one. */
  before?: string;
  limit: number;
}

/** Advisory lock name held for the whole of a run: one sync per source and entity at a time. */
export const runLockName = (source: string, entity: string) => `sync:${source}:${entity}`;
