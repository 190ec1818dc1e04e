import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.js';

export interface IdempotencyRow {
  key: string;
  method: string;
  route: string;
  bodyHash: string;
  state: 'in_progress' | 'done';
  responseStatus: number | null;
  responseBody: unknown;
}

@Injectable()
export class IdempotencyRepository {
  constructor(private readonly db: Database) {}

  /** Claims the key; returns false when a live (unexpired) record already holds it. */
  async claim(key: string, method: string, route: string, bodyHash: string): Promise<boolean> {
    // An expired record is replaced in the same statement, so the claim stays atomic.
    const rows = await this.db.query(
      `INSERT INTO api_idempotency (key, method, route, body_hash) VALUES ($1, $2, $3, $4)
       ON CONFLICT (key) DO UPDATE SET method = excluded.method, route = excluded.route, body_hash = excluded.body_hash,
         state = 'in_progress', response_status = NULL, response_body = NULL, created_at = now(), expires_at = now() + interval '24 hours'
       WHERE api_idempotency.expires_at < now()
       RETURNING key`,
      [key, method, route, bodyHash],
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
