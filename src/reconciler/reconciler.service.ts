import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.sql.js';
import { lockKey, tryXactLock } from '../database/database.locks.js';
import { HttpMetrics } from '../common/http.metrics.js';
import { logger } from '../common/app.logger.js';
import { OrphansRepository, type OrphanSweep } from './orphans.repository.js';

/** A refund webhook may beat its charge by a few seconds; only then is it an orphan. */
export const ORPHAN_GRACE_MS = 60_000;
export const ORPHAN_GIVE_UP_MS = 7 * 86_400_000;
export const RECONCILER_LOCK = 'buffalo:reconciler';
/** Individual given-up orphans logged per sweep; the rest are counted. */
const LOG_SAMPLE = 50;

export interface SweepOptions {
  graceMs?: number;
  giveUpMs?: number;
  /**
   * Wait for a sweep running elsewhere to finish, then sweep (manual sweeps: the caller wants a
   * result). The periodic job does not wait: a sweep in progress is as good as its own.
   */
  wait?: boolean;
}

/**
 * Orphan sweeps: the `reconciler:orphans` periodic job runs one a minute in worker processes;
 * `POST /reconciliation/sweep` and `npm run job -- reconcile` run one now.
 */
@Injectable()
export class ReconcilerService {
  constructor(
    private readonly db: Database,
    private readonly orphans: OrphansRepository,
    private readonly metrics: HttpMetrics,
  ) {}

  /**
   * One sweep in one transaction holding pg_try_advisory_xact_lock for its whole duration, so
   * two processes never sweep at once. Returns null when another process is sweeping (unless
   * `wait`, which queues behind it).
   */
  async sweep(opts: SweepOptions = {}): Promise<OrphanSweep | null> {
    const graceMs = opts.graceMs ?? ORPHAN_GRACE_MS;
    const giveUpMs = opts.giveUpMs ?? ORPHAN_GIVE_UP_MS;
    const result = await this.db.tx(async (sql) => {
      if (opts.wait) await sql.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey(RECONCILER_LOCK)]);
      else if (!(await tryXactLock(sql, RECONCILER_LOCK))) return null;
      return this.orphans.sweep(sql, graceMs, giveUpMs);
    });
    if (!result) return null;
    if (result.flagged || result.linked)
      logger.info('reconciler sweep', {
        scanned: result.scanned,
        flagged: result.flagged,
        linked: result.linked,
        givenUp: result.givenUp.length,
      });
    for (const o of result.givenUp.slice(0, LOG_SAMPLE)) {
      logger.warn('orphan given up: its parent never arrived', { ...o, firstSeenAt: o.firstSeenAt.toISOString() });
    }
    if (result.givenUp.length > LOG_SAMPLE)
      logger.warn('more orphans given up', { count: result.givenUp.length - LOG_SAMPLE });
    this.metrics.inc(
      'buffalo_orphans_flagged_total',
      {},
      result.flagged,
      'Ledger children (refunds, disputes, calendar occurrences) found without their parent',
    );
    this.metrics.inc(
      'buffalo_orphans_linked_total',
      {},
      result.linked,
      'Orphans whose parent arrived (or that were deleted)',
    );
    this.metrics.inc(
      'buffalo_orphans_given_up_total',
      {},
      result.givenUp.length,
      'Orphans given up after the give-up window',
    );
    return result;
  }
}
