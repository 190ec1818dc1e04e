import { createHmac } from 'node:crypto';

/** What a test or the demo specifies; the sender fills in HubSpot's bookkeeping fields. */
export interface WebhookEventInput {
  subscriptionType: string;
  objectId: number | string;
  eventId?: number;
  occurredAt?: number;
  propertyName?: string;
  propertyValue?: string;
  changeSource?: string;
  [extra: string]: unknown;
}

export interface WebhookDelivery {
  status: number;
  body: unknown;
  /** Exactly what was sent, for replays and tampering tests. */
  rawBody: string;
  headers: Record<string, string>;
}

let nextEventId = Date.now() % 1_000_000_000;

/**
 * v3 request signature, written independently of the app's verifier so tests compare two
 * implementations: base64(HMAC-SHA256(secret, method + uri + body + timestamp)).
 */
export function signHubSpotV3(
  clientSecret: string,
  method: string,
  uri: string,
  body: string,
  timestamp: number | string,
): string {
  return createHmac('sha256', clientSecret).update(`${method}${uri}${body}${timestamp}`).digest('base64');
}

/** Posts a batch (≤ 100 events, as HubSpot does) signed with the v3 scheme. */
export async function sendHubSpotWebhook(
  targetUrl: string,
  events: WebhookEventInput[],
  clientSecret: string,
  opts: { portalId?: number; appId?: number; timestamp?: number } = {},
): Promise<WebhookDelivery> {
  const batch = events.map((e) => ({
    eventId: e.eventId ?? nextEventId++,
    subscriptionId: 4242,
    portalId: opts.portalId ?? 62515,
    appId: opts.appId ?? 777,
    occurredAt: e.occurredAt ?? Date.now(),
    attemptNumber: 0,
    changeSource: 'CRM_UI',
    ...e,
  }));
  const rawBody = JSON.stringify(batch);
  const timestamp = opts.timestamp ?? Date.now();
  const headers = {
    'content-type': 'application/json',
    'x-hubspot-signature-v3': signHubSpotV3(clientSecret, 'POST', targetUrl, rawBody, timestamp),
    'x-hubspot-request-timestamp': String(timestamp),
  };
  const res = await fetch(targetUrl, { method: 'POST', headers, body: rawBody });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // non-JSON answer: keep the text
  }
  return { status: res.status, body, rawBody, headers };
}
