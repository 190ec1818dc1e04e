export interface SimChannel {
  id: string;
  calendarId: string;
  resourceId: string;
  resourceUri: string;
  token: string | undefined;
  address: string;
  /** Milliseconds since the epoch. */
  expiration: number;
  /** Last message number sent on this channel (the first message, `sync`, is 1). */
  messageNumber: number;
  stopped: boolean;
}

export type ResourceState = 'sync' | 'exists' | 'not_exists';

export interface Delivery {
  channelId: string;
  state: ResourceState;
  messageNumber: number;
  /** Final HTTP status, or 0 when the address could not be reached. */
  status: number;
  attempts: number;
}

/** Google retries these with exponential backoff; every other status is a final failure. */
const RETRIED = new Set([500, 502, 503, 504]);

/**
 * Posts push notifications the way Google does: empty body, everything in X-Goog-* headers,
 * message numbers increasing per channel, nothing sent on stopped or expired channels.
 */
export class PushSender {
  readonly channels = new Map<string, SimChannel>();
  readonly deliveries: Delivery[] = [];
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly retryDelaysMs: readonly number[] = [50, 200]) {}

  active(calendarId: string, now = Date.now()): SimChannel[] {
    return [...this.channels.values()].filter((c) => c.calendarId === calendarId && !c.stopped && c.expiration > now);
  }

  /**
   * Sends one notification. `messageNumber` and `token` override the channel's (tests use them
   * to redeliver a message or to forge a token).
   */
  send(
    channel: SimChannel,
    state: ResourceState,
    opts: { messageNumber?: number; token?: string | null } = {},
  ): Promise<Delivery> {
    const messageNumber = opts.messageNumber ?? ++channel.messageNumber;
    const headers: Record<string, string> = {
      'X-Goog-Channel-ID': channel.id,
      'X-Goog-Channel-Expiration': new Date(channel.expiration).toUTCString(),
      'X-Goog-Resource-ID': channel.resourceId,
      'X-Goog-Resource-URI': channel.resourceUri,
      'X-Goog-Resource-State': state,
      'X-Goog-Message-Number': String(messageNumber),
    };
    const token = opts.token === undefined ? channel.token : opts.token;
    if (token !== null && token !== undefined) headers['X-Goog-Channel-Token'] = token;
    const p = this.deliver(channel.address, headers).then(({ status, attempts }) => {
      const d: Delivery = { channelId: channel.id, state, messageNumber, status, attempts };
      this.deliveries.push(d);
      return d;
    });
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    return p;
  }

  /** Sends `exists` on every live channel watching the calendar (after a change). */
  changed(calendarId: string): void {
    for (const c of this.active(calendarId)) void this.send(c, 'exists');
  }

  async flush(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  private async deliver(
    address: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; attempts: number }> {
    let status = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(address, {
          method: 'POST',
          headers: { ...headers, 'Content-Length': '0' },
          signal: AbortSignal.timeout(5000),
        });
        await res.arrayBuffer().catch(() => undefined);
        status = res.status;
      } catch {
        status = 0;
      }
      if ((status !== 0 && !RETRIED.has(status)) || attempt >= this.retryDelaysMs.length)
        return { status, attempts: attempt + 1 };
      await new Promise((r) => setTimeout(r, this.retryDelaysMs[attempt]));
    }
  }
}
