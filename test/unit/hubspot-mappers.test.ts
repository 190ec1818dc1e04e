import { describe, expect, it } from 'vitest';
import { mapDealStage } from '../../src/connectors/hubspot/deal-stage.map.js';
import {
  HubspotInvalidPayload,
  classifyHubspotError,
  parseRetryAfter,
} from '../../src/connectors/hubspot/hubspot.errors.js';
import { mapContact, mapDeal, snapshotInsert, toHubspotObject } from '../../src/connectors/hubspot/hubspot.mappers.js';
import { planEvent } from '../../src/connectors/hubspot/hubspot-webhook.handler.js';
import { validateWebhookBatch } from '../../src/connectors/hubspot/hubspot-webhook.event.js';

/** A deal exactly as GET /crm/v3/objects/deals returns it. */
const wireDeal = (props: Record<string, string | null> = {}, extra: Record<string, unknown> = {}) =>
  toHubspotObject({
    id: '9000000123',
    properties: {
      amount: '1234.565',
      closedate: '2026-06-15T13:45:00.000Z',
      createdate: '2026-06-01T09:00:00.000Z',
      dealname: 'Acme renewal',
      dealstage: 'closedwon',
      deal_currency_code: 'EUR',
      hs_lastmodifieddate: '2026-06-16T08:00:00.123Z',
      hs_object_id: '9000000123',
      pipeline: 'default',
      ...props,
    },
    createdAt: '2026-06-01T09:00:00.000Z',
    updatedAt: '2026-06-16T08:00:00.123Z',
    archived: false,
    ...extra,
  });

describe('deal stage map (allow-list)', () => {
  it.each([
    ['closedwon', 'SUCCEEDED', 'gross'],
    ['closedlost', 'LOST', 'none'],
    ['appointmentscheduled', 'OPEN', 'none'],
    ['qualifiedtobuy', 'OPEN', 'none'],
    ['presentationscheduled', 'OPEN', 'none'],
    ['decisionmakerboughtin', 'OPEN', 'none'],
    ['contractsent', 'OPEN', 'none'],
    ['98765432', 'UNKNOWN', 'none'],
    ['ClosedWon', 'UNKNOWN', 'none'],
    ['toString', 'UNKNOWN', 'none'],
    ['', 'UNKNOWN', 'none'],
  ])('%j → %s / %s', (stage, status, effect) => {
    expect(mapDealStage(stage)).toEqual({ status, effect });
  });
  it('missing stage is UNKNOWN', () => {
    expect(mapDealStage(null).status).toBe('UNKNOWN');
    expect(mapDealStage(undefined).status).toBe('UNKNOWN');
  });
});

describe('mapDeal', () => {
  it('maps a won deal to a gross ledger row on its closedate, amount exact', () => {
    const r = mapDeal(wireDeal(), 'USD');
    expect(r).toMatchObject({
      source: 'hubspot',
      kind: 'deal',
      externalId: '9000000123',
      amountCents: 123457n,
      currency: 'EUR',
      status: 'SUCCEEDED',
      rawStatus: 'closedwon',
      effect: 'gross',
      description: 'Acme renewal',
      deletedAt: null,
    });
    expect(r.occurredAt.toISOString()).toBe('2026-06-15T13:45:00.000Z');
    expect(r.version).toEqual({ at: new Date('2026-06-16T08:00:00.123Z'), rank: 0, tiebreak: '' });
  });

  it('falls back to the portal currency and uses its exponent', () => {
    expect(mapDeal(wireDeal({ deal_currency_code: null, amount: '1500.5' }), 'JPY')).toMatchObject({
      currency: 'JPY',
      amountCents: 1501n,
    });
    expect(mapDeal(wireDeal({ deal_currency_code: '', amount: '10' }), 'GBP')).toMatchObject({
      currency: 'GBP',
      amountCents: 1000n,
    });
    expect(mapDeal(wireDeal({ deal_currency_code: 'usd', amount: '10' }), 'GBP').currency).toBe('USD');
  });

  it.each([['abc'], [''], [null], ['-5'], ['1,000']])('a won deal with amount %j is invalid_payload', (amount) => {
    expect(() => mapDeal(wireDeal({ amount }), 'USD')).toThrow(HubspotInvalidPayload);
  });

  it('a won deal without closedate or with a bogus currency is invalid_payload', () => {
    expect(() => mapDeal(wireDeal({ closedate: null }), 'USD')).toThrow(/closedate/);
    expect(() => mapDeal(wireDeal({ deal_currency_code: 'dollars' }), 'USD')).toThrow(/ISO 4217/);
  });

  it('deals that do not count tolerate bad amounts (stored as 0, never summed)', () => {
    expect(mapDeal(wireDeal({ dealstage: 'closedlost', amount: 'abc' }), 'USD')).toMatchObject({
      status: 'LOST',
      effect: 'none',
      amountCents: 0n,
    });
    expect(mapDeal(wireDeal({ dealstage: '98765432', amount: '' }), 'USD')).toMatchObject({
      status: 'UNKNOWN',
      effect: 'none',
      rawStatus: '98765432',
    });
    expect(mapDeal(wireDeal({ dealstage: 'contractsent', closedate: null }), 'USD').occurredAt.toISOString()).toBe(
      '2026-06-01T09:00:00.000Z',
    );
  });

  it('an archived deal is a deletion versioned after its last live state, whatever its amount', () => {
    const r = mapDeal(wireDeal({ amount: 'abc' }, { archived: true, archivedAt: '2026-07-01T00:00:00.000Z' }), 'USD');
    expect(r.deletedAt?.toISOString()).toBe('2026-07-01T00:00:00.000Z');
    expect(r.version).toEqual({ at: new Date('2026-07-01T00:00:00.000Z'), rank: 1, tiebreak: '' });
  });

  it('accepts epoch-millisecond datetimes and refuses a deal without any version time', () => {
    const r = mapDeal(wireDeal({ closedate: '1781000000000' }), 'USD');
    expect(r.occurredAt.getTime()).toBe(1781000000000);
    expect(() =>
      mapDeal(toHubspotObject({ id: '1', properties: { dealstage: 'closedwon', amount: '1' } }), 'USD'),
    ).toThrow(/hs_lastmodifieddate/);
  });
});

