import { Injectable } from '@nestjs/common';
import { type HealthCheckAttempt, HealthIndicatorService } from '@nestjs/terminus';
import { Database } from '../database/database.sql.js';

/** A database that takes longer than this to answer `SELECT 1` counts as down. */
const DB_TIMEOUT_MS = 3000;

/** Readiness hinges on this one: `up` with the round-trip latency, or `down`. */
@Injectable()
export class DbHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly db: Database,
  ) {}

  check(): HealthCheckAttempt<'db'> {
    return this.health
      .check('db')
      .attempt(async () => ({ latencyMs: await this.db.ping() }))
      .withTimeout(DB_TIMEOUT_MS);
  }
}
