import { ALERTS_LOCK, type AlertsService } from '../alerts/alerts.service.js';
import type { AppConfig } from '../config/app.config.js';
import type { IdempotencyPurge } from '../idempotency/idempotency.purge.js';
import type { HubspotPipelinesRefresh } from '../connectors/hubspot/hubspot-pipelines.refresh.js';
import { DELETION_SWEEP_LOCK, type HubspotDeletionSweep } from '../connectors/hubspot/hubspot-deletions.sweep.js';
import { type GcalChannelRenewal, RENEWAL_LOCK, renewalEveryMs } from '../connectors/gcal/gcal-channel.renewal.js';
import { leaseSweepEveryMs, type OutboxWorker, RETENTION_LOCK } from '../outbox/outbox.worker.js';
import { RECONCILER_LOCK, type ReconcilerService } from '../reconciler/reconciler.service.js';
import type { Source } from '../records/record.types.js';
import { REVENUE_VERIFY_LOCK, type RevenueVerifier } from '../revenue/revenue.verifier.js';
import { runLockName } from '../runs/run.types.js';
import type { SyncScheduler } from '../runs/sync.scheduler.js';
import type { ProcessRole } from './process.roles.js';

/**
 * Every periodic job of the application, in one place. Each process registers the jobs of its
 * roles with @nestjs/schedule's SchedulerRegistry at bootstrap (JobScheduler) and no other job.
 * A job only hands out work: it calls one method of the service that owns the work and its
 * tables. Several processes may share a role, so every job is safe to fire twice at once: it
 * takes the advisory lock named here for its whole run, or its work is idempotent by itself.
 * One-shot work at boot (migrations, RunsService's abandoned-run sweep) is not periodic and not here;
 * neither are the claim loops (CLAIM_LOOPS), which run continuously.
 */

/** The owning modules' services the jobs call (exported by RunsModule, OutboxModule, ReconcilerModule, CommonModule, GcalModule, HubspotModule, AlertsModule). */
export interface JobOwners {
  syncs: SyncScheduler;
  outbox: OutboxWorker;
  reconciler: ReconcilerService;
  idempotency: IdempotencyPurge;
  gcalChannels: GcalChannelRenewal;
  hubspotPipelines: HubspotPipelinesRefresh;
  hubspotDeletions: HubspotDeletionSweep;
  revenueVerifier: RevenueVerifier;
  alerts: AlertsService;
}

