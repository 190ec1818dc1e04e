import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSign } from 'node:crypto';
import { startGcalSimulator, type GcalSimulator } from '../../scripts/sandbox/gcal/gcal-simulator.js';
import { generateServiceAccount } from '../../scripts/sandbox/gcal/service-account.js';
import { expandSeries, instanceId } from '../../scripts/sandbox/gcal/recurrence.js';
import { GcalClient } from '../../src/connectors/gcal/gcal.client.js';
import { parseServiceAccount } from '../../src/connectors/gcal/gcal.credentials.js';
import { SyncError } from '../../src/runs/sync.drivers.js';

const CAL = 'team@example.com';

function signJwt(privateKeyPem: string, claims: Record<string, unknown>): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc(claims)}`;
  return `${body}.${createSign('RSA-SHA256').update(body).sign(privateKeyPem).toString('base64url')}`;
}

/** The simulator's wire behaviour, seen as Google clients see it. */
describe('Google Calendar simulator', () => {
  let sim: GcalSimulator;
  let token: string;
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${sim.url}${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...(init.headers ?? {}) },
    });
  const list = async (q: Record<string, string>) => {
    const res = await api(`/calendar/v3/calendars/${encodeURIComponent(CAL)}/events?${new URLSearchParams(q)}`);
    return { status: res.status, body: (await res.json()) as any };
  };
  const listAll = async (q: Record<string, string>) => {
    const items: any[] = [];
    let page = await list(q);
    const pages = [page.body];
    items.push(...page.body.items);
    while (page.body.nextPageToken) {
      page = await list({ ...q, pageToken: page.body.nextPageToken });
      pages.push(page.body);
      items.push(...page.body.items);
    }
    return { items, pages };
  };
  const grant = (assertion: string) =>
    fetch(`${sim.url}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
    });
  const claims = () => {
    const iat = Math.floor(Date.now() / 1000);
    return {
      iss: sim.serviceAccount.client_email,
      scope: 'https://www.googleapis.com/auth/calendar.events.readonly',
      aud: 'https://oauth2.googleapis.com/token',
      iat,
      exp: iat + 3600,
    };
  };

  beforeAll(async () => {
    sim = await startGcalSimulator({
      calendars: [CAL],
      dataset: { seed: 3, eventsPerCalendar: 12 },
      autoNotify: false,
    });
    const res = await grant(signJwt(sim.serviceAccount.private_key, claims()));
    token = ((await res.json()) as any).access_token;
  });
  afterAll(async () => sim?.stop());

  it('token endpoint: RS256 JWT-bearer grant verified against the service account key', async () => {
    expect(token).toMatch(/^ya29\./);
    const other = generateServiceAccount({ tokenUri: `${sim.url}/token` });
    const forged = await grant(signJwt(other.private_key, claims()));
    expect(forged.status).toBe(400);
    expect(await forged.json()).toEqual({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    const stale = await grant(signJwt(sim.serviceAccount.private_key, { ...claims(), iat: 1_000_000, exp: 1_003_600 }));
    expect(((await stale.json()) as any).error).toBe('invalid_grant');
    const scope = await grant(
      signJwt(sim.serviceAccount.private_key, { ...claims(), scope: 'https://www.googleapis.com/auth/drive' }),
    );
    expect(((await scope.json()) as any).error).toBe('invalid_scope');
    const anon = await fetch(`${sim.url}/calendar/v3/calendars/${encodeURIComponent(CAL)}/events`);
    expect(anon.status).toBe(401);
    expect(((await anon.json()) as any).error).toMatchObject({
      code: 401,
      status: 'UNAUTHENTICATED',
      errors: [{ reason: 'authError' }],
    });
  });

  it('pages carry nextPageToken; only the last one carries nextSyncToken', async () => {
    const { items, pages } = await listAll({ maxResults: '5', showDeleted: 'true' });
    expect(pages.length).toBeGreaterThan(2);
    for (const p of pages.slice(0, -1))
      expect([typeof p.nextPageToken, p.nextSyncToken]).toEqual(['string', undefined]);
    expect([pages.at(-1).nextPageToken, typeof pages.at(-1).nextSyncToken]).toEqual([undefined, 'string']);
    expect(items).toHaveLength(sim.state.calendar(CAL)!.events.size);
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
    expect(pages[0]).toMatchObject({ kind: 'calendar#events', timeZone: 'UTC', accessRole: 'reader' });
  });

  it('without showDeleted, only cancelled occurrences of a series stay listed (singleEvents=false)', async () => {
    const { items } = await listAll({ maxResults: '50' });
    const cancelled = items.filter((i) => i.status === 'cancelled');
    expect(cancelled.length).toBeGreaterThan(0);
    expect(cancelled.every((i) => typeof i.recurringEventId === 'string')).toBe(true);
    const single = await listAll({ maxResults: '50', singleEvents: 'true' });
    expect(single.items.some((i) => i.status === 'cancelled')).toBe(false);
  });

  it('singleEvents=true expands series into instances; exceptions replace their occurrence', async () => {
    const weekly = sim.dataset!.series.find((s) => s.modified)!;
    const { items } = await listAll({ maxResults: '100', singleEvents: 'true', showDeleted: 'true' });
    const occurrences = items.filter((i) => i.recurringEventId === weekly.seriesId);
    expect(occurrences).toHaveLength(10);
    expect(items.some((i) => i.id === weekly.seriesId)).toBe(false);
    const moved = occurrences.find((i) => i.id === instanceId(weekly.seriesId, weekly.modified!))!;
    expect(moved.summary).toBe('Weekly revenue sync (moved)');
    expect(occurrences.find((i) => i.id === instanceId(weekly.seriesId, weekly.cancelled!))!.status).toBe('cancelled');
    expect(expandSeries({ date: '2026-04-01' }, ['RRULE:FREQ=DAILY;COUNT=3']).map((o) => o.start)).toEqual([
      '2026-04-01',
      '2026-04-02',
      '2026-04-03',
    ]);
    expect(expandSeries({ dateTime: '2026-04-01T10:00:00Z' }, ['RRULE:FREQ=MONTHLY;BYDAY=1MO'])).toHaveLength(1);
  });

  it('a syncToken lists changes only, deletions as bare {id,status}; expired tokens get 410; filters are refused', async () => {
    const { pages } = await listAll({ maxResults: '100', showDeleted: 'true' });
    const syncToken = pages.at(-1).nextSyncToken;
    const [victim, edited] = [...sim.state.calendar(CAL)!.events.values()]
      .filter((s) => s.event.status === 'confirmed' && !s.event.recurrence)
      .map((s) => s.event.id);
    sim.mutate.cancel(CAL, victim);
    sim.mutate.update(CAL, edited, { summary: 'edited' });
    const inc = await list({ syncToken, showDeleted: 'true' });
    expect(inc.status).toBe(200);
    const byId = new Map(inc.body.items.map((i: any) => [i.id, i]));
    expect(byId.size).toBe(2);
    expect(Object.keys(byId.get(victim) as object).sort()).toEqual(['etag', 'id', 'kind', 'status']);
    expect((byId.get(edited) as any).summary).toBe('edited');
    expect(inc.body.nextSyncToken).not.toBe(syncToken);

    expect((await list({ syncToken, timeMin: '2026-01-01T00:00:00Z' })).status).toBe(400);
    expect((await list({ syncToken: pages[0].nextPageToken })).status).toBe(400);
    sim.expireSyncTokens(CAL);
    const gone = await list({ syncToken: inc.body.nextSyncToken });
    expect(gone.status).toBe(410);
    expect(gone.body.error).toMatchObject({ code: 410, errors: [{ reason: 'fullSyncRequired' }] });
  });

  it('watch answers an api#channel, pushes Google headers to the address, and stop ends it', async () => {
    const received: IncomingHttpHeaders[] = [];
    const hook: Server = createServer((req, res) => {
      received.push(req.headers);
      res.writeHead(200).end();
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const address = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    try {
      const res = await api(`/calendar/v3/calendars/${encodeURIComponent(CAL)}/events/watch`, {
        method: 'POST',
        body: JSON.stringify({ id: 'chan-1', type: 'web_hook', address, token: 'tok-1', params: { ttl: '3600' } }),
      });
      const ch = (await res.json()) as any;
      expect(ch).toMatchObject({
        kind: 'api#channel',
        id: 'chan-1',
        token: 'tok-1',
        resourceId: expect.any(String),
        resourceUri: expect.stringContaining('/events'),
      });
      expect(Number(ch.expiration)).toBeGreaterThan(Date.now() + 3_500_000);
      const dup = await api(`/calendar/v3/calendars/${encodeURIComponent(CAL)}/events/watch`, {
        method: 'POST',
        body: JSON.stringify({ id: 'chan-1', type: 'web_hook', address }),
      });
      expect(dup.status).toBe(400);

      await new Promise((r) => setTimeout(r, 20));
      await sim.notify('chan-1', 'exists');
      await sim.flushNotifications();
      expect(received.map((h) => [h['x-goog-resource-state'], h['x-goog-message-number']])).toEqual([
        ['sync', '1'],
        ['exists', '2'],
      ]);
      expect(received[1]).toMatchObject({
        'x-goog-channel-id': 'chan-1',
        'x-goog-channel-token': 'tok-1',
        'x-goog-resource-id': ch.resourceId,
        'x-goog-resource-uri': ch.resourceUri,
      });
      expect(Date.parse(received[1]['x-goog-channel-expiration'] as string)).toBe(
        Math.floor(Number(ch.expiration) / 1000) * 1000,
      );

      const stop = await api('/calendar/v3/channels/stop', {
        method: 'POST',
        body: JSON.stringify({ id: 'chan-1', resourceId: ch.resourceId }),
      });
      expect(stop.status).toBe(204);
      expect(sim.push.active(CAL)).toHaveLength(0);
      expect(
        (
          await api('/calendar/v3/channels/stop', {
            method: 'POST',
            body: JSON.stringify({ id: 'chan-1', resourceId: ch.resourceId }),
          })
        ).status,
      ).toBe(404);
    } finally {
      await new Promise((r) => hook.close(r));
    }
  });

  it('the SDK client retries 429 honouring Retry-After, and classifies what it cannot retry', async () => {
    const client = new GcalClient(parseServiceAccount(sim.serviceAccountJson), {
      rootUrl: sim.url,
      ratePerS: 50,
      maxRetries: 2,
      retryDelayMs: 10,
    });
    sim.failNext(2, 429, { retryAfterS: 0 });
    const page = await client.listEvents({ calendarId: CAL, maxResults: 3 });
    expect(page.items).toHaveLength(3);
    sim.failNext(1, 403, { rateLimit: true });
    await expect(client.listEvents({ calendarId: CAL, maxResults: 3 })).rejects.toMatchObject({
      errorClass: 'transient',
    });
    sim.failNext(1, 403);
    const err = await client.listEvents({ calendarId: CAL, maxResults: 3 }).catch((e) => e);
    expect(err).toBeInstanceOf(SyncError);
    expect(err.errorClass).toBe('auth');
    const unknown = await client.listEvents({ calendarId: 'nobody@example.com', maxResults: 3 }).catch((e) => e);
    expect(unknown.errorClass).toBe('permanent');
  });
});
