import { describe, expect, it } from 'vitest';
import { parseHubspotTime } from '../../src/connectors/hubspot/hubspot.mappers.js';
import { seconds, StripePayloadError } from '../../src/connectors/stripe/stripe.payload.js';

/** Vendor timestamps that no timestamptz can hold are payload errors or absent values, never an Invalid Date. */
describe('vendor times past year 9999', () => {
  it('HubSpot: epoch milliseconds past the Date range or year 9999 read as absent', () => {
    expect(parseHubspotTime(1e20)).toBeNull();
    expect(parseHubspotTime('9999999999999999')).toBeNull();
    expect(parseHubspotTime(253_402_300_800_000)).toBeNull();
    expect(parseHubspotTime(253_402_300_799_999)?.toISOString()).toBe('9999-12-31T23:59:59.999Z');
    expect(parseHubspotTime('1781000000000')?.toISOString()).toBe('2026-06-09T10:13:20.000Z');
  });

  it('Stripe: seconds past year 9999 are a StripePayloadError (dead-lettered), the last second is fine', () => {
    expect(() => seconds(Number.MAX_SAFE_INTEGER)).toThrow(StripePayloadError);
    expect(() => seconds(253_402_300_800)).toThrow(StripePayloadError);
    expect(seconds(253_402_300_799).toISOString()).toBe('9999-12-31T23:59:59.000Z');
  });
});
