import { describe, expect, it } from 'vitest';
import { chargeStatus, disputeStatus, refundStatus } from '../../src/connectors/stripe/stripe.status-map.js';
import {
  chargeRecord,
  disputeRecord,
  eventRecords,
  refundRecord,
  LEDGER_EVENT_TYPES,
} from '../../src/connectors/stripe/stripe.mappers.js';
import { StripePayloadError } from '../../src/connectors/stripe/stripe.payload.js';
import { recordsForRow } from '../../src/connectors/stripe/stripe-outbox.handler.js';
import { snapshotKey, snapshotRow, unmappedStatus } from '../../src/connectors/stripe/stripe.outbox-rows.js';
import { compareVersions } from '../../src/records/record.version.js';
import { CHARGE, DISPUTE, REFUND, event, withFields } from './stripe-fixtures.js';

const V = { at: new Date('2026-06-01T00:00:00Z'), tiebreak: 'evt_x' };

describe('stripe status map (allow-list)', () => {
  it('maps known charge statuses and turns an uncaptured success into UNCAPTURED', () => {
    expect(chargeStatus('succeeded', true).status).toBe('SUCCEEDED');
    expect(chargeStatus('succeeded', false).status).toBe('UNCAPTURED');
    expect(chargeStatus('pending', true).status).toBe('PENDING');
    expect(chargeStatus('failed', false).status).toBe('FAILED');
  });

  it('sends unknown raw statuses to UNKNOWN, including prototype keys', () => {
    for (const raw of ['processing', 'SUCCEEDED', '', 'constructor', '__proto__', 'toString']) {
      expect(chargeStatus(raw, true).status).toBe('UNKNOWN');
      expect(refundStatus(raw).status).toBe('UNKNOWN');
      expect(disputeStatus(raw).status).toBe('UNKNOWN');
    }
  });

  it('maps refund and dispute statuses', () => {
    expect(refundStatus('requires_action').status).toBe('PENDING');
    expect(refundStatus('canceled').status).toBe('CANCELED');
    expect(disputeStatus('needs_response').status).toBe('OPEN');
    expect(disputeStatus('lost').status).toBe('LOST');
    expect(disputeStatus('appeal_under_review').status).toBe('LOST');
    expect(disputeStatus('won').status).toBe('CANCELED');
  });

  it('ranks later lifecycle states higher so same-second versions resolve forward', () => {
    expect(chargeStatus('succeeded', true).rank).toBeGreaterThan(chargeStatus('succeeded', false).rank);
    expect(chargeStatus('succeeded', false).rank).toBeGreaterThan(chargeStatus('pending', true).rank);
    expect(refundStatus('succeeded').rank).toBeGreaterThan(refundStatus('pending').rank);
    expect(refundStatus('failed').rank).toBeGreaterThan(refundStatus('succeeded').rank);
    expect(disputeStatus('lost').rank).toBeGreaterThan(disputeStatus('under_review').rank);
  });
});

