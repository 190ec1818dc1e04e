import { describe, expect, it } from 'vitest';
import { CHARGE, DISPUTE, event, REFUND, withFields } from './stripe-fixtures.js';
import { pushedCalendarOf, sightingsOf } from '../../src/reconciler/sightings.extract.js';
import { decodeCursor, encodeCursor, ReconciliationQuery } from '../../src/reconciler/reconciliation.schemas.js';
import { dayCount, daysBetween } from '../../src/reconciler/reconciliation.service.js';
import { parseJobArgs } from '../../src/runs/job.cli.js';
import { ConfigError, loadConfig } from '../../src/config/app.config.js';
import { toHubspotObject } from '../../src/connectors/hubspot/hubspot.mappers.js';

describe('sightings: which objects a payload shows', () => {
  it('Stripe events show their data.object, and a charge its embedded refunds', () => {
    expect(sightingsOf('stripe.event', event('charge.succeeded', CHARGE))).toEqual([
      {
        source: 'stripe',
        objectType: 'charge',
        externalId: CHARGE.id,
        scope: null,
        createdAt: new Date(CHARGE.created * 1000),
        createdExact: true,
      },
    ]);
    const old = withFields(CHARGE, { refunds: { object: 'list', data: [REFUND] } });
    expect(sightingsOf('stripe.event', event('charge.refunded', old)).map((s) => s.externalId)).toEqual([
      CHARGE.id,
      REFUND.id,
    ]);
    expect(sightingsOf('stripe.event', event('charge.dispute.created', DISPUTE))[0]).toMatchObject({
      objectType: 'dispute',
      externalId: DISPUTE.id,
    });
    // Objects the ledger does not keep, and unreadable payloads, show nothing (the mapper reports them).
    expect(sightingsOf('stripe.event', event('customer.created', { id: 'cus_1', object: 'customer' }))).toEqual([]);
    expect(sightingsOf('stripe.event', { id: 'evt_1' })).toEqual([]);
    expect(sightingsOf('stripe.charge', null)).toEqual([]);
    expect(sightingsOf('stripe.refund', REFUND)[0]).toMatchObject({ objectType: 'refund', createdExact: true });
    expect(sightingsOf('stripe.charge', withFields(CHARGE, { created: 'soon' }))[0]).toMatchObject({
      createdAt: null,
      createdExact: false,
    });
    // Times outside 1970–9999 (outside Postgres's range, below) would fail every batch that records them.
    for (const created of [-9e12, -1, 253402300800])
      expect(sightingsOf('stripe.charge', withFields(CHARGE, { created }))[0], String(created)).toMatchObject({
        createdAt: null,
        createdExact: false,
      });
  });

  it('HubSpot snapshots bring createdate; webhooks only the id (a creation event stands in for the time)', () => {
    const sdkShape = toHubspotObject({
      id: '512',
      properties: { createdate: '2026-06-15T10:00:00.000Z', hs_lastmodifieddate: '2026-06-16T08:00:00.000Z' },
      createdAt: new Date('2026-06-15T10:00:00.000Z'),
      updatedAt: new Date('2026-06-16T08:00:00.000Z'),
      archived: false,
    });
    expect(sightingsOf('hubspot.deal', sdkShape)).toEqual([
      {
        source: 'hubspot',
        objectType: 'deal',
        externalId: '512',
        scope: null,
        createdAt: new Date('2026-06-15T10:00:00.000Z'),
        createdExact: true,
      },
    ]);
    expect(
      sightingsOf('hubspot.contact', { id: '7', properties: { createdate: '1781517600000' } })[0].createdAt,
    ).toEqual(new Date(1781517600000));
    const webhook = {
      eventId: 1,
      subscriptionId: 2,
      portalId: 62515,
      appId: 3,
      occurredAt: 1781517600000,
      subscriptionType: 'deal.creation',
      attemptNumber: 0,
      objectId: 512,
      changeFlag: 'CREATED',
      changeSource: 'CRM',
    };
    expect(sightingsOf('hubspot.webhook', webhook)).toEqual([
      {
        source: 'hubspot',
        objectType: 'deal',
        externalId: '512',
        scope: null,
        createdAt: new Date(1781517600000),
        createdExact: false,
      },
    ]);
    expect(sightingsOf('hubspot.webhook', { ...webhook, subscriptionType: 'contact.propertyChange' })[0]).toMatchObject(
      { objectType: 'contact', createdAt: null },
    );
    expect(sightingsOf('hubspot.webhook', { ...webhook, subscriptionType: 'company.creation' })).toEqual([]);
    expect(sightingsOf('hubspot.webhook', { ...webhook, objectId: 'x' })).toEqual([]);
  });

  it('Google Calendar events are keyed by calendar; only an `exists` push marks a calendar', () => {
    const p = { calendarId: 'team@x', event: { id: 'abc', status: 'confirmed', created: '2026-06-15T10:00:00.000Z' } };
    expect(sightingsOf('gcal.event', p)).toEqual([
      {
        source: 'gcal',
        objectType: 'event',
        externalId: 'team@x/abc',
        scope: 'team@x',
        createdAt: new Date('2026-06-15T10:00:00.000Z'),
        createdExact: true,
      },
    ]);
    expect(
      sightingsOf('gcal.event', { calendarId: 'team@x', event: { id: 'abc', status: 'cancelled' } })[0],
    ).toMatchObject({ createdAt: null, createdExact: false });
    const push = { channelId: 'c', calendarId: 'team@x', resourceState: 'exists', messageNumber: '3' };
    expect(pushedCalendarOf('gcal.notification', push)).toBe('team@x');
    expect(pushedCalendarOf('gcal.notification', { ...push, resourceState: 'sync' })).toBeNull();
    expect(pushedCalendarOf('gcal.event', push)).toBeNull();
    expect(sightingsOf('gcal.notification', push)).toEqual([]);
  });
});

