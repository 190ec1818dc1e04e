import { Injectable } from '@nestjs/common';
import { Database, dateOrNull, type Sql } from '../database/database.sql.js';
import { OUTBOX_NOTIFY_CHANNEL } from './outbox-insert.repository.js';
import type { Settlement } from './outbox.retry-policy.js';
import type { Source } from '../records/record.types.js';
import {
  OUTBOX_SOURCES,
  type FailureClass,
  type OutboxKind,
  type OutboxOrigin,
  type OutboxRow,
  type OutboxSource,
  type OutboxStatus,
} from './outbox.types.js';

export type StatusCounts = Record<OutboxStatus, number>;

export interface OutboxStats {
  counts: StatusCounts;
  total: number;
  deadCount: number;
  /** Seconds the oldest claimable `queued` row has waited (null when none): the worker's lag. */
  oldestQueuedAgeS: number | null;
  /** Earliest scheduled retry of an `error` row. */
  nextRetryAt: Date | null;
  /** The vendors, and `buffalo` for Buffalo's own work (alert deliveries). */
  bySource: Record<OutboxSource, StatusCounts>;
}

export interface DeadEvent {
  id: string;
  source: OutboxSource;
  kind: string;
  eventType: string;
  dedupeKey: string;
  origin: OutboxOrigin;
  attempts: number;
  failureClass: FailureClass | null;
  lastError: string | null;
  receivedAt: Date;
  deadAt: Date | null;
  vendorTime: Date | null;
}

export interface SweepResult {
  requeued: number;
  /** Rows whose lease expired on their last allowed attempt (a row that keeps killing workers). */
  dead: number;
  /** Claim tokens whose leases expired: which workers died or hung. */
  lockedBy: string[];
}

export interface ReplayResult {
  requeued: number;
  byStatus: { done: number; dead: number; ignored: number };
}

const zeroCounts = (): StatusCounts => ({ queued: 0, running: 0, done: 0, error: 0, dead: 0, ignored: 0 });

/** A claimed row as the claim's RETURNING gives it (int8 and timestamptz as text, jsonb parsed). */
interface ClaimedRow {
  id: string;
  source: OutboxSource;
  kind: OutboxKind;
  dedupe_key: string;
  origin: OutboxOrigin;
  event_type: string;
  payload: unknown;
  attempts: number;
  received_at: string;
  vendor_time: string | null;
}

/** A dead row as listDead selects it. */
interface DeadRow {
  id: string;
  source: OutboxSource;
  kind: string;
  event_type: string;
  dedupe_key: string;
  origin: OutboxOrigin;
  attempts: number;
  failure_class: FailureClass | null;
  last_error: string | null;
  received_at: string;
  processed_at: string | null;
  vendor_time: string | null;
}

function toRow(r: ClaimedRow): OutboxRow {
  return {
    id: String(r.id),
    source: r.source,
    kind: r.kind,
    dedupeKey: r.dedupe_key,
    origin: r.origin,
    eventType: r.event_type,
    payload: typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload,
    attempts: Number(r.attempts),
    receivedAt: new Date(r.received_at),
    vendorTime: dateOrNull(r.vendor_time),
  };
}

/**
 * Every state change of ingest_outbox after insert. Status machine:
 * queued → running → done | ignored | error (→ running again after backoff) | dead,
 * plus running → queued when a lease expires and dead/done/ignored → queued on redrive or replay.
 */
@Injectable()
export class OutboxRepository {
  constructor(private readonly db: Database) {}

  /**
   * Claims up to `limit` due rows for one worker. SKIP LOCKED lets N workers claim disjoint
   * batches without waiting on each other; the lease bounds how long a dead worker holds them.
   * `token` identifies this claim: only the same token may settle the rows.
   */
  async claim(token: string, limit: number, leaseMs: number): Promise<OutboxRow[]> {
    const rows = await this.db.query<ClaimedRow>(
      `UPDATE ingest_outbox o
          SET status = 'running', attempts = o.attempts + 1,
              lease_until = now() + $2::bigint * interval '1 millisecond', locked_by = $3
        WHERE o.id IN (SELECT id FROM ingest_outbox
                        WHERE status IN ('queued','error') AND available_at <= now()
                        ORDER BY available_at, id
                        LIMIT $1
                        FOR UPDATE SKIP LOCKED)
       RETURNING o.id, o.source, o.kind, o.dedupe_key, o.origin, o.event_type, o.payload, o.attempts, o.received_at, o.vendor_time`,
      [limit, leaseMs, token],
    );
    return rows.map(toRow).sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  }