describe('stripe charge mapper', () => {
  it('a captured, succeeded charge is gross for amount_captured, currency upper-cased', () => {
    const r = chargeRecord(CHARGE, V);
    expect(r).toMatchObject({
      source: 'stripe',
      kind: 'charge',
      externalId: 'ch_3MmlLrLkdIwHu7ix0snN0B15',
      parentExternalId: null,
      amountCents: 1099n,
      currency: 'USD',
      status: 'SUCCEEDED',
      rawStatus: 'succeeded',
      effect: 'gross',
      customerRef: 'cus_NffrFeUfNV2Hib',
      description: 'Order #1001',
      deletedAt: null,
    });
    expect(r.occurredAt.toISOString()).toBe(new Date(1679090539 * 1000).toISOString());
    expect(r.version).toEqual({ at: V.at, rank: chargeStatus('succeeded', true).rank, tiebreak: 'evt_x' });
  });

  it('an uncaptured authorization is UNCAPTURED and counts nothing', () => {
    const r = chargeRecord(withFields(CHARGE, { captured: false, amount_captured: 0, balance_transaction: null }), V);
    expect(r).toMatchObject({ status: 'UNCAPTURED', rawStatus: 'succeeded', effect: 'none', amountCents: 0n });
  });

  it('a partial capture counts only the captured amount (the released rest is not a refund)', () => {
    const r = chargeRecord(withFields(CHARGE, { amount: 5000, amount_captured: 3000, amount_refunded: 2000 }), V);
    expect(r).toMatchObject({ status: 'SUCCEEDED', effect: 'gross', amountCents: 3000n });
  });

  it('a fully refunded charge stays gross; the refund is its own row', () => {
    const r = chargeRecord(withFields(CHARGE, { amount_refunded: 1099, refunded: true }), V);
    expect(r).toMatchObject({ effect: 'gross', amountCents: 1099n });
  });

  it('failed and pending charges count nothing', () => {
    const failed = chargeRecord(
      withFields(CHARGE, {
        status: 'failed',
        captured: false,
        amount_captured: 0,
        paid: false,
        failure_code: 'card_declined',
        failure_message: 'Your card was declined.',
      }),
      V,
    );
    expect(failed).toMatchObject({ status: 'FAILED', effect: 'none' });
    const pending = chargeRecord(withFields(CHARGE, { status: 'pending', paid: false }), V);
    expect(pending).toMatchObject({ status: 'PENDING', effect: 'none' });
  });

  it('an unknown status maps to UNKNOWN and counts nowhere', () => {
    const r = chargeRecord(withFields(CHARGE, { status: 'processing' }), V);
    expect(r).toMatchObject({ status: 'UNKNOWN', rawStatus: 'processing', effect: 'none' });
  });

  it('zero-decimal currencies keep their integer amount (¥1,500 is 1500, not 150000)', () => {
    const r = chargeRecord(withFields(CHARGE, { amount: 1500, amount_captured: 1500, currency: 'jpy' }), V);
    expect(r).toMatchObject({ amountCents: 1500n, currency: 'JPY', effect: 'gross' });
  });

  it('reads an expanded customer and an old API version without amount_captured', () => {
    const old = withFields(CHARGE, { customer: { id: 'cus_X', object: 'customer' } });
    delete (old as Record<string, unknown>).amount_captured;
    expect(chargeRecord(old, V)).toMatchObject({ customerRef: 'cus_X', amountCents: 1099n, effect: 'gross' });
    const oldUncaptured = withFields(old, { captured: false });
    expect(chargeRecord(oldUncaptured, V)).toMatchObject({ amountCents: 0n, status: 'UNCAPTURED' });
  });

  it('refuses malformed charges with a field-naming StripePayloadError', () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [withFields(CHARGE, { amount_captured: '1099' }), /amount_captured/],
      [withFields(CHARGE, { amount_captured: 10.5 }), /amount_captured/],
      [withFields(CHARGE, { amount_captured: -1 }), /amount_captured/],
      [withFields(CHARGE, { currency: 'dollars' }), /currency/],
      [withFields(CHARGE, { id: '' }), /id/],
      [withFields(CHARGE, { captured: 'yes' }), /captured/],
      [withFields(CHARGE, { created: null }), /created/],
      [withFields(CHARGE, { object: 'refund' }), /expected a charge/],
    ];
    for (const [payload, msg] of bad) expect(() => chargeRecord(payload, V)).toThrowError(msg);
    expect(() => chargeRecord('nope', V)).toThrow(StripePayloadError);
    expect(() => chargeRecord(null, V)).toThrow(StripePayloadError);
  });
});

