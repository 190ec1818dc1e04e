import {
  CUSTOM_STAGES,
  generateHubSpotDataset,
  PARTNER_PIPELINE,
  wonStageIds,
} from './sandbox/hubspot/hubspot-dataset.js';
import { startHubSpotSimulator, type HubSpotSimulator } from './sandbox/hubspot/hubspot-simulator.js';

/**
 * The demo's HubSpot portal: a seeded dataset selling through the default pipeline and two custom
 * ones (numeric stage ids, an archived won stage), plus a webhook batch that changes three deals
 * and a few new deals whose webhooks never arrive (for the reconciliation report).
 */
export async function startDemoHubSpot(accessToken: string) {
  const to = new Date();
  const from = new Date(to.getTime() - 180 * 86_400_000);
  const sim: HubSpotSimulator = await startHubSpotSimulator({
    accessToken,
    dataset: generateHubSpotDataset({ seed: 42, deals: 600, contacts: 400, from, to }),
  });
  return {
    url: sim.url,
    sim,
    stop: () => sim.stop(),
    /** Live won deals per pipeline label, as the portal's own pipelines classify them. */
    wonDealsByPipeline(): Record<string, number> {
      const won = wonStageIds(sim.state.pipelines);
      const label = new Map(sim.state.pipelines.map((p) => [p.id, p.label]));
      const out: Record<string, number> = {};
      for (const d of sim.state.objects.deals.values()) {
        if (d.archived || !won.has(d.properties.dealstage ?? '')) continue;
        const name = label.get(d.properties.pipeline ?? '') ?? d.properties.pipeline ?? '?';
        out[name] = (out[name] ?? 0) + 1;
      }
      return out;
    },
    /**
     * Wins one open deal in the default pipeline and one in the partner pipeline, creates a new
     * won deal, then posts the signed batch HubSpot would send.
     */
    async fireWebhooks(targetUrl: string, clientSecret: string) {
      const events = [];
      const open = [...sim.state.objects.deals.values()].find(
        (d) => !d.archived && d.properties.dealstage === 'contractsent',
      );
      if (open) {
        sim.update('deals', open.id, { dealstage: 'closedwon', closedate: new Date().toISOString() });
        events.push({
          subscriptionType: 'deal.propertyChange',
          objectId: open.id,
          propertyName: 'dealstage',
          propertyValue: 'closedwon',
        });
      }
      const partner = [...sim.state.objects.deals.values()].find(
        (d) =>
          !d.archived &&
          d.properties.dealstage === CUSTOM_STAGES.partnerRegistered &&
          /^\d+(\.\d+)?$/.test(d.properties.amount ?? ''),
      );
      if (partner) {
        sim.update('deals', partner.id, {
          dealstage: CUSTOM_STAGES.partnerWon,
          pipeline: PARTNER_PIPELINE,
          closedate: new Date().toISOString(),
        });
        events.push({
          subscriptionType: 'deal.propertyChange',
          objectId: partner.id,
          propertyName: 'dealstage',
          propertyValue: CUSTOM_STAGES.partnerWon,
        });
      }
      const created = sim.create('deals', {
        dealname: 'Demo webhook deal',
        amount: '4200.50',
        dealstage: 'closedwon',
        closedate: new Date().toISOString(),
        deal_currency_code: 'USD',
        pipeline: 'default',
      });
      events.push({ subscriptionType: 'deal.creation', objectId: created.id });
      return sim.sendWebhook(targetUrl, events, clientSecret);
    },
    /**
     * New won deals whose creation webhooks are "lost": nothing is sent, so only the next poll
     * finds them and the reconciliation report lists them as missed webhooks.
     */
    createWithoutWebhooks(n: number): string[] {
      return Array.from(
        { length: n },
        (_, i) =>
          sim.create('deals', {
            dealname: `Demo deal whose webhook is lost #${i + 1}`,
            amount: `${1000 + i * 250}.00`,
            dealstage: 'closedwon',
            closedate: new Date().toISOString(),
            deal_currency_code: 'USD',
            pipeline: 'default',
          }).id,
      );
    },
  };
}