export interface PeriodicJob {
  /** Its name in SchedulerRegistry. */
  readonly name: string;
  readonly roles: readonly ProcessRole[];
  /**
   * The advisory lock that turns a double-fired run into a no-op, held for the whole run (on a
   * session of its own, or inside the run's transaction) and taken by the owner's method; or why
   * the job needs none.
   */
  readonly lock: { advisory: string; held: 'session' | 'transaction'; by?: string } | { none: string };
  /** 0 turns the job off (e.g. `<SOURCE>_SYNC_INTERVAL_S=0`). */
  everyMs(config: AppConfig): number;
  /** A first run sooner than one full interval after boot. */
  firstAfterMs?(config: AppConfig): number;
  /** False when this deployment gives the job nothing to do (the vendor is not configured). */
  enabled?(owners: JobOwners, config: AppConfig): boolean;
  /** `signal` aborts at shutdown: long runs stop between batches. */
  run(owners: JobOwners, signal: AbortSignal): Promise<unknown>;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

const SYNC_INTERVAL_S: Record<Source, (c: AppConfig) => number> = {
  stripe: (c) => c.stripe.syncIntervalS,
  hubspot: (c) => c.hubspot.syncIntervalS,
  gcal: (c) => c.gcal.syncIntervalS,
};

/** Queues an incremental run of one vendor; `<SOURCE>_SYNC_INTERVAL_S=0` turns it off. */
function syncSchedule(source: Source): PeriodicJob {
  return {
    name: `sync:${source}`,
    roles: ['scheduler'],
    lock: {
      advisory: runLockName(source, '<entity>'),
      held: 'session',
      by: 'each run the tick queues: a second run of an entity ends `skipped`',
    },
    everyMs: (c) => SYNC_INTERVAL_S[source](c) * 1000,
    enabled: (o) => o.syncs.canPoll(source),
    run: (o) => o.syncs.tick(source),
  };
}

export const PERIODIC_JOBS: readonly PeriodicJob[] = [
  syncSchedule('stripe'),
  syncSchedule('hubspot'),
  syncSchedule('gcal'),
  {
    // Re-queues runs whose process died (workers also claim them directly), fails those that died too often or that no worker claims.
    name: 'sync:abandoned-sweep',
    roles: ['scheduler'],
    lock: {
      advisory: runLockName('<source>', '<entity>'),
      held: 'session',
      by: 'each run whose lease expired, while it is re-queued: a held lock means its process is alive',
    },
    everyMs: () => MINUTE_MS,
    run: (o) => o.syncs.sweepAbandoned(),
  },
  {
    name: 'outbox:lease-sweep',
    roles: ['worker'],
    lock: { none: 'one UPDATE over FOR UPDATE SKIP LOCKED rows: each expired lease is returned once' },
    everyMs: (c) => leaseSweepEveryMs(c.worker.leaseMs),
    run: (o) => o.outbox.sweepLeases(),
  },
  {
    name: 'outbox:retention',
    roles: ['worker'],
    lock: { advisory: RETENTION_LOCK, held: 'session' },
    everyMs: () => HOUR_MS,
    firstAfterMs: () => MINUTE_MS,
    run: (o, signal) => o.outbox.purgeRetention(signal),
  },
  {
    name: 'reconciler:orphans',
    roles: ['worker'],
    lock: { advisory: RECONCILER_LOCK, held: 'transaction' },
    everyMs: () => MINUTE_MS,
    run: (o) => o.reconciler.sweep(),
  },
  {
    name: 'idempotency:purge',
    roles: ['scheduler'],
    lock: { none: 'deletes expired keys only: a second purge finds nothing left' },
    everyMs: () => HOUR_MS,
    run: (o) => o.idempotency.purge(),
  },
  {
    name: 'gcal:channel-renewal',
    roles: ['scheduler'],
    lock: { advisory: RENEWAL_LOCK, held: 'session' },
    everyMs: (c) => renewalEveryMs(c.gcal.channelTtlS),
    enabled: (o) => o.gcalChannels.enabled(),
    run: (o) => o.gcalChannels.tick(),
  },
  {
    name: 'hubspot:pipelines-refresh',
    roles: ['scheduler'],
    lock: {
      none: 'a refresh that finds no classification change writes nothing; changes take the stage-classification lock',
    },
    everyMs: (c) => c.hubspot.pipelinesRefreshS * 1000,
    // The stored pipelines may be days old after a restart.
    firstAfterMs: () => 2_000,
    enabled: (o) => o.hubspotPipelines.enabled(),
    run: (o) => o.hubspotPipelines.tick(),
  },
  {
    name: 'revenue:verify',
    roles: ['scheduler'],
    lock: { advisory: REVENUE_VERIFY_LOCK, held: 'transaction' },
    everyMs: (c) => c.revenueVerifyIntervalS * 1000,
    run: (o) => o.revenueVerifier.verify(),
  },
  {
    // Lost HubSpot deletions (search cannot see archived objects). Stripe needs no such job (its
    // objects cannot be deleted) and neither does Google Calendar (sync tokens report deletions).
    name: 'hubspot:deletion-sweep',
    roles: ['scheduler'],
    lock: { advisory: DELETION_SWEEP_LOCK, held: 'session' },
    everyMs: (c) => c.hubspot.deletionSweepS * 1000,
    // A process restarted more often than the interval would otherwise never sweep.
    firstAfterMs: (c) => Math.min(c.hubspot.deletionSweepS * 1000, 5 * MINUTE_MS),
    enabled: (o) => o.hubspotDeletions.enabled(),
    run: (o, signal) => o.hubspotDeletions.tick(signal),
  },
  {
    // Scheduler, not worker: it watches the workers' output (a backlog nobody drains included),
    // and the deliveries it queues go to the workers like any outbox row.
    name: 'alerts:evaluate',
    roles: ['scheduler'],
    lock: { advisory: ALERTS_LOCK, held: 'session' },
    everyMs: (c) => c.alerts.evaluateEveryS * 1000,
    run: (o) => o.alerts.evaluate(),
  },
];

/**
 * Not periodic: the outbox claim loop runs continuously (woken by NOTIFY, polled every
 * WORKER_POLL_MS as a fallback) from bootstrap to shutdown in processes with these roles.
 */
export const CLAIM_LOOP = {
  name: 'outbox:claim-loop',
  roles: ['worker'] as readonly ProcessRole[],
  start: (o: JobOwners) => o.outbox.start(),
  stop: (o: JobOwners) => o.outbox.stop(),
};

/**
 * Not periodic: the sync-run claim loop (woken by NOTIFY when a run is queued, polled as a
 * fallback and for expired leases) from bootstrap to shutdown in processes with these roles.
 */
export const RUN_CLAIM_LOOP = {
  name: 'sync:claim-loop',
  roles: ['worker'] as readonly ProcessRole[],
  start: (o: JobOwners) => o.syncs.startClaiming(),
  stop: (o: JobOwners) => o.syncs.stopClaiming(),
};

export const CLAIM_LOOPS = [CLAIM_LOOP, RUN_CLAIM_LOOP] as const;

export function runsIn(job: { roles: readonly ProcessRole[] }, roles: readonly ProcessRole[]): boolean {
  return job.roles.some((r) => roles.includes(r));
}
