import { Injectable } from '@nestjs/common';
import type { Sql } from '../database/database.sql.js';

@Injectable()
export class TimeZoneRepository {
  /** Zone names this Postgres knows (its tz database), for request validation. */
  async zoneNames(sql: Sql): Promise<string[]> {
    const rows = await sql.query<{ name: string }>('SELECT name FROM pg_timezone_names');
    return rows.map((r) => r.name);
  }
}
