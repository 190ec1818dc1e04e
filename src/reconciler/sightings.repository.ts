import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app.config.js';
import type { Sql } from '../database/database.sql.js';
import type { OutboxInsert, OutboxRow } from '../outbox/outbox.types.js';
import type { Source } from '../records/record.types.js';
import { pushedCalendarOf, sightingsOf, type Sighting } from './sightings.extract.js';

type Path = 'webhook' | 'poll';

export interface DayCounts {
  date: string;
  both: number;
  webhookOnly: number;
  pollOnly: number;
  pending: number;
}

export interface MissedWebhook {
  objectType: string;
  externalId: string;
  firstPolledAt: Date;
}

/** Keyset position in missedWebhooks: (vendor_created_at as Postgres prints it, object type, external id). */
export type MissedKey = readonly [createdAt: string, objectType: string, externalId: string];

/**
 * The classification every read uses, for grace $G (seconds) at instant $N. Each object is in
 * exactly one class:
 *  webhookOnly  no poll has seen it;
 *  both         a poll saw it and a webhook came no later than graceS after that poll;
 *  pending      a poll saw it less than graceS ago and no webhook has come yet;
 *  pollOnly     a poll saw it at least graceS ago and no webhook came within graceS of that poll
 *               (a webhook arriving later still counts as missed: the poll had to rescue it).
 */
const both = (g: string) =>
  `first_poll_at IS NOT NULL AND first_webhook_at <= first_poll_at + ${g} * interval '1 second'`;
const notBoth = (g: string) =>
  `first_poll_at IS NOT NULL AND (first_webhook_at IS NULL OR first_webhook_at > first_poll_at + ${g} * interval '1 second')`;
/** The predicate of index object_sightings_poll_first, repeated so the planner can use it. */
const POLL_FIRST = 'first_poll_at IS NOT NULL AND (first_webhook_at IS NULL OR first_webhook_at > first_poll_at)';
const pollOnly = (g: string, n: string) =>
  `${POLL_FIRST} AND ${notBoth(g)} AND first_poll_at <= ${n}::timestamptz - ${g} * interval '1 second'`;

/** [from, to) of whole local days startDate..endDate in zone $tz. */
const dayRange = (start: string, end: string, tz: string) =>
  `vendor_created_at >= (${start}::date)::timestamp AT TIME ZONE ${tz} AND vendor_created_at < (${end}::date + 1)::timestamp AT TIME ZONE ${tz}`;

/**
 * Owner of object_sightings and reconcile_push_marks. Writes ride along with the outbox: the
 * poll path records every row of a page (duplicates included: a re-polled object a webhook
 * already delivered is exactly the evidence wanted) inside the page's transaction; the webhook
 * path records the rows the worker claims, at their receipt time. Each write is one set-based
 * upsert that only moves first-seen times earlier, so repeats and replays change nothing.
 */
@Injectable()
export class SightingsRepository {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Polled rows as they are inserted (duplicates too), on the inserting transaction. */
  async recordPolled(sql: Sql, rows: readonly OutboxInsert[]): Promise<void> {
    const seen: Array<Sighting & { at: Date | null; path: Path }> = [];
    for (const r of rows) {
      if (r.origin !== 'poll') continue;
      for (const s of sightingsOf(r.kind, r.payload)) seen.push({ ...s, at: null, path: 'poll' });
    }
    await this.upsert(sql, seen);
  }