describe('stripe refund and dispute mappers', () => {
  it('a succeeded refund subtracts, linked to its charge', () => {
    expect(refundRecord(REFUND, V)).toMatchObject({
      kind: 'refund',
      externalId: 're_1Nispe2eZvKYlo2Cd31jOCgZ',
      parentExternalId: 'ch_1NirD82eZvKYlo2CIvbtLWuY',
      amountCents: 1000n,
      currency: 'USD',
      status: 'SUCCEEDED',
      effect: 'refund',
    });
  });

  it('pending, failed, canceled and null-status refunds subtract nothing', () => {
    expect(refundRecord(withFields(REFUND, { status: 'pending' }), V)).toMatchObject({
      status: 'PENDING',
      effect: 'none',
    });
    expect(
      refundRecord(withFields(REFUND, { status: 'failed', failure_reason: 'expired_or_canceled_card' }), V),
    ).toMatchObject({ status: 'FAILED', effect: 'none' });
    expect(refundRecord(withFields(REFUND, { status: 'canceled' }), V)).toMatchObject({
      status: 'CANCELED',
      effect: 'none',
    });
    expect(refundRecord(withFields(REFUND, { status: null }), V)).toMatchObject({
      status: 'UNKNOWN',
      rawStatus: 'null',
      effect: 'none',
    });
  });

  it('refund pending → succeeded: the later version wins in the version order', () => {
    const pending = refundRecord(withFields(REFUND, { status: 'pending' }), {
      at: new Date(1_000_000),
      tiebreak: 'evt_b',
    });
    const succeeded = refundRecord(REFUND, { at: new Date(1_000_000), tiebreak: 'evt_a' });
    expect(compareVersions(succeeded.version, pending.version)).toBeGreaterThan(0);
  });

  it('a lost dispute subtracts its amount; open and won disputes do not', () => {
    expect(disputeRecord(withFields(DISPUTE, { status: 'lost' }), V)).toMatchObject({
      kind: 'dispute',
      externalId: 'du_1MtJUT2eZvKYlo2CNaw2HvEv',
      parentExternalId: 'ch_1AZtxr2eZvKYlo2CJDX8whov',
      status: 'LOST',
      effect: 'refund',
      amountCents: 1000n,
    });
    expect(disputeRecord(DISPUTE, V)).toMatchObject({ status: 'OPEN', effect: 'none' });
    expect(disputeRecord(withFields(DISPUTE, { status: 'won' }), V)).toMatchObject({
      status: 'CANCELED',
      effect: 'none',
    });
    expect(disputeRecord(withFields(DISPUTE, { status: 'mystery' }), V)).toMatchObject({
      status: 'UNKNOWN',
      effect: 'none',
    });
  });
});

describe('stripe event mapper', () => {
  it('maps charge, refund and dispute events with the event time and id as version', () => {
    const e = event('charge.captured', CHARGE, { id: 'evt_cap', created: 1700000000 });
    const m = eventRecords(e);
    expect(m.handled).toBe(true);
    if (!m.handled) return;
    expect(m.records).toHaveLength(1);
    expect(m.records[0].version).toEqual({
      at: new Date(1700000000 * 1000),
      rank: chargeStatus('succeeded', true).rank,
      tiebreak: 'evt_cap',
    });
    expect(eventRecords(event('charge.refund.updated', REFUND))).toMatchObject({
      handled: true,
      records: [{ kind: 'refund' }],
    });
    expect(eventRecords(event('refund.created', REFUND))).toMatchObject({
      handled: true,
      records: [{ kind: 'refund' }],
    });
    expect(eventRecords(event('charge.dispute.closed', withFields(DISPUTE, { status: 'lost' })))).toMatchObject({
      handled: true,
      records: [{ kind: 'dispute', effect: 'refund' }],
    });
  });

  it('ignores event types that do not touch money', () => {
    const m = eventRecords(event('customer.created', { id: 'cus_1', object: 'customer' }));
    expect(m).toEqual({ handled: false, reason: expect.stringContaining('customer.created') });
  });

  it('refuses an event whose object does not match its type, or that is not an event', () => {
    expect(() => eventRecords(event('charge.succeeded', REFUND))).toThrow(/must carry a charge/);
    expect(() => eventRecords({ id: 'evt_1', type: 'charge.succeeded', created: 1 })).toThrow(/event.data/);
    expect(() => eventRecords({ ...event('charge.succeeded', CHARGE), created: '2026-01-01' })).toThrow(/created/);
    expect(() => eventRecords([])).toThrow(StripePayloadError);
  });

  it('asks the Events API for at most 20 types (Stripe’s limit)', () => {
    expect(LEDGER_EVENT_TYPES.length).toBeLessThanOrEqual(20);
    expect(LEDGER_EVENT_TYPES).toContain('charge.dispute.closed');
  });
});

