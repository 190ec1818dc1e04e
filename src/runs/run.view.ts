import type { z } from 'zod';
import type { SyncRun } from './run.types.js';
import type { Run } from './runs.schemas.js';

export type RunJson = z.input<typeof Run>;

/** The contract's Run JSON (plus the additive `trigger`, `createdAt`, `errorClass` and `attempts`). */
export function runJson(r: SyncRun): RunJson {
  return {
    runId: r.id,
    source: r.source,
    entity: r.entity,
    mode: r.mode,
    status: r.status,
    trigger: r.trigger,
    createdAt: r.createdAt.toISOString(),
    startedAt: r.startedAt?.toISOString() ?? null,
    finishedAt: r.finishedAt?.toISOString() ?? null,
    cursorBefore: r.cursorBefore ?? null,
    cursorAfter: r.cursorAfter ?? null,
    staleCursorDetected: r.staleCursorDetected,
    fullBackfillTriggered: r.fullBackfillTriggered,
    error: r.error,
    errorClass: r.errorClass,
    attempts: r.attempts,
    counts: { ...r.counts },
    unmappedStatusesSeen: [...r.unmappedStatusesSeen],
  };
}
