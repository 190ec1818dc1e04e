/**
 * Normalized records produced by the pure vendor mappers and written by the records repositories.
 * Every record carries a version (vendor time + rank + tiebreak) so upserts are last-write-wins
 * and independent of delivery order: a row is replaced only by a strictly newer version tuple.
 */
export type Source = 'stripe' | 'hubspot' | 'gcal';
export const SOURCES: readonly Source[] = ['stripe', 'hubspot', 'gcal'] as const;
export const REVENUE_SOURCES = ['stripe', 'hubspot'] as const;
export type RevenueSource = (typeof REVENUE_SOURCES)[number];

/** How a ledger row affects revenue. Decided once, by the mapper; SQL only sums by it. */
export type RevenueEffect = 'gross' | 'refund' | 'none';

/** Normalized ledger status (allow-list). Unmapped raw statuses become UNKNOWN and count nowhere. */
export type PaymentStatus =
  'SUCCEEDED' | 'PENDING' | 'FAILED' | 'CANCELED' | 'UNCAPTURED' | 'OPEN' | 'LOST' | 'UNKNOWN';

export type PaymentKind = 'charge' | 'refund' | 'dispute' | 'deal';

export interface Version {
  /** Vendor version time (event created, object updated, or fetch time for polled snapshots). */
  at: Date;
  /** Tie-break for equal times: higher rank = later lifecycle state (e.g. pending 1 < succeeded 2). */
  rank: number;
  /** Last tie-break so equal (at, rank) still resolve deterministically (e.g. the event id). */
  tiebreak: string;
}

export interface PaymentRecord {
  source: RevenueSource;
  kind: PaymentKind;
  externalId: string;
  /** For refunds/disputes: the charge they belong to. */
  parentExternalId: string | null;
  /** Always non-negative integer minor units; `effect` gives the sign in revenue. */
  amountCents: bigint;
  /** ISO 4217 upper case. */
  currency: string;
  status: PaymentStatus;
  rawStatus: string;
  effect: RevenueEffect;
  /** The instant the money counts on (charge created, refund created, deal closedate). */
  occurredAt: Date;
  customerRef: string | null;
  description: string | null;
  /** Soft delete (e.g. HubSpot archived deal) with vendor time; a later-versioned update cannot resurrect it unless newer. */
  deletedAt: Date | null;
  version: Version;
}

export interface ContactRecord {
  source: 'hubspot';
  externalId: string;
  email: string | null;
  phone: string | null;
  firstName: string | null;
  lastName: string | null;
  lifecycleStage: string | null;
  deletedAt: Date | null;
  version: Version;
}

export interface CalendarEventRecord {
  calendarId: string;
  eventId: string;
  /** confirmed | tentative | cancelled */
  status: string;
  /** Null fields on a cancelled event mean "not sent": the upsert keeps the stored value. */
  summary: string | null;
  description: string | null;
  location: string | null;
  startAt: Date | null;
  endAt: Date | null;
  /** All-day events: YYYY-MM-DD. */
  startDate: string | null;
  endDate: string | null;
  timeZone: string | null;
  organizerEmail: string | null;
  recurringEventId: string | null;
  originalStartTime: string | null;
  /** Series masters only: RRULE/EXDATE lines (instances are not expanded into rows). */
  recurrence: string[] | null;
  htmlLink: string | null;
  deletedAt: Date | null;
  version: Version;
}