describe('reconciliation query', () => {
  it('cursors round-trip and tampered ones are refused', () => {
    const k = ['2026-06-15 10:00:00.123456+00', 'charge', 'ch_1'] as const;
    expect(decodeCursor(encodeCursor(k))).toEqual(k);
    expect(decodeCursor('abc')).toBeNull();
    expect(decodeCursor('!!')).toBeNull();
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    expect(decodeCursor(enc(['2026-02-30 10:00:00+00', 'charge', 'ch_1']))).toBeNull();
    expect(decodeCursor(enc(['2026-06-15 25:00:00+00', 'charge', 'ch_1']))).toBeNull();
    expect(decodeCursor(enc(['2026-06-15 10:00:00+00', 'charge']))).toBeNull();
    expect(decodeCursor(enc({ a: 1 }))).toBeNull();
    // Well-formed to a regex but refused by Postgres (a 500 if it got there): offsets past ±15 h,
    // unknown object types, control characters in the id.
    expect(decodeCursor(enc(['2026-06-15 10:00:00+99', 'charge', 'ch_1']))).toBeNull();
    expect(decodeCursor(enc(['2026-06-15 10:00:00+16', 'charge', 'ch_1']))).toBeNull();
    expect(decodeCursor(enc(['2026-06-15 10:00:00-15:30', 'charge', 'ch_1']))).not.toBeNull();
    expect(decodeCursor(enc(['2026-06-15 10:00:00+00', 'invoice', 'in_1']))).toBeNull();
    expect(decodeCursor(enc(['2026-06-15 10:00:00+00', 'charge', 'ch_\u0000']))).toBeNull();
  });

  it('parses defaults and refuses bad fields', () => {
    expect(ReconciliationQuery.parse({ source: 'gcal' })).toEqual({
      source: 'gcal',
      startDate: null,
      endDate: null,
      tz: 'UTC',
      limit: 100,
      cursor: null,
    });
    const bad = ReconciliationQuery.safeParse({ source: 'x', limit: '1001', cursor: 'y', endDate: '2026-13-01' });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path[0]).sort()).toEqual(['cursor', 'endDate', 'limit', 'source']);
  });

  it('days are dense and inclusive', () => {
    expect(daysBetween('2026-02-27', '2026-03-02')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
    expect(daysBetween('2026-06-15', '2026-06-15')).toEqual(['2026-06-15']);
    // The last day there is: stepping past it used to yield "+010000-01-01", which sorts below it (an endless loop).
    expect(daysBetween('9999-12-30', '9999-12-31')).toEqual(['9999-12-30', '9999-12-31']);
    expect(daysBetween('2026-06-16', '2026-06-15')).toEqual([]);
    expect(dayCount('1970-01-01', '9999-12-31')).toBe(2_932_897);
  });
});

describe('configuration and the job command', () => {
  it('RECONCILE_GRACE_S and HUBSPOT_DELETION_SWEEP_S are validated at boot', () => {
    const env = { NODE_ENV: 'test' };
    expect(loadConfig(env).reconcile.graceS).toBe(300);
    expect(loadConfig(env).hubspot.deletionSweepS).toBe(86_400);
    expect(loadConfig({ ...env, RECONCILE_GRACE_S: '0' }).reconcile.graceS).toBe(0);
    expect(() => loadConfig({ ...env, RECONCILE_GRACE_S: 'soon' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, RECONCILE_GRACE_S: '-1' })).toThrow(/RECONCILE_GRACE_S/);
    expect(loadConfig({ ...env, HUBSPOT_DELETION_SWEEP_S: '0' }).hubspot.deletionSweepS).toBe(0);
    expect(() => loadConfig({ ...env, HUBSPOT_DELETION_SWEEP_S: '1.5' })).toThrow(/HUBSPOT_DELETION_SWEEP_S/);
  });

  it('npm run job -- reconcile takes no argument', () => {
    expect(parseJobArgs(['reconcile'])).toEqual({ command: 'reconcile' });
    expect(parseJobArgs(['reconcile', 'now'])).toEqual({ error: 'Unexpected argument "now".' });
  });
});
