import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import {
  hubspotSignatureV3,
  normalizeSignedUri,
  verifyHubspotSignatureV3,
} from '../../src/connectors/hubspot/hubspot.signature.js';
import { signHubSpotV3 } from '../../scripts/sandbox/hubspot/hubspot-webhook-sender.js';

const secret = 'hubspot-client-secret-123';
const uri = 'https://buffalo.example.com/webhooks/hubspot';
const body = '[{"eventId":1,"subscriptionType":"deal.creation","objectId":5,"portalId":1,"occurredAt":1781000000000}]';
const now = 1_781_000_000_000;
const ts = String(now - 1000);

const verify = (over: Partial<Parameters<typeof verifyHubspotSignatureV3>[0]>) =>
  verifyHubspotSignatureV3({
    clientSecret: secret,
    method: 'POST',
    uri,
    rawBody: Buffer.from(body),
    signature: signHubSpotV3(secret, 'POST', uri, body, ts),
    timestamp: ts,
    now,
    ...over,
  });

describe('HubSpot v3 signature', () => {
  it('matches an independently computed HMAC (known vector)', () => {
    const expected = createHmac('sha256', secret).update(`POST${uri}${body}${ts}`).digest('base64');
    expect(hubspotSignatureV3(secret, 'POST', uri, body, ts)).toBe(expected);
    expect(hubspotSignatureV3(secret, 'POST', uri, Buffer.from(body), ts)).toBe(expected);
    // Fixed vector so a change to the scheme cannot pass by changing both sides.
    expect(hubspotSignatureV3('secret', 'POST', 'https://a.example/webhooks/hubspot', '[]', '1700000000000')).toBe(
      createHmac('sha256', 'secret').update('POSThttps://a.example/webhooks/hubspot[]1700000000000').digest('base64'),
    );
  });

  it('accepts a valid signature', () => expect(verify({})).toBe('ok'));
  it('refuses a signature made with another secret', () =>
    expect(verify({ signature: signHubSpotV3('other-secret', 'POST', uri, body, ts) })).toBe('mismatch'));
  it('refuses a tampered body', () =>
    expect(verify({ rawBody: Buffer.from(body.replace('"objectId":5', '"objectId":6')) })).toBe('mismatch'));
  it('refuses a signature for another URI', () =>
    expect(verify({ uri: 'https://evil.example.com/webhooks/hubspot' })).toBe('mismatch'));
  it('refuses another method', () => expect(verify({ method: 'PUT' })).toBe('mismatch'));
  it('refuses a timestamp other than the signed one', () =>
    expect(verify({ timestamp: String(now - 2000) })).toBe('mismatch'));
  it('refuses a timestamp older than 5 minutes even when correctly signed', () => {
    const old = String(now - 5 * 60_000 - 1);
    expect(verify({ timestamp: old, signature: signHubSpotV3(secret, 'POST', uri, body, old) })).toBe('stale');
  });
  it('accepts a timestamp just inside 5 minutes', () => {
    const edge = String(now - 5 * 60_000 + 1000);
    expect(verify({ timestamp: edge, signature: signHubSpotV3(secret, 'POST', uri, body, edge) })).toBe('ok');
  });
  it('refuses a timestamp from the future beyond the skew', () => {
    const future = String(now + 5 * 60_000);
    expect(verify({ timestamp: future, signature: signHubSpotV3(secret, 'POST', uri, body, future) })).toBe('future');
  });
  it('refuses a non-numeric timestamp', () =>
    expect(verify({ timestamp: '2026-01-01T00:00:00Z' })).toBe('bad_timestamp'));
  it('refuses garbage signatures of any length', () => {
    expect(verify({ signature: '' })).toBe('mismatch');
    expect(verify({ signature: 'x'.repeat(500) })).toBe('mismatch');
  });

  it('decodes the escapes HubSpot decodes before signing, and only those', () => {
    expect(normalizeSignedUri('https://x.example/webhooks/hubspot?a=1%3A2%2F3%40x%20y')).toBe(
      'https://x.example/webhooks/hubspot?a=1:2/3@x%20y',
    );
  });
});
