import { describe, expect, it } from 'vitest';
import { GcalPayloadError, gcalEventDedupeKey, mapGcalEvent } from '../../src/connectors/gcal/gcal-event.mapper.js';
import { classifyGcalError, retryAfterMs } from '../../src/connectors/gcal/gcal.errors.js';
import { GOOGLE_TOKEN_URL, parseServiceAccount } from '../../src/connectors/gcal/gcal.credentials.js';
import { renewalEveryMs, renewalWindowMs } from '../../src/connectors/gcal/gcal-channel.renewal.js';
import { channelTokenMatches, notificationInsert } from '../../src/connectors/gcal/gcal.notification.js';
import { parseGcalCursor } from '../../src/connectors/gcal/gcal-sync.driver.js';
import { calendarOfEntity } from '../../src/connectors/gcal/gcal.connection.js';
import { ConfigError, loadConfig } from '../../src/config/app.config.js';
import { generateServiceAccount } from '../../scripts/sandbox/gcal/service-account.js';

const CAL = 'team@example.com';
const received = new Date('2026-03-10T00:00:00Z');

/** Payloads as Calendar v3 returns them (singleEvents=false, showDeleted=true). */
const timed = {
  kind: 'calendar#event',
  etag: '"3437829418374000"',
  id: '1ui91amo8re5kg6r24v6fgjfl5',
  status: 'confirmed',
  htmlLink: 'https://www.google.com/calendar/event?eid=MXVp',
  created: '2026-02-01T08:15:59.706Z',
  updated: '2026-02-02T09:00:00.000Z',
  summary: 'Pipeline review',
  location: 'Zoom',
  creator: { email: CAL },
  organizer: { email: CAL, self: true },
  start: { dateTime: '2026-05-12T14:45:00+05:30', timeZone: 'Asia/Kolkata' },
  end: { dateTime: '2026-05-12T15:45:00+05:30', timeZone: 'Asia/Kolkata' },
  iCalUID: '1ui91amo8re5kg6r24v6fgjfl5@google.com',
  sequence: 0,
  reminders: { useDefault: true },
  eventType: 'default',
};
const allDayMaster = {
  ...timed,
  id: 'dailyseries01',
  summary: 'Month-end close',
  start: { date: '2026-04-01' },
  end: { date: '2026-04-02' },
  recurrence: ['RRULE:FREQ=DAILY;COUNT=5'],
};
const movedOccurrence = {
  ...timed,
  id: 'weekly01_20260316T100000Z',
  summary: 'Weekly revenue sync (moved)',
  start: { dateTime: '2026-03-16T11:00:00Z', timeZone: 'UTC' },
  end: { dateTime: '2026-03-16T12:00:00Z', timeZone: 'UTC' },
  recurringEventId: 'weekly01',
  originalStartTime: { dateTime: '2026-03-16T10:00:00Z', timeZone: 'UTC' },
};
const cancelledOccurrence = {
  kind: 'calendar#event',
  etag: '"3437829418999000"',
  id: 'weekly01_20260330T100000Z',
  status: 'cancelled',
  recurringEventId: 'weekly01',
  originalStartTime: { dateTime: '2026-03-30T10:00:00Z', timeZone: 'UTC' },
};
const deleted = {
  kind: 'calendar#event',
  etag: '"3437829419000000"',
  id: '1ui91amo8re5kg6r24v6fgjfl5',
  status: 'cancelled',
};