  /**
   * Moves claimed rows to their next state. Fenced on the claim token: when a lease expired and
   * another worker re-claimed a row, this stale worker's verdict is dropped (its writes were
   * idempotent upserts, so nothing is doubled). Returns the ids actually settled.
   */
  async settle(token: string, settlements: readonly Settlement[]): Promise<Set<string>> {
    if (settlements.length === 0) return new Set();
    const rows = await this.db.query<{ id: string }>(
      `UPDATE ingest_outbox o
          SET status = s.status,
              failure_class = s.failure_class,
              last_error = s.last_error,
              available_at = CASE WHEN s.status = 'error' THEN now() + s.delay_ms * interval '1 millisecond' ELSE o.available_at END,
              processed_at = CASE WHEN s.status = 'error' THEN NULL ELSE now() END,
              lease_until = NULL, locked_by = NULL
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[]) AS s(id, status, failure_class, last_error, delay_ms)
        WHERE o.id = s.id AND o.status = 'running' AND o.locked_by = $6
       RETURNING o.id`,
      [
        settlements.map((s) => s.id),
        settlements.map((s) => s.status),
        settlements.map((s) => s.failureClass),
        settlements.map((s) => s.error),
        settlements.map((s) => s.delayMs),
        token,
      ],
    );
    return new Set(rows.map((r) => String(r.id)));
  }

