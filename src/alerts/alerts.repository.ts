import { Injectable } from '@nestjs/common';
import { Database, dateOrNull, type Sql } from '../database/database.sql.js';
import { jsonbText } from '../outbox/outbox-insert.repository.js';
import type { Alert, AlertCondition, AlertSeverity, AlertState, Observation } from './alert.types.js';
import { SEVERITY } from './alert.types.js';

interface AlertRow {
  id: string;
  condition: AlertCondition;
  subject: string;
  severity: AlertSeverity;
  state: AlertState;
  summary: string;
  details: unknown;
  fired_at: string;
  resolved_at: string | null;
}

const COLUMNS = 'id, condition, subject, severity, state, summary, details, fired_at, resolved_at';

function toAlert(r: AlertRow): Alert {
  const details: unknown = typeof r.details === 'string' ? JSON.parse(r.details) : r.details;
  return {
    id: String(r.id),
    condition: r.condition,
    subject: r.subject,
    severity: r.severity,
    state: r.state,
    summary: r.summary,
    details: (details ?? {}) as Record<string, unknown>,
    firedAt: new Date(r.fired_at),
    resolvedAt: dateOrNull(r.resolved_at),
  };
}

export interface AlertChanges {
  opened: Alert[];
  resolved: Alert[];
}

/**
 * All access to `alerts`. An alert is opened once per (condition, subject) while it holds (the
 * partial unique index alerts_open makes a second open a no-op) and resolved in place when it
 * clears; a later firing is a new row.
 */
@Injectable()
export class AlertsRepository {
  constructor(private readonly db: Database) {}

  /**
   * Brings the open alerts in line with what holds now, on the caller's transaction: resolves the
   * open alerts of the evaluated conditions that no longer hold, opens the observed ones not open
   * yet, and refreshes the summary of those still open (no state change, so no delivery).
   */
  async reconcile(
    sql: Sql,
    observed: readonly Observation[],
    evaluated: readonly AlertCondition[],
  ): Promise<AlertChanges> {
    const conditions = observed.map((o) => o.condition);
    const subjects = observed.map((o) => o.subject);
    const resolved = await sql.query<AlertRow>(
      `UPDATE alerts a SET state = 'resolved', resolved_at = now()
        WHERE a.state = 'firing' AND a.condition = ANY($1::text[])
          AND NOT EXISTS (SELECT 1 FROM unnest($2::text[], $3::text[]) AS h(condition, subject)
                           WHERE h.condition = a.condition AND h.subject = a.subject)
       RETURNING ${COLUMNS}`,
      [evaluated, conditions, subjects],
    );
    if (observed.length === 0) return { opened: [], resolved: resolved.map(toAlert) };
    const params = [
      conditions,
      subjects,
      observed.map((o) => SEVERITY[o.condition]),
      observed.map((o) => o.summary),
      observed.map((o) => jsonbText(o.details)),
    ];
    await sql.query(
      `UPDATE alerts a SET summary = h.summary, details = h.details::jsonb
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS h(condition, subject, severity, summary, details)
        WHERE a.state = 'firing' AND a.condition = h.condition AND a.subject = h.subject
          AND (a.summary <> h.summary OR a.details <> h.details::jsonb)`,
      params,
    );
    const opened = await sql.query<AlertRow>(
      `INSERT INTO alerts (condition, subject, severity, summary, details)
       SELECT h.condition, h.subject, h.severity, h.summary, h.details::jsonb
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS h(condition, subject, severity, summary, details)
       ON CONFLICT (condition, subject) WHERE state = 'firing' DO NOTHING
       RETURNING ${COLUMNS}`,
      params,
    );
    return { opened: opened.map(toAlert), resolved: resolved.map(toAlert) };
  }

  /** Newest first; `before` is the last id of the previous page (keyset, stable under inserts). */
  async list(
    state: AlertState | null,
    limit: number,
    before: string | null,
  ): Promise<{ alerts: Alert[]; nextBefore: string | null }> {
    const rows = await this.db.query<AlertRow>(
      `SELECT ${COLUMNS} FROM alerts
        WHERE ($2::text IS NULL OR state = $2) AND ($3::bigint IS NULL OR id < $3::bigint)
        ORDER BY id DESC
        LIMIT $1`,
      [limit + 1, state, before],
    );
    const page = rows.slice(0, limit).map(toAlert);
    return { alerts: page, nextBefore: rows.length > limit ? page[page.length - 1].id : null };
  }

  /** How many alerts are open now, per condition. */
  async firingCounts(): Promise<Partial<Record<AlertCondition, number>>> {
    const rows = await this.db.query<{ condition: AlertCondition; n: string }>(
      `SELECT condition, count(*) AS n FROM alerts WHERE state = 'firing' GROUP BY condition`,
    );
    return Object.fromEntries(rows.map((r) => [r.condition, Number(r.n)]));
  }
}
