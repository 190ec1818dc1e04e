/**
 * Conditions whose state belongs to modules that may not exist in every build: the alerts module
 * asks through these tokens, and the owner provides them (`{ provide: MISSED_WEBHOOKS_PROBE,
 * useExisting: … }` in AlertsModule). Until then the defaults report nothing, so the condition
 * never fires (it is still evaluated, so alerts it opened before resolve).
 */

/** Objects a poll found that no webhook delivered, per source (the reconciliation report). */
export interface MissedWebhooksProbe {
  /** Sources with missed webhooks; a source left out has none. */
  missedWebhooks(): Promise<readonly { source: string; count: number }[]>;
}
export const MISSED_WEBHOOKS_PROBE = Symbol('MISSED_WEBHOOKS_PROBE');
export const NO_MISSED_WEBHOOKS: MissedWebhooksProbe = { missedWebhooks: () => Promise.resolve([]) };

/** Open findings of the revenue verifier (rollups that disagree with the ledger). */
export interface MetricDriftProbe {
  openDrift(): Promise<{ findings: number; mismatches: number; since: Date | null }>;
}
export const METRIC_DRIFT_PROBE = Symbol('METRIC_DRIFT_PROBE');
export const NO_METRIC_DRIFT: MetricDriftProbe = {
  openDrift: () => Promise.resolve({ findings: 0, mismatches: 0, since: null }),
};