  /**
   * Webhook rows the worker claimed, at the time they were received. A HubSpot webhook names its
   * object; the snapshot the worker then fetches for it is stored as a webhook row too and brings
   * the creation time. A Google push names only its calendar: it marks the calendar, and vouches
   * for events a listing found up to graceS before it.
   */
  async recordClaimed(sql: Sql, rows: readonly OutboxRow[]): Promise<void> {
    const seen: Array<Sighting & { at: Date | null; path: Path }> = [];
    const pushes: { calendarId: string; at: Date }[] = [];
    for (const r of rows) {
      if (r.origin !== 'webhook') continue;
      for (const s of sightingsOf(r.kind, r.payload)) seen.push({ ...s, at: r.receivedAt, path: 'webhook' });
      const calendarId = pushedCalendarOf(r.kind, r.payload);
      if (calendarId) pushes.push({ calendarId, at: r.receivedAt });
    }
    await this.upsert(sql, seen);
    if (pushes.length === 0) return;
    await sql.query(
      `WITH n AS (SELECT scope, max(at) AS at FROM unnest($1::text[], $2::timestamptz[]) AS t(scope, at) GROUP BY scope),
       marks AS (
         INSERT INTO reconcile_push_marks AS m (source, scope, last_notified_at)
         SELECT 'gcal', scope, at FROM n ORDER BY scope
         ON CONFLICT (source, scope) DO UPDATE SET last_notified_at = greatest(m.last_notified_at, excluded.last_notified_at)
         RETURNING 1)
       UPDATE object_sightings o
          SET first_webhook_at = n.at,
              first_path = CASE WHEN o.first_poll_at < n.at THEN 'poll' ELSE 'webhook' END
         FROM n
        WHERE o.scope IS NOT NULL AND o.first_webhook_at IS NULL AND o.scope = n.scope AND o.source = 'gcal'
          AND o.first_poll_at >= n.at - $3::int * interval '1 second' AND o.vendor_created_at <= n.at`,
      [pushes.map((p) => p.calendarId), pushes.map((p) => p.at.toISOString()), this.config.reconcile.graceS],
    );
  }

  private async upsert(sql: Sql, seen: ReadonlyArray<Sighting & { at: Date | null; path: Path }>): Promise<void> {
    if (seen.length === 0) return;
    const iso = (d: Date | null) => (d ? d.toISOString() : null);
    // A listed Google event counts as webhook-seen when its calendar was pushed after it was created.
    await sql.query(
      `WITH s AS (
         SELECT t.source, t.object_type, t.external_id, t.scope, t.created_at, t.created_exact,
                coalesce(t.seen_at, now()) AS seen_at, t.path
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::bool[], $7::timestamptz[], $8::text[])
                AS t(source, object_type, external_id, scope, created_at, created_exact, seen_at, path)),
       v AS (
         SELECT s.*,
                CASE WHEN s.path = 'webhook' THEN s.seen_at
                     WHEN m.last_notified_at >= s.created_at THEN m.last_notified_at END AS webhook_at,
                CASE WHEN s.path = 'poll' THEN s.seen_at END AS poll_at
           FROM s LEFT JOIN reconcile_push_marks m
             ON s.path = 'poll' AND s.scope IS NOT NULL AND m.source = s.source AND m.scope = s.scope),
       g AS (
         SELECT source, object_type, external_id, min(scope) AS scope,
                coalesce(min(created_at) FILTER (WHERE created_exact), min(created_at), min(seen_at)) AS created_at,
                bool_or(created_exact) AS created_exact,
                min(webhook_at) AS webhook_at, min(poll_at) AS poll_at
           FROM v GROUP BY source, object_type, external_id)
       INSERT INTO object_sightings AS o
              (source, object_type, external_id, scope, vendor_created_at, created_exact, first_webhook_at, first_poll_at, first_path)
       SELECT source, object_type, external_id, scope, created_at, created_exact, webhook_at, poll_at,
              CASE WHEN poll_at < coalesce(webhook_at, 'infinity') THEN 'poll' ELSE 'webhook' END
         FROM g
        ORDER BY source, object_type, external_id
       ON CONFLICT (source, object_type, external_id) DO UPDATE SET
         first_webhook_at = least(o.first_webhook_at, excluded.first_webhook_at),
         first_poll_at = least(o.first_poll_at, excluded.first_poll_at),
         first_path = CASE WHEN least(o.first_poll_at, excluded.first_poll_at)
                                < coalesce(least(o.first_webhook_at, excluded.first_webhook_at), 'infinity')
                           THEN 'poll' ELSE 'webhook' END,
         vendor_created_at = CASE WHEN o.created_exact THEN o.vendor_created_at
                                  WHEN excluded.created_exact THEN excluded.vendor_created_at
                                  ELSE least(o.vendor_created_at, excluded.vendor_created_at) END,
         created_exact = o.created_exact OR excluded.created_exact,
         scope = coalesce(o.scope, excluded.scope)
       WHERE excluded.first_webhook_at < coalesce(o.first_webhook_at, 'infinity')
          OR excluded.first_poll_at < coalesce(o.first_poll_at, 'infinity')
          OR (excluded.created_exact AND NOT o.created_exact)
          OR (NOT o.created_exact AND excluded.vendor_created_at < o.vendor_created_at)`,
      [
        seen.map((s) => s.source),
        seen.map((s) => s.objectType),
        seen.map((s) => s.externalId),
        seen.map((s) => s.scope),
        seen.map((s) => iso(s.createdAt)),
        seen.map((s) => s.createdExact && s.createdAt !== null),
        seen.map((s) => iso(s.at)),
        seen.map((s) => s.path),
      ],
    );
  }

