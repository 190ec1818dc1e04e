import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app.config.js';
import { Database } from '../database/database.sql.js';
import { PgLocks } from '../database/database.locks.js';
import { logger } from '../common/app.logger.js';
import { OutboxInsertRepository } from '../outbox/outbox-insert.repository.js';
import { OutboxRepository } from '../outbox/outbox.repository.js';
import type { OutboxInsert } from '../outbox/outbox.types.js';
import { OrphansRepository } from '../reconciler/orphans.repository.js';
import { RunsService } from '../runs/runs.service.js';
import { evaluateConditions, type PipelineState } from './alert.conditions.js';
import { alertMessage } from './alert.message.js';
import type { Alert, AlertCondition, AlertMessage, AlertState } from './alert.types.js';
import { AlertsRepository } from './alerts.repository.js';
import {
  METRIC_DRIFT_PROBE,
  MISSED_WEBHOOKS_PROBE,
  type MetricDriftProbe,
  type MissedWebhooksProbe,
} from './alerts.probes.js';

export const ALERTS_LOCK = 'buffalo:alerts:evaluate';
export const ALERT_DELIVERY_KIND = 'alert.delivery' as const;

export interface EvaluationResult {
  opened: Alert[];
  resolved: Alert[];
  /** Deliveries queued for ALERT_WEBHOOK_URL (0 without one). */
  queued: number;
  /** Conditions whose owner could not be read this time (their alerts were left as they were). */
  unreadable: string[];
}

/** One delivery per state change: its dedupe key makes a second enqueue of the same change a no-op. */
export function deliveryRow(alert: Alert): OutboxInsert {
  const message: AlertMessage = alertMessage(alert);
  return {
    source: 'buffalo',
    kind: ALERT_DELIVERY_KIND,
    dedupeKey: `alert:${alert.id}:${alert.state}`,
    origin: 'internal',
    eventType: `alert.${alert.state}`,
    payload: message,
    vendorTime: alert.state === 'resolved' ? alert.resolvedAt : alert.firedAt,
  };
}

/**
 * Alerts are work like any other: an evaluation reads the pipeline's state through its owners'
 * services, opens and resolves alert rows, and queues one delivery per state change in the same
 * transaction, as an outbox row the worker POSTs (AlertDeliveryHandler) with the queue's retries.
 */
@Injectable()
export class AlertsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: Database,
    private readonly locks: PgLocks,
    private readonly repo: AlertsRepository,
    private readonly outboxInsert: OutboxInsertRepository,
    private readonly outbox: OutboxRepository,
    private readonly runs: RunsService,
    private readonly orphans: OrphansRepository,
    @Inject(MISSED_WEBHOOKS_PROBE) private readonly missedWebhooks: MissedWebhooksProbe,
    @Inject(METRIC_DRIFT_PROBE) private readonly drift: MetricDriftProbe,
  ) {}

  /**
   * One evaluation under the session advisory lock ALERTS_LOCK, taken before the state is read:
   * a second evaluation at the same time (another process, a double-fired tick) returns null
   * instead of acting on a picture older than the first one's.
   */
  async evaluate(): Promise<EvaluationResult | null> {
    const lock = await this.locks.tryAcquire(ALERTS_LOCK);
    if (!lock) return null;
    try {
      const { state, unreadable } = await this.readState();
      const { observations, evaluated } = evaluateConditions(state, this.config.alerts);
      const deliver = this.config.alerts.webhookUrl !== null;
      const { changes, queued } = await this.db.tx(async (sql) => {
        const changes = await this.repo.reconcile(sql, observations, evaluated);
        const rows = [...changes.resolved, ...changes.opened].map(deliveryRow);
        const queued = deliver ? (await this.outboxInsert.insertMany(sql, rows)).inserted : 0;
        return { changes, queued };
      });
      for (const a of changes.opened)
        logger.warn('alert firing', { alertId: a.id, condition: a.condition, subject: a.subject, summary: a.summary });
      for (const a of changes.resolved)
        logger.info('alert resolved', { alertId: a.id, condition: a.condition, subject: a.subject });
      return { ...changes, queued, unreadable };
    } finally {
      await lock.release();
    }
  }

  async list(state: AlertState | null, limit: number, before: string | null) {
    const page = await this.repo.list(state, limit, before);
    return { alerts: page.alerts.map(alertMessage), nextBefore: page.nextBefore };
  }

  /** Open alerts per condition (for metrics and the demo). */
  async firingCounts(): Promise<Partial<Record<AlertCondition, number>>> {
    return this.repo.firingCounts();
  }

  /** Each owner read on its own: one that fails leaves only its own conditions unevaluated. */
  private async readState(): Promise<{ state: PipelineState; unreadable: string[] }> {
    const unreadable: string[] = [];
    const read = async <T>(what: string, fn: () => Promise<T>): Promise<T | null> => {
      try {
        return await fn();
      } catch (err) {
        unreadable.push(what);
        logger.warn('alert evaluation could not read a condition', { what, err: (err as Error)?.message });
        return null;
      }
    };
    const [verdicts, outbox, orphans, missedWebhooks, driftOpen] = await Promise.all([
      read('runs', () => this.runs.latestVerdicts()),
      read('outbox', () => this.outbox.stats()),
      read('orphans', () => this.orphans.counts()),
      read('missed_webhooks', () => this.missedWebhooks.missedWebhooks()),
      read('metric_drift', () => this.drift.driftOpen()),
    ]);
    return { state: { verdicts, outbox, orphans, missedWebhooks, driftOpen }, unreadable };
  }
}
