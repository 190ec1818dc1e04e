import { Inject, Injectable, type OnApplicationShutdown, Optional } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app.config.js';
import { HttpMetrics } from '../../common/http.metrics.js';
import { GcalClient } from './gcal.client.js';
import { parseServiceAccount } from './gcal.credentials.js';

/** Entity name of one calendar: each calendar has its own run, cursor and lock. */
export const calendarEntity = (calendarId: string) => `calendar:${calendarId}`;

export function calendarOfEntity(entity: string): string | null {
  return entity.startsWith('calendar:') && entity.length > 'calendar:'.length ? entity.slice('calendar:'.length) : null;
}

/**
 * The configured Google Calendar access: the SDK client when GCAL_SERVICE_ACCOUNT_JSON and
 * GCAL_CALENDAR_IDS are both set, else null. The key is parsed here, at boot, so a malformed
 * value stops the process with a sentence naming the variable.
 */
@Injectable()
export class GcalConnection implements OnApplicationShutdown {
  readonly client: GcalClient | null;
  readonly calendarIds: readonly string[];

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Optional() metrics?: HttpMetrics) {
    const { serviceAccountJson, calendarIds, apiBase, rateLimitPerS, maxRetries } = config.gcal;
    const account = serviceAccountJson ? parseServiceAccount(serviceAccountJson) : null;
    this.calendarIds = [...new Set(calendarIds)];
    this.client =
      account && this.calendarIds.length
        ? new GcalClient(account, {
            rootUrl: apiBase,
            ratePerS: rateLimitPerS,
            maxRetries,
            redisUrl: config.redisUrl,
            ...(metrics ? { recorder: metrics } : {}),
          })
        : null;
  }

  get enabled(): boolean {
    return this.client !== null;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client?.stop();
  }
}