describe('mapGcalEvent', () => {
  it('maps a timed event: instants, zone, organizer, version = updated', () => {
    const r = mapGcalEvent({ calendarId: CAL, event: timed, fetchedAt: '2026-03-01T00:00:00Z' }, received);
    expect(r).toMatchObject({
      calendarId: CAL,
      eventId: timed.id,
      status: 'confirmed',
      summary: 'Pipeline review',
      description: null,
      location: 'Zoom',
      startDate: null,
      endDate: null,
      timeZone: 'Asia/Kolkata',
      organizerEmail: CAL,
      recurringEventId: null,
      recurrence: null,
      deletedAt: null,
      version: { rank: 0, tiebreak: timed.etag },
    });
    expect(r.startAt!.toISOString()).toBe('2026-05-12T09:15:00.000Z');
    expect(r.endAt!.toISOString()).toBe('2026-05-12T10:15:00.000Z');
    expect(r.version.at.toISOString()).toBe('2026-02-02T09:00:00.000Z');
  });

  it('maps an all-day series master with its rule, and a moved occurrence with its series and original start', () => {
    const m = mapGcalEvent({ calendarId: CAL, event: allDayMaster }, received);
    expect(m).toMatchObject({
      startAt: null,
      startDate: '2026-04-01',
      endDate: '2026-04-02',
      recurrence: ['RRULE:FREQ=DAILY;COUNT=5'],
    });
    const o = mapGcalEvent({ calendarId: CAL, event: movedOccurrence }, received);
    expect(o).toMatchObject({
      recurringEventId: 'weekly01',
      originalStartTime: '2026-03-16T10:00:00Z',
      recurrence: null,
    });
    expect(o.startAt!.toISOString()).toBe('2026-03-16T11:00:00.000Z');
  });

  it('a deletion maps missing fields to null (unknown, not empty) and is versioned by its fetch time', () => {
    const r = mapGcalEvent({ calendarId: CAL, event: deleted, fetchedAt: '2026-03-05T12:00:00.000Z' }, received);
    expect(r).toMatchObject({
      status: 'cancelled',
      summary: null,
      startAt: null,
      startDate: null,
      endAt: null,
      organizerEmail: null,
      htmlLink: null,
    });
    expect(r.deletedAt!.toISOString()).toBe('2026-03-05T12:00:00.000Z');
    expect(r.version).toEqual({ at: new Date('2026-03-05T12:00:00.000Z'), rank: 1, tiebreak: deleted.etag });
    // Without fetchedAt the row's receipt time stands in.
    expect(mapGcalEvent({ calendarId: CAL, event: deleted }, received).version.at).toEqual(received);
    const occ = mapGcalEvent(
      { calendarId: CAL, event: cancelledOccurrence, fetchedAt: '2026-03-05T12:00:00Z' },
      received,
    );
    expect(occ).toMatchObject({
      status: 'cancelled',
      recurringEventId: 'weekly01',
      originalStartTime: '2026-03-30T10:00:00Z',
      summary: null,
    });
  });

  it('a deletion with `updated` outranks a live version of the same instant', () => {
    const del = mapGcalEvent({ calendarId: CAL, event: { ...deleted, updated: timed.updated } }, received);
    const live = mapGcalEvent({ calendarId: CAL, event: timed }, received);
    expect(del.version.at).toEqual(live.version.at);
    expect(del.version.rank).toBeGreaterThan(live.version.rank);
  });

  it.each([
    ['not an object', null],
    ['no calendar', { event: timed }],
    ['no event', { calendarId: CAL }],
    ['no id', { calendarId: CAL, event: { ...timed, id: '' } }],
    ['unknown status', { calendarId: CAL, event: { ...timed, status: 'deleted' } }],
    ['live event without start', { calendarId: CAL, event: { ...timed, start: undefined } }],
    ['dateTime without offset', { calendarId: CAL, event: { ...timed, start: { dateTime: '2026-05-12T14:45:00' } } }],
    ['impossible date', { calendarId: CAL, event: { ...allDayMaster, start: { date: '2026-02-30x' } } }],
    ['bad updated', { calendarId: CAL, event: { ...timed, updated: 'yesterday' } }],
    ['summary not a string', { calendarId: CAL, event: { ...timed, summary: 42 } }],
    ['recurrence not strings', { calendarId: CAL, event: { ...allDayMaster, recurrence: [1] } }],
  ])('refuses %s with GcalPayloadError', (_name, payload) => {
    expect(() => mapGcalEvent(payload, received)).toThrow(GcalPayloadError);
  });

  it('dedupe keys: same version is the same key; a change or a deletion without `updated` is new', () => {
    expect(gcalEventDedupeKey(CAL, timed)).toBe(`${CAL}:${timed.id}:${timed.updated}:confirmed`);
    expect(gcalEventDedupeKey(CAL, { ...timed })).toBe(gcalEventDedupeKey(CAL, timed));
    expect(gcalEventDedupeKey(CAL, { ...timed, updated: '2026-02-03T00:00:00Z' })).not.toBe(
      gcalEventDedupeKey(CAL, timed),
    );
    expect(gcalEventDedupeKey(CAL, deleted)).toBe(`${CAL}:${deleted.id}:etag:${deleted.etag}:cancelled`);
  });
});

/** A GaxiosError-like value as the client surfaces it. */
const httpError = (status: number, data: unknown, headers: Record<string, string> = {}) => ({
  message: `HTTP ${status}`,
  status,
  response: { status, data, headers: new Headers(headers) },
});
const apiError = (code: number, reason: string) => ({
  error: { code, message: reason, errors: [{ domain: 'global', reason, message: reason }] },
});

describe('classifyGcalError', () => {
  it('410 fullSyncRequired is a stale cursor', () => {
    expect(classifyGcalError(httpError(410, apiError(410, 'fullSyncRequired'))).errorClass).toBe('stale_cursor');
  });
  it('401, permission 403 and refused grants are auth (never a stale cursor)', () => {
    expect(classifyGcalError(httpError(401, apiError(401, 'authError'))).errorClass).toBe('auth');
    expect(classifyGcalError(httpError(403, apiError(403, 'forbidden'))).errorClass).toBe('auth');
    expect(
      classifyGcalError(httpError(400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }))
        .errorClass,
    ).toBe('auth');
    expect(classifyGcalError(new Error('error:1E08010C:DECODER routines::unsupported')).errorClass).toBe('auth');
  });
  it('403 usage limits, 429, 5xx and network failures are transient, with Retry-After', () => {
    const throttled = classifyGcalError(httpError(403, apiError(403, 'userRateLimitExceeded'), { 'retry-after': '7' }));
    expect([throttled.errorClass, throttled.retryAfterMs]).toEqual(['transient', 7000]);
    expect(classifyGcalError(httpError(429, apiError(429, 'rateLimitExceeded'))).errorClass).toBe('transient');
    expect(classifyGcalError(httpError(503, apiError(503, 'backendError'))).errorClass).toBe('transient');
    expect(
      classifyGcalError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))
        .errorClass,
    ).toBe('transient');
  });
  it('anything else is permanent', () => {
    expect(classifyGcalError(httpError(404, apiError(404, 'notFound'))).errorClass).toBe('permanent');
    expect(classifyGcalError(httpError(400, apiError(400, 'invalid'))).errorClass).toBe('permanent');
  });
  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-03-01T00:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': '3' }), now)).toBe(3000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Sun, 01 Mar 2026 00:00:10 GMT' }), now)).toBe(10_000);
    expect(retryAfterMs(new Headers({}), now)).toBeNull();
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeNull();
  });
});

