import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { Database } from '../database/database.sql.js';
import { queryInput, RequestValidationException } from './request.validation.js';

/**
 * Which `tz` values a request may use (revenue, reconciliation): exactly the IANA zones of the
 * Postgres that cuts the days (pg_timezone_names), matched case-insensitively and echoed in
 * Postgres's spelling.
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

export const unknownZone = (raw: string) => `tz must be an IANA time zone name such as Europe/Paris (got "${raw}").`;

/** The 400 a zone Postgres does not know gets (`tz=UTC+3`), as an OpenAPI example. */
export const UNKNOWN_ZONE_EXAMPLE = {
  error: 'validation_failed',
  message: unknownZone('UTC+3'),
  issues: [{ in: 'query', field: 'tz', message: unknownZone('UTC+3') }],
};

@Injectable()
export class TimeZoneCatalog {
  private names: Promise<Map<string, string>> | null = null;

  constructor(private readonly db: Database) {}

  /**
   * A query string parsed with its schema, `tz` checked here (a schema cannot ask Postgres): one
   * 400 lists every bad field, the zone included. `tz` comes back in Postgres's spelling.
   */
  async parseQuery<T extends object>(schema: z.ZodType<T>, value: unknown): Promise<T> {
    const input = queryInput(value);
    const parsed = schema.safeParse(input);
    const issues: z.core.$ZodIssue[] = parsed.success ? [] : [...parsed.error.issues];
    let tz: string | null = null;
    if (typeof input.tz === 'string' && !issues.some((i) => i.path[0] === 'tz')) {
      tz = await this.canonical(input.tz);
      if (tz === null) issues.push({ code: 'custom', path: ['tz'], message: unknownZone(input.tz), input: input.tz });
    }
    if (!parsed.success || issues.length) throw new RequestValidationException(new z.ZodError(issues), 'query');
    return tz === null ? parsed.data : { ...parsed.data, tz };
  }

  /** Postgres's spelling of `name`, or null when it is not a zone we accept. */
  async canonical(name: string): Promise<string | null> {
    const names = await this.load();
    return names.get(name.toLowerCase()) ?? null;
  }

  private load(): Promise<Map<string, string>> {
    if (!this.names) {
      this.names = this.db.query<{ name: string }>('SELECT name FROM pg_timezone_names').then(
        (list) =>
          new Map(
            list
              .map((r) => r.name)
              .filter((n) => !NOT_PLACES.test(n))
              .map((n) => [n.toLowerCase(), n]),
          ),
        (err: unknown) => {
          this.names = null;
          throw err;
        },
      );
    }
    return this.names;
  }
}
