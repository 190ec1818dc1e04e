import { SOURCES, type Source } from '../records/record.types.js';

export type OutboxStatus = 'queued' | 'running' | 'done' | 'error' | 'dead' | 'ignored';
/** `internal`: work Buffalo gives itself (alert deliveries), not a vendor event. */
export const OUTBOX_ORIGINS = ['webhook', 'poll', 'replay', 'internal'] as const;
export type OutboxOrigin = (typeof OUTBOX_ORIGINS)[number];
/** Who produced a row: a vendor, or Buffalo itself (`buffalo`: alert deliveries). */
export const OUTBOX_SOURCES = [...SOURCES, 'buffalo'] as const;
export type OutboxSource = Source | 'buffalo';

/**
 * Reason classes for failures. `transient` and `auth` are retried with backoff (a fixed key heals
 * `auth`); `invalid_payload` and `unsupported` park the row as `dead` at once (a schema error does
 * not deserve five fast retries); the worker sets `retries_exhausted` after WORKER_MAX_ATTEMPTS.
 */
export type FailureClass = 'transient' | 'invalid_payload' | 'unsupported' | 'auth' | 'retries_exhausted';

/**
 * Kinds of raw payload. One handler per kind.
 *  stripe.event     a Stripe Event object (webhook, or events API)
 *  stripe.charge    a polled Charge snapshot
 *  stripe.refund    a polled Refund snapshot
 *  stripe.dispute   a polled Dispute snapshot (full resync after a stale Events cursor)
 *  hubspot.deal / hubspot.contact  a polled CRM object (properties + archived flag)
 *  hubspot.webhook  one event of a HubSpot webhook batch
 *  gcal.event       a polled Calendar Event resource ({calendarId, event, fetchedAt})
 *  gcal.notification  one Google push notification (channel, calendar, resource state, message number)
 *  alert.delivery   one alert state change to POST to ALERT_WEBHOOK_URL (source buffalo, origin internal)
 */
export type OutboxKind =
  | 'stripe.event'
  | 'stripe.charge'
  | 'stripe.refund'
  | 'stripe.dispute'
  | 'hubspot.deal'
  | 'hubspot.contact'
  | 'hubspot.webhook'
  | 'gcal.event'
  | 'gcal.notification'
  | 'alert.delivery';

export interface OutboxInsert {
  source: OutboxSource;
  kind: OutboxKind;
  /**
   * Unique per source. Webhooks: the vendor event id. Polled snapshots: entity + external id +
   * vendor version, so a re-poll of an unchanged object is a duplicate and a changed one is new.
   */
  dedupeKey: string;
  origin: OutboxOrigin;
  eventType: string;
  payload: unknown;
  /** Vendor version time of the payload (event created / object updated), when known. */
  vendorTime: Date | null;
  runId?: string | null;
}

export interface OutboxRow {
  id: string;
  source: OutboxSource;
  kind: OutboxKind;
  dedupeKey: string;
  origin: OutboxOrigin;
  eventType: string;
  payload: unknown;
  attempts: number;
  receivedAt: Date;
  vendorTime: Date | null;
}

/** What a handler decided for one outbox row. */
export type RowOutcome =
  | { status: 'done' }
  | { status: 'ignored'; reason: string }
  | {
      status: 'failed';
      failureClass: FailureClass;
      error: string;
      retryAfterMs?: number;
      /**
       * Keep retrying with backoff past WORKER_MAX_ATTEMPTS: for deliveries to a receiver that is
       * down, where giving up would lose the message (the backoff's last step, an hour, repeats).
       */
      retryUntilDone?: boolean;
    };
