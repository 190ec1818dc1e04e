import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.sql.js';

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
    const rows = await this.db.query(
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
    const rows = await this.db.query<any>(
      `SELECT key, method, route, body_hash, state, response_status, response_body FROM api_idempotency WHERE key = $1 AND expires_at >= now()`,
      [key],
    );
    const r = rows[0];
    if (!r) return null;
    return { key: r.key, method: r.method, route: r.route, bodyHash: r.body_hash, state: r.state, responseStatus: r.response_status, responseBody: r.response_body };
  }

  async complete(key: string, status: number, body: unknown): Promise<void> {
    await this.db.query(`UPDATE api_idempotency SET state = 'done', response_status = $1, response_body = $2::jsonb WHERE key = $3`, [status, JSON.stringify(body), key]);
  }

  async release(key: string): Promise<void> {
    await this.db.query(`DELETE FROM api_idempotency WHERE key = $1 AND state = 'in_progress'`, [key]);
  }

  async purgeExpired(limit = 1000): Promise<number> {
    const rows = await this.db.query(
      `DELETE FROM api_idempotency WHERE key IN (SELECT key FROM api_idempotency WHERE expires_at < now() LIMIT $1) RETURNING key`,
      [limit],
    );
    return rows.length;
  }
}
