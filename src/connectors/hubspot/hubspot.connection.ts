import { Inject, Injectable, type OnApplicationShutdown, Optional } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app.config.js';
import { HttpMetrics } from '../../common/http.metrics.js';
import { HubspotApi } from './hubspot.api.js';

export function createHubspotApi(
  config: AppConfig,
  overrides: Partial<ConstructorParameters<typeof HubspotApi>[0]> = {},
): HubspotApi | null {
  const h = config.hubspot;
  if (!h.accessToken) return null;
  return new HubspotApi({
    accessToken: h.accessToken,
    basePath: h.apiBase,
    searchRatePerS: h.searchRateLimitPerS,
    ratePerS: h.rateLimitPerS,
    maxRetries: h.maxRetries,
    redisUrl: config.redisUrl,
    ...overrides,
  });
}

/**
 * The one HubSpot client of this process, so the sync driver and the webhook handler share the
 * same rate-limit gates (HubSpot's limits are per portal, not per caller). Null without
 * HUBSPOT_ACCESS_TOKEN: webhooks can still be received, but objects cannot be fetched.
 */
@Injectable()
export class HubspotConnection implements OnApplicationShutdown {
  readonly api: HubspotApi | null;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Optional() metrics?: HttpMetrics) {
    this.api = createHubspotApi(config, metrics ? { recorder: metrics } : {});
  }

  async onApplicationShutdown(): Promise<void> {
    await this.api?.stop();
  }
}
