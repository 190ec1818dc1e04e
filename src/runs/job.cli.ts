import type { INestApplicationContext } from '@nestjs/common';
import { OutboxWorker } from '../outbox/outbox.worker.js';
import { ReconcilerService } from '../reconciler/reconciler.service.js';
import { RevenueVerifier, type VerifyResult } from '../revenue/revenue.verifier.js';
import { RunsService } from './runs.service.js';
import { SOURCES, type Source } from '../records/record.types.js';
import type { SyncMode } from './sync.drivers.js';
import type { RunStatus, SyncRun } from './run.types.js';
import { SYNC_MODES } from './run.types.js';
import { runJson } from './run.view.js';
import { isRunRefused } from './run.errors.js';

/** One-shot jobs for external cron platforms (`npm run job -- …`). */
export type JobCommand =
  | { command: 'fetch'; source: Source; mode: SyncMode }
  | { command: 'process' }
  | { command: 'reconcile' }
  | { command: 'verify-revenue' }
  | { command: 'rebuild-revenue' };

export const JOB_USAGE = [
  'Usage:',
  '  npm run job -- fetch <stripe|hubspot|gcal> [incremental|full]   sync one source now (same locks as the scheduler)',
  '  npm run job -- process                                          drain the outbox once',
  '  npm run job -- reconcile                                        run the orphan sweep once',
  '  npm run job -- verify-revenue                                   compare the revenue rollups with the ledger (exit 1 on drift)',
  '  npm run job -- rebuild-revenue                                  recompute the revenue rollups from the ledger, then verify',
].join('\n');

export function parseJobArgs(argv: readonly string[]): JobCommand | { error: string } {
  const [command, ...rest] = argv;
  if (command === 'fetch') {
    const [source, mode = 'incremental', ...extra] = rest;
    if (!source) return { error: 'fetch needs a source: stripe, hubspot or gcal.' };
    if (!SOURCES.includes(source as Source))
      return { error: `Unknown source "${source}"; use stripe, hubspot or gcal.` };
    if (!SYNC_MODES.includes(mode as SyncMode)) return { error: `Unknown mode "${mode}"; use incremental or full.` };
    if (extra.length) return { error: `Unexpected argument "${extra[0]}".` };
    return { command, source: source as Source, mode: mode as SyncMode };
  }
  if (
    command === 'process' ||
    command === 'reconcile' ||
    command === 'verify-revenue' ||
    command === 'rebuild-revenue'
  ) {
    if (rest.length) return { error: `Unexpected argument "${rest[0]}".` };
    return { command };
  }
  return { error: command ? `Unknown command "${command}".` : 'A command is required.' };
}

export interface JobDeps {
  runNow(source: Source, mode: SyncMode, trigger: 'job'): Promise<SyncRun[]>;
  drain(): Promise<{ processed: number; failed: number }>;
  /** The orphan sweep, waiting for one running elsewhere. */
  reconcile?(): Promise<{ scanned: number; flagged: number; linked: number; givenUp: unknown[] } | null>;
  verifyRevenue(): Promise<VerifyResult>;
  rebuildRevenue(): Promise<VerifyResult & { slots: number }>;
}

export interface JobResult {
  /** 0 done (including `skipped`: another process was already syncing), 1 a run failed, 2 not configured. */
  exitCode: 0 | 1 | 2;
  summary: Record<string, unknown>;
}

/** Worst status first: the job's status is the worst of its runs (skipped only if all were). */
const SEVERITY: RunStatus[] = ['failed', 'partial', 'running', 'queued', 'succeeded', 'skipped'];

export function overallStatus(runs: readonly SyncRun[]): RunStatus {
  if (runs.length === 0) return 'skipped';
  return SEVERITY.find((s) => runs.some((r) => r.status === s)) ?? 'failed';
}

export async function runJob(cmd: JobCommand, deps: JobDeps): Promise<JobResult> {
  if (cmd.command === 'reconcile') {
    const t0 = Date.now();
    if (!deps.reconcile) throw new Error('reconcile is not available in this context');
    const r = await deps.reconcile();
    return {
      exitCode: 0,
      summary: {
        command: 'reconcile',
        scanned: r?.scanned ?? 0,
        flagged: r?.flagged ?? 0,
        linked: r?.linked ?? 0,
        givenUp: r?.givenUp.length ?? 0,
        ms: Date.now() - t0,
      },
    };
  }
  if (cmd.command === 'verify-revenue' || cmd.command === 'rebuild-revenue') {
    const res = cmd.command === 'verify-revenue' ? await deps.verifyRevenue() : await deps.rebuildRevenue();
    // Drift is a failure an operator must see: exit 1, like a failed run.
    const status = !res.checked ? 'skipped' : res.mismatches > 0 ? 'metric_drift' : 'ok';
    return { exitCode: res.mismatches > 0 ? 1 : 0, summary: { command: cmd.command, status, ...res } };
  }
  if (cmd.command === 'process') {
    const t0 = Date.now();
    const res = await deps.drain();
    return {
      exitCode: 0,
      summary: { command: 'process', processed: res.processed, failed: res.failed, ms: Date.now() - t0 },
    };
  }
  try {
    const runs = await deps.runNow(cmd.source, cmd.mode, 'job');
    const status = overallStatus(runs);
    const ok = status === 'succeeded' || status === 'skipped';
    return {
      exitCode: ok ? 0 : 1,
      summary: { command: 'fetch', source: cmd.source, mode: cmd.mode, status, runs: runs.map(runJson) },
    };
  } catch (err) {
    // Not configured for this source: nothing ran, and retrying will not help (exit 2, not 1).
    if (isRunRefused(err, 'source_not_enabled', 'unknown_entity')) {
      return {
        exitCode: 2,
        summary: {
          command: 'fetch',
          source: cmd.source,
          mode: cmd.mode,
          status: 'not_run',
          error: err.reason,
          message: err.message,
        },
      };
    }
    throw err;
  }
}

/** The job against a booted application context (what `npm run job` does after startup). */
export function runJobInContext(app: INestApplicationContext, cmd: JobCommand): Promise<JobResult> {
  return runJob(cmd, {
    runNow: (source, mode, trigger) => app.get(RunsService).runNow(source, mode, trigger),
    drain: () => app.get(OutboxWorker).drain(),
    reconcile: () => app.get(ReconcilerService).sweep({ wait: true }),
    verifyRevenue: () => app.get(RevenueVerifier).verify(),
    rebuildRevenue: () => app.get(RevenueVerifier).rebuild(),
  });
}