describe('mapContact', () => {
  it('maps the CRM contact fields, blanks to null, version from lastmodifieddate', () => {
    const c = mapContact(
      toHubspotObject({
        id: '501',
        properties: {
          email: 'Ada@Example.com ',
          phone: '',
          firstname: 'Ada',
          lastname: 'Lovelace',
          lifecyclestage: 'customer',
          lastmodifieddate: '2026-05-05T05:05:05.005Z',
          hs_object_id: '501',
        },
        createdAt: new Date('2026-01-01T00:00:00Z'),
        updatedAt: new Date('2026-05-05T05:05:05.005Z'),
        archived: false,
      }),
    );
    expect(c).toEqual({
      source: 'hubspot',
      externalId: '501',
      email: 'ada@example.com',
      phone: null,
      firstName: 'Ada',
      lastName: 'Lovelace',
      lifecycleStage: 'customer',
      deletedAt: null,
      version: { at: new Date('2026-05-05T05:05:05.005Z'), rank: 0, tiebreak: '' },
    });
  });
});

describe('snapshot dedupe keys', () => {
  it('are entity + id + vendor version, with archived snapshots distinct', () => {
    expect(snapshotInsert('deals', wireDeal(), 'poll').dedupeKey).toBe('deal:9000000123:2026-06-16T08:00:00.123Z');
    const archived = snapshotInsert(
      'deals',
      wireDeal({}, { archived: true, archivedAt: '2026-07-01T00:00:00Z' }),
      'poll',
    );
    expect(archived.dedupeKey).toBe('deal:9000000123:2026-06-16T08:00:00.123Z:archived:2026-07-01T00:00:00.000Z');
    expect(archived).toMatchObject({
      source: 'hubspot',
      kind: 'hubspot.deal',
      eventType: 'deal.snapshot',
      origin: 'poll',
    });
  });
});

describe('error classes', () => {
  const apiError = (code: number, headers: Record<string, string> = {}) =>
    Object.assign(new Error('x'), { code, body: { status: 'error', message: 'nope' }, headers });
  it('401/403 are auth (never a stale cursor), 429/5xx transient, other 4xx permanent', () => {
    expect(classifyHubspotError(apiError(401)).errorClass).toBe('auth');
    expect(classifyHubspotError(apiError(403)).errorClass).toBe('auth');
    expect(classifyHubspotError(apiError(429, { 'retry-after': '3' }))).toMatchObject({
      errorClass: 'transient',
      retryAfterMs: 3000,
    });
    expect(classifyHubspotError(apiError(429)).retryAfterMs).toBeUndefined();
    expect(classifyHubspotError(apiError(502)).errorClass).toBe('transient');
    expect(classifyHubspotError(apiError(400)).errorClass).toBe('permanent');
    expect(classifyHubspotError(new TypeError('fetch failed')).errorClass).toBe('transient');
  });
  it('a 400 past the 10,000th search result is the search cap, not a failure of the data', () => {
    expect(classifyHubspotError(apiError(400), { searchAfter: 10_000 }).errorClass).toBe('search_cap');
    expect(classifyHubspotError(apiError(400), { searchAfter: 9_800 }).errorClass).toBe('permanent');
  });
  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('webhook events', () => {
  const ev = (e: Record<string, unknown>) => ({
    eventId: 1,
    portalId: 62515,
    occurredAt: 1781000000000,
    objectId: 77,
    subscriptionType: 'deal.propertyChange',
    ...e,
  });
  it('plans fetches, erasures and ignores from the subscription type', () => {
    expect(planEvent(ev({}))).toMatchObject({ action: 'fetch', objectId: '77', deletion: false });
    expect(planEvent(ev({ subscriptionType: 'deal.deletion' }))).toMatchObject({ action: 'fetch', deletion: true });
    expect(planEvent(ev({ subscriptionType: 'contact.creation' }))).toMatchObject({ action: 'fetch' });
    expect(planEvent(ev({ subscriptionType: 'contact.privacyDeletion' }))).toMatchObject({ action: 'erase' });
    expect(planEvent(ev({ subscriptionType: 'company.creation' }))).toMatchObject({ action: 'ignore' });
    expect(planEvent(ev({ subscriptionType: 'deal.associationChange' }))).toMatchObject({ action: 'ignore' });
    expect(planEvent(ev({ subscriptionType: 'ticket' }))).toMatchObject({ action: 'ignore' });
    expect(planEvent(null)).toMatchObject({ action: 'ignore' });
  });
  it('validates the batch shape', () => {
    expect(validateWebhookBatch([ev({})]).issues).toEqual([]);
    expect(validateWebhookBatch({}).issues[0].message).toMatch(/array/);
    expect(validateWebhookBatch([]).issues[0].message).toMatch(/1 to 100/);
    expect(validateWebhookBatch(Array.from({ length: 101 }, (_, i) => ev({ eventId: i }))).issues[0].message).toMatch(
      /1 to 100/,
    );
    expect(validateWebhookBatch([ev({ eventId: 'x' }), 7]).issues.map((i) => i.field)).toEqual(['[0].eventId', '[1]']);
    expect(validateWebhookBatch([ev({ occurredAt: '2026' })]).issues.map((i) => i.field)).toEqual(['[0].occurredAt']);
  });
});
