import type { AppConfig } from '../config/app.config.js';
import type { SyncRun } from '../runs/run.types.js';
import type { AlertCondition, Observation } from './alert.types.js';

/**
 * What the owners of the pipeline's tables report, read once per evaluation. A part that could not
 * be read is null: its conditions are not evaluated this time, so their alerts neither open nor
 * resolve on a guess.
 */
export interface PipelineState {
  /** Per source and entity, its latest run with a verdict (RunsService.latestVerdicts). */
  verdicts:
    | readonly Pick<
        SyncRun,
        'id' | 'source' | 'entity' | 'mode' | 'status' | 'error' | 'errorClass' | 'staleCursorDetected' | 'finishedAt'
      >[]
    | null;
  outbox: { deadCount: number; oldestQueuedAgeS: number | null } | null;
  orphans: { givenUp: number; unreconciled: number } | null;
  missedWebhooks: readonly { source: string; count: number }[] | null;
  /** Whether the revenue verifier has an open finding. */
  driftOpen: boolean | null;
}

export type Thresholds = Pick<
  AppConfig['alerts'],
  'deadLettersMin' | 'outboxLagS' | 'orphansGivenUpMin' | 'missedWebhooksMin'
>;

export interface Evaluation {
  /** Conditions that hold now, one per subject. */
  observations: Observation[];
  /** Conditions that could be evaluated: their open alerts without an observation resolve. */
  evaluated: AlertCondition[];
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Pure: which conditions hold for which subjects, given the pipeline's state and the thresholds. */
export function evaluateConditions(s: PipelineState, t: Thresholds): Evaluation {
  const observations: Observation[] = [];
  const evaluated: AlertCondition[] = [];

  if (s.verdicts) {
    evaluated.push('run_failed', 'cursor_expired');
    for (const r of s.verdicts) {
      const subject = `${r.source}:${r.entity}`;
      const run = {
        runId: r.id,
        source: r.source,
        entity: r.entity,
        mode: r.mode,
        status: r.status,
        finishedAt: r.finishedAt?.toISOString() ?? null,
      };
      // A partial run stored pages and will go on from its cursor: not a failure to page about.
      if (r.status === 'failed')
        observations.push({
          condition: 'run_failed',
          subject,
          summary: `The latest sync of ${r.source}/${r.entity} failed: ${r.error ?? r.errorClass ?? 'no reason recorded'}`,
          details: { ...run, errorClass: r.errorClass, error: r.error },
        });
      if (r.staleCursorDetected)
        observations.push({
          condition: 'cursor_expired',
          subject,
          summary: `The ${r.source}/${r.entity} cursor had expired, so run ${r.id} resynced it in full`,
          details: run,
        });
    }
  }

  if (s.outbox) {
    evaluated.push('dead_letters', 'outbox_lag');
    const { deadCount, oldestQueuedAgeS } = s.outbox;
    if (deadCount >= t.deadLettersMin)
      observations.push({
        condition: 'dead_letters',
        subject: 'outbox',
        summary: `${plural(deadCount, 'outbox event is', 'outbox events are')} dead (threshold ${t.deadLettersMin}); see GET /outbox/dead`,
        details: { deadCount, threshold: t.deadLettersMin },
      });
    if (oldestQueuedAgeS !== null && oldestQueuedAgeS > t.outboxLagS)
      observations.push({
        condition: 'outbox_lag',
        subject: 'outbox',
        summary: `The oldest queued outbox event has waited ${oldestQueuedAgeS} s (threshold ${t.outboxLagS} s): the workers are behind or down`,
        details: { oldestQueuedAgeS, thresholdS: t.outboxLagS },
      });
  }

  if (s.orphans) {
    evaluated.push('orphan_given_up');
    const { givenUp, unreconciled } = s.orphans;
    if (givenUp >= t.orphansGivenUpMin)
      observations.push({
        condition: 'orphan_given_up',
        subject: 'orphans',
        summary: `${plural(givenUp, 'orphan was', 'orphans were')} given up after 7 days without a parent (a Stripe refund or dispute without its charge, or a Google Calendar occurrence without its series): GET /reconciliation lists them per vendor`,
        details: { givenUp, unreconciled, threshold: t.orphansGivenUpMin },
      });
  }

  if (s.missedWebhooks) {
    evaluated.push('missed_webhooks');
    for (const { source, count } of s.missedWebhooks) {
      if (count < t.missedWebhooksMin) continue;
      observations.push({
        condition: 'missed_webhooks',
        subject: source,
        summary: `${plural(count, `${source} object was`, `${source} objects were`)} seen only by polling: the webhooks never arrived`,
        details: { source, count, threshold: t.missedWebhooksMin },
      });
    }
  }

  if (s.driftOpen !== null) {
    evaluated.push('metric_drift');
    if (s.driftOpen)
      observations.push({
        condition: 'metric_drift',
        subject: 'revenue',
        summary:
          'Revenue rollups disagree with the ledger: the revenue endpoints answer 500 metric_drift until `npm run job -- rebuild-revenue`',
        details: {},
      });
  }

  return { observations, evaluated };
}