describe('stripe polled snapshots', () => {
  it('dedupe key changes exactly when the ledger-relevant state changes', () => {
    const base = snapshotKey(CHARGE);
    expect(snapshotKey(structuredClone(CHARGE))).toBe(base);
    expect(snapshotKey(withFields(CHARGE, { description: 'changed text' }))).toBe(base);
    for (const change of [
      { captured: false },
      { amount_captured: 500 },
      { amount_refunded: 100 },
      { disputed: true },
      { status: 'failed' },
    ]) {
      expect(snapshotKey(withFields(CHARGE, change))).not.toBe(base);
    }
    expect(snapshotKey(withFields(REFUND, { status: 'pending' }))).not.toBe(snapshotKey(REFUND));
  });

  it('a snapshot row is versioned by fetch time and maps through the handler’s pure path', () => {
    const fetchedAt = new Date('2026-07-01T12:00:00.123Z');
    const row = snapshotRow(REFUND, fetchedAt);
    expect(row).toMatchObject({
      source: 'stripe',
      kind: 'stripe.refund',
      origin: 'poll',
      vendorTime: fetchedAt,
      dedupeKey: 'refund:re_1Nispe2eZvKYlo2Cd31jOCgZ:succeeded:1000',
    });
    const m = recordsForRow({
      kind: row.kind,
      payload: row.payload,
      vendorTime: fetchedAt,
      receivedAt: new Date(),
      dedupeKey: row.dedupeKey,
    });
    expect(m).toMatchObject({
      handled: true,
      records: [{ kind: 'refund', version: { at: fetchedAt, tiebreak: row.dedupeKey } }],
    });
    expect(() =>
      recordsForRow({
        kind: 'stripe.charge',
        payload: REFUND,
        vendorTime: fetchedAt,
        receivedAt: new Date(),
        dedupeKey: 'k',
      }),
    ).toThrow(/must hold a charge/);
  });

  it('reports unmapped statuses for the run', () => {
    expect(unmappedStatus(withFields(CHARGE, { status: 'processing' }))).toBe('charge:processing');
    expect(unmappedStatus(CHARGE)).toBeNull();
  });
});

describe('charge events from older API versions (embedded refunds)', () => {
  const refunded = withFields(CHARGE, {
    amount_refunded: 1000,
    refunded: false,
    refunds: {
      object: 'list',
      has_more: false,
      data: [withFields(REFUND, { charge: CHARGE.id, status: 'succeeded' })],
    },
  });

  it('charge.refunded with refunds.data yields the charge and each refund as its own row', () => {
    const m = eventRecords(event('charge.refunded', refunded, { api_version: '2020-08-27' }));
    expect(m.handled).toBe(true);
    const rows = m.handled ? m.records : [];
    expect(rows.map((r) => [r.kind, r.externalId, r.effect, r.amountCents])).toEqual([
      ['charge', CHARGE.id, 'gross', 1099n],
      ['refund', REFUND.id, 'refund', 1000n],
    ]);
    expect(rows[1].parentExternalId).toBe(CHARGE.id);
  });

  it('a modern charge.refunded (no embedded list) yields only the charge, never a guess from amount_refunded', () => {
    const modern = withFields(CHARGE, { amount_refunded: 1000 });
    const m = eventRecords(event('charge.refunded', modern));
    expect(m.handled && m.records.map((r) => r.kind)).toEqual(['charge']);
  });
});