describe('gcal configuration and helpers', () => {
  it('parses a service-account key and keeps its token_uri; malformed values name the variable', () => {
    const sa = generateServiceAccount({ tokenUri: 'http://127.0.0.1:4444/token' });
    expect(parseServiceAccount(JSON.stringify(sa))).toMatchObject({
      clientEmail: sa.client_email,
      tokenUri: 'http://127.0.0.1:4444/token',
      privateKeyId: sa.private_key_id,
    });
    const { token_uri: _t, ...noUri } = sa;
    expect(parseServiceAccount(JSON.stringify(noUri)).tokenUri).toBe(GOOGLE_TOKEN_URL);
    for (const bad of [
      'not json',
      '{}',
      JSON.stringify({ ...sa, type: 'authorized_user' }),
      JSON.stringify({ ...sa, private_key: 'x' }),
      JSON.stringify({ ...sa, token_uri: 'ftp://x' }),
    ]) {
      expect(() => parseServiceAccount(bad)).toThrow(ConfigError);
      expect(() => parseServiceAccount(bad)).toThrow(/GCAL_SERVICE_ACCOUNT_JSON/);
    }
  });

  it('a malformed GCAL_SERVICE_ACCOUNT_JSON stops the boot configuration with a sentence naming it', () => {
    for (const bad of ['{oops', JSON.stringify({ type: 'authorized_user', client_id: 'x' })]) {
      expect(() => loadConfig({ NODE_ENV: 'test', GCAL_SERVICE_ACCOUNT_JSON: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ NODE_ENV: 'test', GCAL_SERVICE_ACCOUNT_JSON: bad })).toThrow(
        /^GCAL_SERVICE_ACCOUNT_JSON must/,
      );
    }
    const sa = JSON.stringify(generateServiceAccount({ tokenUri: 'http://127.0.0.1:1/token' }));
    expect(loadConfig({ NODE_ENV: 'test', GCAL_SERVICE_ACCOUNT_JSON: sa }).gcal.serviceAccountJson).toBe(sa);
  });

  it('cursors: only {v:1, syncToken} is valid; entities name one calendar', () => {
    expect(parseGcalCursor(null)).toBeNull();
    expect(parseGcalCursor({ v: 1, syncToken: 'abc' })).toEqual({ v: 1, syncToken: 'abc' });
    expect(parseGcalCursor({ v: 1, pageToken: 'abc' })).toBe('invalid');
    expect(parseGcalCursor('abc')).toBe('invalid');
    expect(calendarOfEntity('calendar:a@b.c')).toBe('a@b.c');
    expect(calendarOfEntity('calendar:')).toBeNull();
    expect(calendarOfEntity('events')).toBeNull();
  });

  it('renews within a day of expiry (half the TTL for short channels), checking often enough', () => {
    expect(renewalWindowMs(604_800)).toBe(86_400_000);
    expect(renewalWindowMs(3600)).toBe(1_800_000);
    expect(renewalEveryMs(604_800)).toBe(600_000);
    expect(renewalEveryMs(60)).toBe(30_000);
  });

  it('channel tokens compare exactly; an unknown channel never matches', () => {
    expect(channelTokenMatches('s3cret-token', 's3cret-token')).toBe(true);
    expect(channelTokenMatches('s3cret-token', 's3cret-tokeN')).toBe(false);
    expect(channelTokenMatches('s3cret-token', 's3cret-token-longer')).toBe(false);
    expect(channelTokenMatches('\u0000no-channel:x', null)).toBe(false);
    expect(channelTokenMatches('anything', null)).toBe(false);
  });

  it('notifications dedupe on channel + message number', () => {
    const row = notificationInsert({
      channelId: 'c1',
      calendarId: CAL,
      resourceState: 'exists',
      messageNumber: '7',
      resourceId: null,
      resourceUri: null,
      channelExpiration: null,
    });
    expect(row).toMatchObject({
      source: 'gcal',
      kind: 'gcal.notification',
      dedupeKey: 'c1:7',
      origin: 'webhook',
      eventType: 'notification.exists',
    });
  });
});
