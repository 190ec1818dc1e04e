import { Injectable } from '@nestjs/common';
import { logger } from '../../common/app.logger.js';
import { HubspotConnection } from './hubspot.connection.js';
import { HubspotPipelinesService, type RefreshOutcome } from './hubspot-pipelines.service.js';

/**
 * The periodic deal pipelines refresh (HUBSPOT_PIPELINES_REFRESH_S, registered by the job
 * catalog): how a probability or "closed" change made in HubSpot reaches the ledger, since HubSpot
 * sends no webhook for pipelines. A refresh that changes nothing changes nothing, and
 * classification changes serialize on their own lock, so a double-fired tick is harmless.
 */
@Injectable()
export class HubspotPipelinesRefresh {
  constructor(
    private readonly connection: HubspotConnection,
    private readonly pipelines: HubspotPipelinesService,
  ) {}

  enabled(): boolean {
    return this.connection.api !== null;
  }

  async tick(): Promise<RefreshOutcome | null> {
    try {
      return await this.pipelines.refresh('schedule');
    } catch (err) {
      logger.error('scheduled hubspot pipelines refresh failed', { err: (err as Error).message });
      return null;
    }
  }
}
