import { Injectable } from '@nestjs/common';
import { sql as raw } from '@mikro-orm/core';
import { Database } from '../database/database.sql.js';
import { IdempotencyKeyEntity } from './idempotency-key.entity.js';

export interface IdempotencyRow {
  key: string;
  method: string;
  route: string;
  bodyHash: string;
  state: 'in_progress' | 'done';
  responseStatus: number | null;
  responseBody: unknown;
}

/** Far longer than any admin request runs (the replay wait gives up after 15 s). */
const ABANDONED_AFTER = '2 minutes';

/**
 * api_idempotency. The claim and the purge are single conditional statements in SQL (their
 * atomicity is the point); reading, completing and releasing one key go through the entity manager.
 * Expiry is judged on the database's clock, the one that wrote expires_at.
 */
@Injectable()
export class IdempotencyRepository {
  constructor(private readonly db: Database) {}

  /**
   * Claims the key; returns false when a live record already holds it. An expired record is
   * replaced in the same statement, so the claim stays atomic. So is an abandoned one: a claim
   * still in progress after ABANDONED_AFTER (the process died, or Postgres went away before the
   * outcome was written) would otherwise answer 409 in_progress to every retry for 24 h; the same
   * request may take it over and run again (admin POSTs are safe to repeat).
   */
  async claim(key: string, method: string, route: string, bodyHash: string): Promise<boolean> {
    const rows = await this.db.query<{ key: string }>(
      `INSERT INTO api_idempotency (key, method, route, body_hash) VALUES ($1, $2, $3, $4)
       ON CONFLICT (key) DO UPDATE SET method = excluded.method, route = excluded.route, body_hash = excluded.body_hash,
         state = 'in_progress', response_status = NULL, response_body = NULL, created_at = now(), expires_at = now() + interval '24 hours'
       WHERE api_idempotency.expires_at < now()
          OR (api_idempotency.state = 'in_progress' AND api_idempotency.created_at < now() - $5::interval
              AND (api_idempotency.method, api_idempotency.route, api_idempotency.body_hash) = (excluded.method, excluded.route, excluded.body_hash))
       RETURNING key`,
      [key, method, route, bodyHash, ABANDONED_AFTER],
    );
    return rows.length === 1;
  }

  async find(key: string): Promise<IdempotencyRow | null> {
    const r = await this.db.em.findOne(IdempotencyKeyEntity, { key, expiresAt: { $gte: raw.now() } });
    if (!r) return null;
    return {
      key: r.key,
      method: r.method,
      route: r.route,
      bodyHash: r.bodyHash,
      state: r.state,
      responseStatus: r.responseStatus ?? null,
      responseBody: r.responseBody ?? null,
    };
  }

  async complete(key: string, status: number, body: unknown): Promise<void> {
    await this.db.em.nativeUpdate(
      IdempotencyKeyEntity,
      { key },
      { state: 'done', responseStatus: status, responseBody: body },
    );
  }

  async release(key: string): Promise<void> {
    await this.db.em.nativeDelete(IdempotencyKeyEntity, { key, state: 'in_progress' });
  }

  async purgeExpired(limit = 1000): Promise<number> {
    const rows = await this.db.query<{ key: string }>(
      `DELETE FROM api_idempotency WHERE key IN (SELECT key FROM api_idempotency WHERE expires_at < now() LIMIT $1) RETURNING key`,
      [limit],
    );
    return rows.length;
  }
}
