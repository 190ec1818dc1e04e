import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.sql.js';
import { TimeZoneRepository } from './time-zone.repository.js';

/**
 * Which `tz` values a revenue request may use: exactly the IANA zones of the Postgres that cuts
 * the days (pg_timezone_names), matched case-insensitively and echoed in Postgres's spelling.
 *
 * Postgres is the only judge because it is the only thing that applies the zone: a zone that
 * Node's Intl knows but this Postgres does not would otherwise fail inside the query, and POSIX
 * strings that Postgres would accept in AT TIME ZONE are refused on purpose ('UTC+3' there means
 * three hours *west* of UTC). Placeholders that are not places are refused too.
 *
 * The list is read once per process (it is the server's tz database; it changes only with a
 * Postgres upgrade) and a failed read is not cached, so an outage does not poison it.
 */
const NOT_PLACES = /^(factory|localtime|posixrules)$|^(posix|right|systemv)\//i;

@Injectable()
export class TimeZoneCatalog {
  private names: Promise<Map<string, string>> | null = null;

  constructor(
    private readonly db: Database,
    private readonly repo: TimeZoneRepository,
  ) {}

  /** Postgres's spelling of `name`, or null when it is not a zone we accept. */
  async canonical(name: string): Promise<string | null> {
    const names = await this.load();
    return names.get(name.toLowerCase()) ?? null;
  }

  private load(): Promise<Map<string, string>> {
    if (!this.names) {
      this.names = this.repo.zoneNames(this.db).then(
        (list) => new Map(list.filter((n) => !NOT_PLACES.test(n)).map((n) => [n.toLowerCase(), n])),
        (err: unknown) => {
          this.names = null;
          throw err;
        },
      );
    }
    return this.names;
  }
}
