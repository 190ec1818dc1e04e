import { Injectable } from '@nestjs/common';
import { logger } from '../common/app.logger.js';
import { Database } from '../database/database.sql.js';
import { tryXactLock } from '../database/database.locks.js';
import { LedgerFiguresRepository, type RollupMismatch } from '../records/ledger-figures.repository.js';

export const REVENUE_VERIFY_LOCK = 'buffalo:revenue-verify';
/** Mismatching slots kept in a finding and logged. */
const SAMPLE = 20;

export interface VerifyResult {
  /** False when another process was verifying (nothing was checked). */
  checked: boolean;
  mismatches: number;
  sample: RollupMismatch[];
  /** Findings this run resolved (the rollups agree again). */
  resolved: number;
  ms: number;
}

/**
 * Compares the revenue rollups with the ledger they summarize. A difference opens a
 * `revenue_drift` finding (logged as metric_drift), and while it is open the revenue endpoints
 * answer 500 metric_drift instead of numbers; a later clean run resolves it. Runs in one
 * repeatable-read snapshot, so rollups and ledger are compared at the same instant, under a
 * transaction-level advisory lock (one verifier at a time across processes).
 */
@Injectable()
export class RevenueVerifier {
  constructor(
    private readonly db: Database,
    private readonly ledger: LedgerFiguresRepository,
  ) {}

  async verify(): Promise<VerifyResult> {
    const t0 = Date.now();
    const result = await this.db.tx(
      async (sql) => {
        if (!(await tryXactLock(sql, REVENUE_VERIFY_LOCK))) return null;
        const { count, sample } = await this.ledger.rollupMismatches(sql, SAMPLE);
        if (count > 0) {
          await this.ledger.recordDrift(sql, count, sample);
          return { mismatches: count, sample, resolved: 0 };
        }
        return { mismatches: 0, sample: [], resolved: await this.ledger.resolveDrift(sql) };
      },
      { isolation: 'repeatable read' },
    );
    const ms = Date.now() - t0;
    if (!result) return { checked: false, mismatches: 0, sample: [], resolved: 0, ms };
    if (result.mismatches > 0) {
      logger.error(
        'metric drift: revenue rollups disagree with the ledger; revenue endpoints refuse to answer until fixed (npm run job -- rebuild-revenue)',
        {
          mismatches: result.mismatches,
          sample: result.sample,
        },
      );
    } else if (result.resolved > 0) {
      logger.info('revenue rollups agree with the ledger again; drift resolved', { resolved: result.resolved });
    }
    return { checked: true, ...result, ms };
  }

  /** Recomputes the rollups from the ledger, then verifies (which resolves an open finding). */
  async rebuild(): Promise<VerifyResult & { slots: number }> {
    const slots = await this.db.tx((sql) => this.ledger.rebuildRollups(sql));
    logger.info('revenue rollups rebuilt from the ledger', { slots });
    return { ...(await this.verify()), slots };
  }
}
