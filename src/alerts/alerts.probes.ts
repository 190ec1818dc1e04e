/**
 * Conditions whose state belongs to other modules, asked through tokens AlertsModule provides from
 * the owner (`{ provide: MISSED_WEBHOOKS_PROBE, useExisting: … }`), so the evaluation does not
 * depend on how the owner computes it. A default that reports nothing keeps the condition quiet
 * (it is still evaluated, so alerts it opened before resolve).
 */

/** Objects a poll found that no webhook delivered, per source (the reconciliation report). */
export interface MissedWebhooksProbe {
  /** Sources with missed webhooks; a source left out has none. */
  missedWebhooks(): Promise<readonly { source: string; count: number }[]>;
}
export const MISSED_WEBHOOKS_PROBE = Symbol('MISSED_WEBHOOKS_PROBE');
export const NO_MISSED_WEBHOOKS: MissedWebhooksProbe = { missedWebhooks: () => Promise.resolve([]) };

/** Whether the revenue verifier has an open finding (rollups that disagree with the ledger). */
export interface MetricDriftProbe {
  driftOpen(): Promise<boolean>;
}
export const METRIC_DRIFT_PROBE = Symbol('METRIC_DRIFT_PROBE');
