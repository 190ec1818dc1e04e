import { createHmac } from 'node:crypto';
import type { Alert, AlertMessage } from './alert.types.js';

export const SIGNATURE_HEADER = 'X-Buffalo-Signature';

/** Slack mrkdwn gives &, < and > a meaning; a summary carrying vendor text must not turn into links. */
function escapeMrkdwn(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** One line a person can read in a Slack-style channel, and that says which state change it is. */
export function alertText(a: Pick<Alert, 'condition' | 'severity' | 'state' | 'summary' | 'subject'>): string {
  const what = `${a.condition} (${a.severity}) on ${a.subject}`;
  return a.state === 'firing'
    ? `${a.severity === 'critical' ? ':rotating_light:' : ':warning:'} *Firing:* ${escapeMrkdwn(what)}: ${escapeMrkdwn(a.summary)}`
    : `:white_check_mark: *Resolved:* ${escapeMrkdwn(what)}: ${escapeMrkdwn(a.summary)}`;
}

/** The alert as the contract shapes it, for a delivery and for GET /alerts alike. */
export function alertMessage(a: Alert): AlertMessage {
  return {
    alertId: a.id,
    condition: a.condition,
    state: a.state,
    severity: a.severity,
    summary: a.summary,
    details: { subject: a.subject, ...a.details },
    firedAt: a.firedAt.toISOString(),
    resolvedAt: a.resolvedAt?.toISOString() ?? null,
    text: alertText(a),
  };
}

/**
 * `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` over the exact bytes sent. The timestamp
 * lets a receiver refuse old replays; it is taken at each attempt, the body stays the same.
 */
export function signatureHeader(secret: string, body: string, unixS: number): string {
  const v1 = createHmac('sha256', secret).update(`${unixS}.${body}`).digest('hex');
  return `t=${unixS},v1=${v1}`;
}
