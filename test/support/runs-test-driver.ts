import { loadConfig } from '../../src/config/app.config.js';
import type { Database } from '../../src/database/database.sql.js';
import type { PgLocks } from '../../src/database/database.locks.js';
import { OutboxInsertRepository } from '../../src/outbox/outbox-insert.repository.js';
import type { OutboxInsert } from '../../src/outbox/outbox.types.js';
import type { Source } from '../../src/records/record.types.js';
import { RunsRepository } from '../../src/runs/runs.repository.js';
import { RunsService } from '../../src/runs/runs.service.js';
import { type RunQueueOptions, RunsWorker } from '../../src/runs/runs.worker.js';
import { SyncDriverRegistry, type SyncContext, type SyncDriver } from '../../src/runs/sync.drivers.js';
import type { RunStatus, SyncRun } from '../../src/runs/run.types.js';

/** A promise a test opens when it wants a blocked driver to go on. */
export class Gate {
  private resolve!: () => void;
  readonly opened: Promise<void> = new Promise((r) => (this.resolve = r));
  open(): void {
    this.resolve();
  }
}

export interface DriverCall {
  entity: string;
  mode: string;
  cursor: unknown;
}

/**
 * A sync driver whose behaviour each test scripts: it records every call and how many syncs ran
 * at the same time, and delegates the work to `script` (which commits pages, waits on gates, throws).
 */
export class ScriptedDriver implements SyncDriver {
  readonly calls: DriverCall[] = [];
  active = 0;
  maxActive = 0;

  constructor(
    readonly source: Source,
    private readonly names: string[],
    public script: (ctx: SyncContext, callNo: number) => Promise<void> = async () => undefined,
  ) {}

  entities(): string[] {
    return this.names;
  }

  enabled(): boolean {
    return true;
  }

  async sync(ctx: SyncContext): Promise<void> {
    this.calls.push({ entity: ctx.entity, mode: ctx.mode, cursor: ctx.cursor });
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      await this.script(ctx, this.calls.length);
    } finally {
      this.active--;
    }
  }
}

/** n outbox rows of a page, unique per (prefix, i). */
export function pageRows(source: Source, prefix: string, n: number): OutboxInsert[] {
  return Array.from({ length: n }, (_, i) => ({
    source,
    kind: source === 'stripe' ? 'stripe.charge' : source === 'hubspot' ? 'hubspot.deal' : 'gcal.event',
    dedupeKey: `${prefix}:${i}`,
    origin: 'poll',
    eventType: 'test.snapshot',
    payload: { id: `${prefix}_${i}` },
    vendorTime: new Date('2026-06-15T10:00:00Z'),
  }));
}

/** Config in which stripe and hubspot can be polled (the test drivers stand in for the SDKs). */
export function pollableTestConfig(env: Record<string, string> = {}) {
  return loadConfig({
    NODE_ENV: 'test',
    STRIPE_API_KEY: 'sk_test_runs',
    HUBSPOT_ACCESS_TOKEN: 'pat-test-runs',
    ...env,
  });
}

/**
 * A RunsService as one process with the worker role would build it, over a given Database/PgLocks
 * pair: it executes the runs it queues. Its claim loop is off unless `queue.loop` is true, so runs
 * that other tests of the file left queued are never picked up by surprise (`drain` claims them).
 */
export function runsServiceFor(
  db: Database,
  locks: PgLocks,
  drivers: SyncDriver[],
  env: Record<string, string> = {},
  queue: Partial<RunQueueOptions> = {},
) {
  const registry = new SyncDriverRegistry();
  for (const d of drivers) registry.register(d);
  const repo = new RunsRepository(db);
  const worker = new RunsWorker(db, locks, registry, repo, new OutboxInsertRepository(), {
    loop: false,
    listen: false,
    pollMs: 0,
    ...queue,
  });
  const service = new RunsService(pollableTestConfig(env), locks, registry, repo, worker);
  // Synchronously on: start() sets its state before its first await.
  void service.startClaiming();
  return { service, repo, registry, worker };
}

/** Polls until the run reaches one of the statuses (runs execute in the background). */
export async function waitForStatus(
  repo: RunsRepository,
  runId: string,
  statuses: RunStatus[],
  timeoutMs = 10_000,
): Promise<SyncRun> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await repo.get(runId);
    if (run && statuses.includes(run.status)) return run;
    if (Date.now() > deadline)
      throw new Error(`run ${runId} is ${run?.status ?? 'missing'}, expected ${statuses.join('|')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
