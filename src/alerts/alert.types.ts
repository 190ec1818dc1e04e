/** The conditions an alert can be about (CONTRACT "Alerts"); one open alert per condition and subject. */
export const ALERT_CONDITIONS = [
  'run_failed',
  'dead_letters',
  'outbox_lag',
  'cursor_expired',
  'orphan_given_up',
  'missed_webhooks',
  'metric_drift',
] as const;
export type AlertCondition = (typeof ALERT_CONDITIONS)[number];

export const ALERT_STATES = ['firing', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export const ALERT_SEVERITIES = ['warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** A failed sync or a wrong revenue figure needs someone now; the rest can wait for working hours. */
export const SEVERITY: Readonly<Record<AlertCondition, AlertSeverity>> = {
  run_failed: 'critical',
  dead_letters: 'critical',
  outbox_lag: 'warning',
  cursor_expired: 'warning',
  orphan_given_up: 'warning',
  missed_webhooks: 'warning',
  metric_drift: 'critical',
};

/** A condition that holds right now for one subject (e.g. run_failed for stripe:charges). */
export interface Observation {
  condition: AlertCondition;
  subject: string;
  summary: string;
  details: Record<string, unknown>;
}

/** An alert row. */
export interface Alert {
  id: string;
  condition: AlertCondition;
  subject: string;
  severity: AlertSeverity;
  state: AlertState;
  summary: string;
  details: Record<string, unknown>;
  firedAt: Date;
  resolvedAt: Date | null;
}

/** What a receiver gets, and what GET /alerts lists (CONTRACT "Alerts"), field for field. */
export interface AlertMessage {
  alertId: string;
  condition: AlertCondition;
  state: AlertState;
  severity: AlertSeverity;
  summary: string;
  details: Record<string, unknown>;
  firedAt: string;
  resolvedAt: string | null;
  text: string;
}
