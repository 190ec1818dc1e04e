import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Periodic work goes through src/scheduling/jobs.catalog.ts. A repeating timer anywhere else is a
 * job the catalog does not list, running with its own lifecycle in whichever process happens to
 * construct it. The only other repeating timers belong to a unit of work already running.
 */
const ALLOWED: Record<string, string> = {
  'src/scheduling/job.scheduler.ts': 'the one registrar: hands each catalog job to SchedulerRegistry',
  'src/outbox/outbox.worker.ts':
    "the claim loop's poll fallback (between start and stop) and a batch's lease heartbeat",
  'src/runs/runs.worker.ts':
    "the run-claim loop's poll fallback (between start and stop) and a running sync's lease heartbeat",
  'src/worker.ts': 'keeps the worker process up until a signal',
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('background work has one entry point', () => {
  it('no repeating timer or schedule decorator outside the allowed places', () => {
    const root = process.cwd();
    const offenders = sources(join(root, 'src'))
      .filter((f) =>
        /\bsetInterval\s*\(|@(Interval|Cron|Timeout)\s*\(|\baddInterval\s*\(|\baddCronJob\s*\(/.test(
          readFileSync(f, 'utf8'),
        ),
      )
      .map((f) => relative(root, f).split('\\').join('/'))
      .filter((f) => !(f in ALLOWED));
    expect(offenders).toEqual([]);
  });
});
