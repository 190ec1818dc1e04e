import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SchedulerRegistry } from '@nestjs/schedule';
import { loadConfig } from '../../src/config/app.config.js';
import { JobScheduler } from '../../src/scheduling/job.scheduler.js';
import { PERIODIC_JOBS, type JobOwners } from '../../src/scheduling/jobs.catalog.js';
import type { ProcessRole } from '../../src/scheduling/process.roles.js';

/** Owners whose methods record calls; `hold` keeps a run in flight until released. */
function fakeOwners() {
  const calls: string[] = [];
  let release: (() => void) | null = null;
  const call = (name: string) => async () => {
    calls.push(name);
  };
  const owners = {
    syncs: {
      canPoll: (s: string) => s !== 'gcal',
      tick: async (s: string) => void calls.push(`tick:${s}`),
      sweepAbandoned: call('sweepAbandoned'),
      startClaiming: call('startClaiming'),
      stopClaiming: call('stopClaiming'),
    },
    outbox: {
      start: call('start'),
      stop: call('stop'),
      sweepLeases: call('sweepLeases'),
      purgeRetention: async (signal: AbortSignal) => {
        calls.push('purgeRetention');
        await new Promise<void>((r) => (release = r));
        calls.push(signal.aborted ? 'purgeRetention:aborted' : 'purgeRetention:done');
      },
    },
    reconciler: {
      sweep: async () => {
        calls.push('reconcile');
        throw new Error('database gone');
      },
    },
    idempotency: { purge: call('purge') },
    gcalChannels: { enabled: () => false, tick: call('renew') },
    hubspotPipelines: { enabled: () => false, tick: call('pipelines') },
    revenueVerifier: { verify: call('verifyRevenue') },
    hubspotDeletions: { enabled: () => false, tick: call('deletions') },
    alerts: { evaluate: call('evaluateAlerts') },
  } as unknown as JobOwners;
  return { owners, calls, release: () => release?.() };
}

describe('JobScheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const config = loadConfig({
    NODE_ENV: 'test',
    STRIPE_SYNC_INTERVAL_S: '60',
    HUBSPOT_SYNC_INTERVAL_S: '0',
    WORKER_LEASE_MS: '60000',
  });
  const boot = async (roles: ProcessRole[]) => {
    const registry = new SchedulerRegistry();
    const fake = fakeOwners();
    const scheduler = new JobScheduler(registry, config, roles, fake.owners);
    await scheduler.onApplicationBootstrap();
    return { registry, scheduler, ...fake };
  };

  it('leaves out jobs with nothing to do here: interval 0, vendor not pollable, channels not enabled', async () => {
    const { registry, scheduler } = await boot(['scheduler']);
    expect(registry.getIntervals().sort()).toEqual([
      'alerts:evaluate',
      'idempotency:purge',
      'revenue:verify',
      'sync:abandoned-sweep',
      'sync:stripe',
    ]);
    await scheduler.onModuleDestroy();
  });

  it('fires each job at its catalog interval, calling the owner', async () => {
    const { calls, scheduler } = await boot(['scheduler']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls.sort()).toEqual(['evaluateAlerts', 'sweepAbandoned', 'tick:stripe']);
    await vi.advanceTimersByTimeAsync(3_600_000 - 60_000);
    expect(calls.filter((c) => c === 'tick:stripe')).toHaveLength(60);
    expect(calls.filter((c) => c === 'purge')).toHaveLength(1);
    expect(calls.filter((c) => c === 'verifyRevenue')).toHaveLength(1);
    await scheduler.onModuleDestroy();
  });

  it('worker role: starts the claim loops, runs retention a minute after boot, sweeps leases every half lease', async () => {
    const { registry, calls, scheduler, release } = await boot(['worker']);
    expect(calls).toEqual(['start', 'startClaiming']);
    expect(registry.getTimeouts()).toEqual(['outbox:retention']);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(calls.filter((c) => c === 'sweepLeases')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(calls.filter((c) => c === 'purgeRetention')).toHaveLength(1);
    expect(registry.getTimeouts()).toEqual([]);
    // The reconciler throws: logged, and it runs again next minute.
    expect(calls.filter((c) => c === 'reconcile')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls.filter((c) => c === 'reconcile')).toHaveLength(2);
    // Retention is still in flight at its hourly tick: that tick is dropped, not stacked.
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(calls.filter((c) => c === 'purgeRetention')).toHaveLength(1);
    // Shutdown: no more ticks, the run in flight sees the abort, the loop stops.
    const stopping = scheduler.onModuleDestroy();
    release();
    await stopping;
    expect(registry.getIntervals()).toEqual([]);
    expect(calls).toContain('purgeRetention:aborted');
    expect(calls).toContain('stop');
    expect(calls).toContain('stopClaiming');
    const before = calls.length;
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(calls).toHaveLength(before);
  });

  it('api and job roles: nothing at all', async () => {
    for (const roles of [['api'], ['job']] as ProcessRole[][]) {
      const { registry, calls } = await boot(roles);
      expect(registry.getIntervals()).toEqual([]);
      expect(registry.getTimeouts()).toEqual([]);
      expect(calls).toEqual([]);
    }
  });

  it('every job names its lock, or why it needs none', () => {
    for (const job of PERIODIC_JOBS) {
      const lock = job.lock;
      expect('advisory' in lock ? lock.advisory : lock.none, job.name).toMatch(/\S/);
    }
  });
});
