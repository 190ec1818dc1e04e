import { generateHubSpotDataset } from './sandbox/hubspot/hubspot-dataset.js';
import { startHubSpotSimulator, type HubSpotSimulator } from './sandbox/hubspot/hubspot-simulator.js';

/** The demo's HubSpot portal: a seeded dataset, plus a webhook batch that changes two deals. */
export async function startDemoHubSpot(accessToken: string) {
  const to = new Date();
  const from = new Date(to.getTime() - 180 * 86_400_000);
  const sim: HubSpotSimulator = await startHubSpotSimulator({ accessToken, dataset: generateHubSpotDataset({ seed: 42, deals: 600, contacts: 400, from, to }) });
  return {
    url: sim.url,
    sim,
    stop: () => sim.stop(),
    /** Wins one open deal and creates a new won deal, then posts the signed batch HubSpot would send. */
    async fireWebhooks(targetUrl: string, clientSecret: string) {
      const open = [...sim.state.objects.deals.values()].find((d) => !d.archived && d.properties.dealstage === 'contractsent');
      const events = [];
      if (open) {
        sim.update('deals', open.id, { dealstage: 'closedwon', closedate: new Date().toISOString() });
        events.push({ subscriptionType: 'deal.propertyChange', objectId: open.id, propertyName: 'dealstage', propertyValue: 'closedwon' });
      }
      const created = sim.create('deals', { dealname: 'Demo webhook deal', amount: '4200.50', dealstage: 'closedwon', closedate: new Date().toISOString(), deal_currency_code: 'USD', pipeline: 'default' });
      events.push({ subscriptionType: 'deal.creation', objectId: created.id });
      return sim.sendWebhook(targetUrl, events, clientSecret);
    },
  };
}