  /**
   * Keeps a slow batch's lease alive while its worker is demonstrably still working on it. An
   * already expired lease is not revived: the rows are up for grabs by then. Rows locked right
   * now are skipped, never waited for: the heartbeat fires while the same batch is being settled,
   * and the settle and this update took the batch's row locks in different orders (a deadlock CI
   * hit). A row being settled needs no longer lease, and one the sweeper holds is lost anyway.
   */
  async extendLease(token: string, leaseMs: number): Promise<number> {
    const rows = await this.db.query<{ id: string }>(
      `UPDATE ingest_outbox SET lease_until = now() + $2::bigint * interval '1 millisecond'
        WHERE id IN (SELECT id FROM ingest_outbox
                      WHERE status = 'running' AND locked_by = $1 AND lease_until >= now()
                      FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      [token, leaseMs],
    );
    return rows.length;
  }

  /**
   * Returns rows whose lease expired to `queued` (their worker died or hung). A row that has
   * used its last attempt goes to `dead` instead, so a payload that crashes workers cannot
   * take them down forever.
   */
  async sweepExpiredLeases(maxAttempts: number): Promise<SweepResult> {
    const rows = await this.db.query<{ status: string; locked_by: string | null }>(
      `WITH expired AS (
         SELECT id, locked_by FROM ingest_outbox
          WHERE status = 'running' AND lease_until < now()
          FOR UPDATE SKIP LOCKED)
       UPDATE ingest_outbox o
          SET status = CASE WHEN o.attempts >= $1 THEN 'dead' ELSE 'queued' END,
              failure_class = CASE WHEN o.attempts >= $1 THEN 'retries_exhausted' ELSE o.failure_class END,
              last_error = CASE WHEN o.attempts >= $1 THEN 'lease expired on the last attempt: the worker died or hung while processing this row'
                                ELSE o.last_error END,
              processed_at = CASE WHEN o.attempts >= $1 THEN now() ELSE NULL END,
              available_at = now(), lease_until = NULL, locked_by = NULL
         FROM expired
        WHERE o.id = expired.id
       RETURNING o.status, expired.locked_by`,
      [maxAttempts],
    );
    const dead = rows.filter((r) => r.status === 'dead').length;
    return {
      requeued: rows.length - dead,
      dead,
      lockedBy: [...new Set(rows.map((r) => r.locked_by ?? ''))].filter(Boolean),
    };
  }

  async stats(): Promise<OutboxStats> {
    const [grouped, ages] = await Promise.all([
      this.db.query<{ source: OutboxSource; status: OutboxStatus; n: string }>(
        `SELECT source, status, count(*) AS n FROM ingest_outbox GROUP BY source, status`,
      ),
      this.db.query<{ oldest_s: string | null; next_retry: string | null }>(
        `SELECT (SELECT extract(epoch FROM now() - min(available_at)) FROM ingest_outbox WHERE status = 'queued' AND available_at <= now()) AS oldest_s,
                (SELECT min(available_at) FROM ingest_outbox WHERE status = 'error') AS next_retry`,
      ),
    ]);
    const counts = zeroCounts();
    const bySource = Object.fromEntries(OUTBOX_SOURCES.map((s) => [s, zeroCounts()])) as Record<
      OutboxSource,
      StatusCounts
    >;
    for (const g of grouped) {
      const n = Number(g.n);
      counts[g.status] += n;
      (bySource[g.source] ??= zeroCounts())[g.status] += n;
    }
    const oldest = ages[0]?.oldest_s;
    return {
      counts,
      total: Object.values(counts).reduce((a, b) => a + b, 0),
      deadCount: counts.dead,
      oldestQueuedAgeS: oldest === null || oldest === undefined ? null : Math.max(0, Math.floor(Number(oldest))),
      nextRetryAt: dateOrNull(ages[0]?.next_retry),
      bySource,
    };
  }

  /** Newest first; `before` is the last id of the previous page (keyset, stable under inserts). */
  async listDead(limit: number, before: string | null): Promise<{ events: DeadEvent[]; nextBefore: string | null }> {
    const rows = await this.db.query<DeadRow>(
      `SELECT id, source, kind, event_type, dedupe_key, origin, attempts, failure_class, last_error, received_at, processed_at, vendor_time
         FROM ingest_outbox
        WHERE status = 'dead' AND ($2::bigint IS NULL OR id < $2::bigint)
        ORDER BY id DESC
        LIMIT $1`,
      [limit + 1, before],
    );
    const page = rows.slice(0, limit);
    return {
      events: page.map((r) => ({
        id: String(r.id),
        source: r.source,
        kind: r.kind,
        eventType: r.event_type,
        dedupeKey: r.dedupe_key,
        origin: r.origin,
        attempts: Number(r.attempts),
        failureClass: r.failure_class,
        lastError: r.last_error,
        receivedAt: new Date(r.received_at),
        deadAt: dateOrNull(r.processed_at),
        vendorTime: dateOrNull(r.vendor_time),
      })),
      nextBefore: rows.length > limit ? String(page[page.length - 1].id) : null,
    };
  }

  /** Puts one dead row back in the queue with a fresh attempt budget; false when it is not dead. */
  async redrive(id: string): Promise<boolean> {
    return this.db.tx(async (sql) => {
      const rows = await sql.query<{ id: string }>(
        `UPDATE ingest_outbox
            SET status = 'queued', attempts = 0, available_at = now(), failure_class = NULL,
                processed_at = NULL, lease_until = NULL, locked_by = NULL
          WHERE id = $1::bigint AND status = 'dead'
          RETURNING id`,
        [id],
      );
      if (rows.length) await notify(sql);
      return rows.length === 1;
    });
  }

  /**
   * Re-queues every finished row of a source received in [since, until): after a mapper fix, the
   * stored raw payloads are processed again (upserts are last-write-wins, so this is safe).
   * Queued, running and error rows are left alone: they are still on their way.
   */
  async replay(source: Source, since: Date, until: Date): Promise<ReplayResult> {
    return this.db.tx(async (sql) => {
      const rows = await sql.query<{ prev: 'done' | 'dead' | 'ignored' }>(
        `WITH target AS (
           SELECT id, status AS prev FROM ingest_outbox
            WHERE source = $1 AND received_at >= $2::timestamptz AND received_at < $3::timestamptz
              AND status IN ('done','dead','ignored')
            FOR UPDATE)
         UPDATE ingest_outbox o
            SET status = 'queued', attempts = 0, available_at = now(), failure_class = NULL,
                processed_at = NULL, lease_until = NULL, locked_by = NULL
           FROM target
          WHERE o.id = target.id
         RETURNING target.prev`,
        [source, since.toISOString(), until.toISOString()],
      );
      const byStatus = { done: 0, dead: 0, ignored: 0 };
      for (const r of rows) byStatus[r.prev] += 1;
      if (rows.length) await notify(sql);
      return { requeued: rows.length, byStatus };
    });
  }

  /**
   * Deletes one batch of done/ignored rows processed more than `days` ago. Never touches dead or
   * unprocessed rows, nor the `held` ones (the raw payload of a refund still waiting for its
   * charge: the reconciler says which).
   */
  async purgeBatch(days: number, batchSize: number, held: readonly string[] = []): Promise<number> {
    const rows = await this.db.query<{ id: string }>(
      `DELETE FROM ingest_outbox
        WHERE id IN (SELECT o.id FROM ingest_outbox o
                      WHERE o.status IN ('done','ignored') AND o.processed_at < now() - make_interval(days => $1::int)
                        AND o.id <> ALL($3::bigint[])
                      ORDER BY o.processed_at
                      LIMIT $2
                      FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      [days, batchSize, held],
    );
    return rows.length;
  }

  /**
   * Which of these outbox ids still hold their stored event (retention has not purged them): the
   * `payloadKept` of the ledger's lineage, which outlives the payloads. One primary-key probe per id.
   */
  async existingIds(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db.query<{ id: string }>(
      `SELECT id::text FROM ingest_outbox WHERE id = ANY($1::bigint[])`,
      [[...new Set(ids)]],
    );
    return new Set(rows.map((r) => String(r.id)));
  }
}

async function notify(sql: Sql): Promise<void> {
  await sql.query(`SELECT pg_notify($1, '')`, [OUTBOX_NOTIFY_CHANNEL]);
}
