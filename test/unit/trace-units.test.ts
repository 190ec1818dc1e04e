import { describe, expect, it } from 'vitest';
import { dealDerivationRev, HUBSPOT_DEAL_DERIVATION_REV } from '../../src/connectors/hubspot/hubspot.mappers.js';
import { signedBatchRows } from '../../src/connectors/hubspot/hubspot-webhook.event.js';
import { unusableEvent } from '../../src/connectors/hubspot/hubspot-webhook.handler.js';
import { recordsForRow } from '../../src/connectors/stripe/stripe-outbox.handler.js';
import { signedWebhookRow } from '../../src/connectors/stripe/stripe.outbox-rows.js';
import { derivationRev, RULES_REV_SPAN } from '../../src/records/record.version.js';
import { decodeCursor, encodeCursor } from '../../src/revenue/revenue-trace.cursor.js';
import { readWebhookJson } from '../../src/webhooks/webhook.json.js';

describe('derivation revisions', () => {
  it('a newer code revision outranks any rules revision of an older one; rules order within a code revision', () => {
    expect(derivationRev(0)).toBe(0);
    expect(derivationRev(0, 7)).toBe(7);
    expect(derivationRev(1, 0)).toBeGreaterThan(derivationRev(0, RULES_REV_SPAN - 1));
    expect(derivationRev(3, 5)).toBeGreaterThan(derivationRev(3, 4));
    expect(derivationRev(2000, 999_999)).toBeLessThanOrEqual(2_147_483_647);
    expect(() => derivationRev(0, RULES_REV_SPAN)).toThrow(/overflows/);
    expect(() => derivationRev(2148)).toThrow(/overflows/);
    expect(() => derivationRev(-1)).toThrow();
  });

  it('HubSpot deals fold the stage classification revision under the mapper’s own', () => {
    expect(dealDerivationRev({ rev: 4 })).toBe(derivationRev(HUBSPOT_DEAL_DERIVATION_REV, 4));
    // Revision 0 of the mapper keeps the rows written before code revisions existed as they were.
    expect(HUBSPOT_DEAL_DERIVATION_REV === 0 ? dealDerivationRev({ rev: 4 }) : 4).toBe(4);
  });
});

describe('trace cursor', () => {
  it('round-trips a keyset position and refuses anything else', () => {
    const p = { occurredAt: '2026-06-15T10:00:00.123456Z', id: '9007199254740993' };
    expect(decodeCursor(encodeCursor(p))).toEqual(p);
    for (const bad of [
      '',
      'abc',
      '!!!',
      Buffer.from('2026-06-15T10:00:00Z|1').toString('base64url'),
      Buffer.from('2026-06-15T10:00:00.000000Z|0').toString('base64url'),
      Buffer.from('2026-06-15T10:00:00.000000Z|99999999999999999999').toString('base64url'),
    ])
      expect(decodeCursor(bad), bad).toBeNull();
  });
});

describe('signed means stored: rows for any verified body', () => {
  const raw = (s: string) => Buffer.from(s);
  it('Stripe: dedupe by id when usable, else by the bytes; version time only when usable', () => {
    const body = JSON.stringify({ id: 'evt_1', type: 'charge.succeeded', data: {} });
    expect(signedWebhookRow(raw(body), readWebhookJson(raw(body)))).toMatchObject({
      dedupeKey: 'evt_1',
      eventType: 'charge.succeeded',
      vendorTime: null,
    });
    const odd = signedWebhookRow(raw('[1,2]'), readWebhookJson(raw('[1,2]')));
    expect(odd).toMatchObject({ dedupeKey: expect.stringMatching(/^sha256:/), eventType: 'unknown', payload: [1, 2] });
    const notJson = signedWebhookRow(raw('nope'), readWebhookJson(raw('nope')));
    expect(notJson.payload).toEqual({ unparsedBody: { reason: expect.any(String), bytes: 4, base64: 'bm9wZQ==' } });
    expect(() => recordsForRow({ ...notJson, receivedAt: new Date() })).toThrow(/not a JSON event/);
  });

  it('HubSpot: one row per element (or one for a body that is not an array); unusable ones say why', () => {
    const body = JSON.stringify([
      { eventId: 1, subscriptionType: 'deal.creation', objectId: 2, portalId: 3, occurredAt: 1781000000000 },
      'x',
    ]);
    const rows = signedBatchRows(raw(body), readWebhookJson(raw(body)));
    expect(rows.map((r) => [r.dedupeKey.slice(0, 7), r.eventType, r.vendorTime?.getTime() ?? null])).toEqual([
      ['1', 'deal.creation', 1781000000000],
      ['sha256:', 'unknown', null],
    ]);
    expect(unusableEvent(rows[0].payload)).toBeNull();
    expect(unusableEvent(rows[1].payload)).toMatch(/must be an object/);
    expect(signedBatchRows(raw('{}'), readWebhookJson(raw('{}')))).toHaveLength(1);
  });
});