  /** Per local day of vendor creation, the objects of each class (days without objects are absent). */
  async dayCounts(
    sql: Sql,
    q: { source: Source; startDate: string; endDate: string; tz: string; graceS: number; now: Date },
  ): Promise<DayCounts[]> {
    // Rows are bucketed by a binary search over the days' start instants (width_bucket), computed
    // once per query: converting every row to local time and formatting it costs several times more.
    const rows = await sql.query<{ i: number; both: string; webhook_only: string; poll_only: string; pending: string }>(
      `WITH d AS (
         SELECT array_agg((($2::date + g)::timestamp AT TIME ZONE $4::text) ORDER BY g) AS starts
           FROM generate_series(0, $3::date - $2::date) AS g)
       SELECT width_bucket(vendor_created_at, (SELECT starts FROM d)) AS i,
              count(*) FILTER (WHERE first_poll_at IS NULL) AS webhook_only,
              count(*) FILTER (WHERE ${both('$5::int')}) AS both,
              count(*) FILTER (WHERE ${notBoth('$5::int')} AND first_poll_at > $6::timestamptz - $5::int * interval '1 second') AS pending,
              count(*) FILTER (WHERE ${notBoth('$5::int')} AND first_poll_at <= $6::timestamptz - $5::int * interval '1 second') AS poll_only
         FROM object_sightings
        WHERE source = $1 AND ${dayRange('$2', '$3', '$4::text')}
        GROUP BY 1 ORDER BY 1`,
      [q.source, q.startDate, q.endDate, q.tz, q.graceS, q.now.toISOString()],
    );
    const days = new Date(Date.parse(`${q.startDate}T00:00:00Z`));
    const dayAt = (i: number) => new Date(days.getTime() + (i - 1) * 86_400_000).toISOString().slice(0, 10);
    return rows.map((r) => ({
      date: dayAt(Number(r.i)),
      both: Number(r.both),
      webhookOnly: Number(r.webhook_only),
      pollOnly: Number(r.poll_only),
      pending: Number(r.pending),
    }));
  }

  /** One page of pollOnly objects, in (creation, object type, id) order; `limit + 1` rows tell whether more follow. */
  async missedPage(
    sql: Sql,
    q: {
      source: Source;
      startDate: string;
      endDate: string;
      tz: string;
      graceS: number;
      now: Date;
      limit: number;
      after: MissedKey | null;
    },
  ): Promise<{ items: MissedWebhook[]; next: MissedKey | null }> {
    const after = q.after ? `AND (vendor_created_at, object_type, external_id) > ($8::timestamptz, $9, $10)` : '';
    const rows = await sql.query<{ object_type: string; external_id: string; first_poll_at: string; k: string }>(
      `SELECT object_type, external_id, first_poll_at, vendor_created_at::text AS k
         FROM object_sightings
        WHERE source = $1 AND ${dayRange('$2', '$3', '$4::text')} AND ${pollOnly('$5::int', '$6')} ${after}
        ORDER BY vendor_created_at, object_type, external_id
        LIMIT $7`,
      [q.source, q.startDate, q.endDate, q.tz, q.graceS, q.now.toISOString(), q.limit + 1, ...(q.after ? q.after : [])],
    );
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => ({
        objectType: r.object_type,
        externalId: r.external_id,
        firstPolledAt: new Date(r.first_poll_at),
      })),
      next: rows.length > q.limit && last ? [last.k, last.object_type, last.external_id] : null,
    };
  }

  /** pollOnly objects per source among those created in [since, now]. */
  async missedCounts(sql: Sql, q: { since: Date; graceS: number; now: Date }): Promise<Map<Source, number>> {
    const rows = await sql.query<{ source: Source; n: string }>(
      `SELECT source, count(*) AS n FROM object_sightings
        WHERE source = ANY($1::text[]) AND vendor_created_at >= $2::timestamptz AND ${pollOnly('$3::int', '$4')}
        GROUP BY source`,
      [['stripe', 'hubspot', 'gcal'], q.since.toISOString(), q.graceS, q.now.toISOString()],
    );
    return new Map(rows.map((r) => [r.source, Number(r.n)]));
  }
}
