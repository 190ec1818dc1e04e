import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import {
  calendarDate,
  integer,
  isCalendarDate,
  oneOf,
  strictObject,
  text,
  whenValid,
} from '../common/request.validation.js';
import { SOURCES } from '../records/record.types.js';
import type { MissedKey } from './sightings.repository.js';

/** Request and response shapes of the reconciliation routes (CONTRACT "Reconciliation"). */

export const MAX_MISSED_LIMIT = 1000;

/** Postgres's text form of a timestamptz (what the cursor carries, to the microsecond). */
const PG_TIMESTAMPTZ =
  /^(\d{4}-\d{2}-\d{2}) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?[+-](0\d|1[0-5])(:[0-5]\d){0,2}$/;
/** Object types a sighting can have (what sightings.extract writes). */
const OBJECT_TYPES = new Set(['charge', 'refund', 'dispute', 'deal', 'contact', 'event']);
// Control characters (NUL above all) are not valid in Postgres text: a forged id must be a 400, not a 500.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function encodeCursor(k: MissedKey): string {
  return Buffer.from(JSON.stringify(k), 'utf8').toString('base64url');
}

/** The keyset position of a nextCursor, or null when `s` is not one this server wrote. */
export function decodeCursor(s: string): MissedKey | null {
  if (!/^[A-Za-z0-9_-]+$/.test(s)) return null;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'string')) return null;
  const [at, objectType, externalId] = v as [string, string, string];
  const m = PG_TIMESTAMPTZ.exec(at);
  if (!m || !isCalendarDate(m[1]) || !OBJECT_TYPES.has(objectType) || !externalId || CONTROL.test(externalId))
    return null;
  return [at, objectType, externalId];
}

const badCursor = (iss: { path?: PropertyKey[] }) =>
  `${String(iss.path?.[0] ?? 'cursor')} must be the nextCursor of a previous page, unchanged.`;

/** `tz` is checked for its form here; ReconciliationQueryPipe asks Postgres whether the zone exists. */
export const ReconciliationQuery = strictObject(
  {
    source: oneOf(SOURCES).meta({ description: 'The vendor to reconcile.', example: 'stripe' }),
    startDate: calendarDate()
      .optional()
      .transform((v) => v ?? null)
      .meta({ description: 'First day of vendor creation, YYYY-MM-DD in tz, inclusive; default endDate − 6 days.' }),
    endDate: calendarDate()
      .optional()
      .transform((v) => v ?? null)
      .meta({ description: 'Last day, YYYY-MM-DD in tz, inclusive; default today in tz.' }),
    tz: text({ max: 64 }).default('UTC').meta({
      description:
        "IANA zone known to the server's PostgreSQL, case-insensitive, answered in its spelling; default UTC. Days are cut in it.",
      example: 'Europe/Berlin',
    }),
    limit: integer({ min: 1, max: MAX_MISSED_LIMIT, def: 100 }).meta({
      description: `missedWebhooks per page, 1 to ${MAX_MISSED_LIMIT}; default 100.`,
    }),
    cursor: text({ max: 2000 })
      .refine((s) => decodeCursor(s) !== null, { error: badCursor, abort: true })
      .transform((s) => decodeCursor(s) as MissedKey)
      .optional()
      .transform((v) => v ?? null)
      .meta({ description: 'nextCursor of the previous page of missedWebhooks (same query otherwise).' }),
  },
  'query',
).refine((q) => !(q.startDate && q.endDate && q.endDate < q.startDate), {
  path: ['endDate'],
  error: 'endDate must be on or after startDate.',
  when: whenValid('startDate', 'endDate'),
});

export class ReconciliationQueryDto extends createZodDto(ReconciliationQuery) {}

/** The sweep takes no parameters: an empty or absent body. */
export class SweepBodyDto extends createZodDto(strictObject({}, 'body')) {}

const counts = {
  both: z
    .int()
    .meta({ description: 'Seen by a webhook and by a poll (the webhook no later than graceS after the poll)' }),
  webhookOnly: z.int().meta({ description: 'Arrived by webhook; no poll has seen it (yet)' }),
  pollOnly: z.int().meta({ description: 'A poll found it and no webhook came within graceS: a missed webhook' }),
  pending: z.int().meta({ description: 'Found by a poll less than graceS ago; its webhook may still come' }),
};

export class ReconciliationReportDto extends createZodDto(
  z
    .object({
      source: z.enum(SOURCES),
      startDate: z.string().meta({ format: 'date' }),
      endDate: z.string().meta({ format: 'date' }),
      tz: z.string(),
      graceS: z.int().meta({ description: 'RECONCILE_GRACE_S' }),
      totals: z.object(counts),
      days: z.array(z.object({ date: z.string().meta({ format: 'date' }), ...counts })).meta({
        description:
          'One entry per day startDate..endDate (dense, ascending); objects count on their vendor creation day in tz',
      }),
      missedWebhooks: z
        .array(
          z.object({
            objectType: z.string().meta({ description: 'charge, refund, dispute, deal, contact or event' }),
            externalId: z.string().meta({ description: 'Vendor id; Google Calendar events as <calendarId>/<eventId>' }),
            firstPolledAt: z.string().meta({ format: 'date-time' }),
          }),
        )
        .meta({ description: 'The pollOnly objects of the range, by creation time; paged by limit and cursor' }),
      orphans: z
        .object({
          open: z.int().meta({ description: 'Children waiting for their parent' }),
          linked: z.int().meta({ description: 'Children whose parent arrived (or that were deleted)' }),
          givenUp: z.int().meta({ description: 'Children given up after 7 days and still without their parent' }),
        })
        .meta({ description: "This source's orphans now, whatever the dates" }),
      nextCursor: z.string().nullable().meta({ description: 'Pass as cursor for the next page of missedWebhooks' }),
    })
    .meta({
      example: {
        source: 'stripe',
        startDate: '2026-06-15',
        endDate: '2026-06-16',
        tz: 'UTC',
        graceS: 300,
        totals: { both: 180, webhookOnly: 2, pollOnly: 3, pending: 1 },
        days: [
          { date: '2026-06-15', both: 97, webhookOnly: 0, pollOnly: 3, pending: 0 },
          { date: '2026-06-16', both: 83, webhookOnly: 2, pollOnly: 0, pending: 1 },
        ],
        missedWebhooks: [
          { objectType: 'charge', externalId: 'ch_3PqA1b2C3d4E5f6G', firstPolledAt: '2026-06-15T10:05:02.118Z' },
        ],
        orphans: { open: 1, linked: 12, givenUp: 0 },
        nextCursor: 'WyIyMDI2LTA2LTE1IDEwOjAwOjAwKzAwIiwiY2hhcmdlIiwiY2hfM1BxQTFiMkMzZDRFNWY2RyJd',
      },
    }),
) {}

export class SweepResultDto extends createZodDto(
  z
    .object({
      scanned: z.int().meta({ description: 'Distinct children looked at (waiting ones and newly found ones)' }),
      linked: z.int().meta({ description: 'Children whose parent arrived since the last sweep' }),
      givenUp: z.int().meta({ description: 'Children given up by this sweep (waiting for more than 7 days)' }),
    })
    .meta({ example: { scanned: 14, linked: 2, givenUp: 0 } }),
) {}
