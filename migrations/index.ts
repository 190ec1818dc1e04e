import { Migration20261121000000_initial } from './Migration20261121000000_initial.js';
import { Migration20261121001100_payment_orphans } from './Migration20261121001100_payment_orphans.js';
import { Migration20261121001500_gcal_event_data_version } from './Migration20261121001500_gcal_event_data_version.js';
import { Migration20261201000000_hubspot_pipelines } from './Migration20261201000000_hubspot_pipelines.js';
import { Migration20261201001000_payment_rollups } from './Migration20261201001000_payment_rollups.js';
import { Migration20261205000000_sync_run_leases } from './Migration20261205000000_sync_run_leases.js';
import { Migration20261205001000_alerts } from './Migration20261205001000_alerts.js';
import { Migration20261207000000_payment_lineage } from './Migration20261207000000_payment_lineage.js';
import { Migration20261207001000_reconciliation } from './Migration20261207001000_reconciliation.js';

/** Explicit list so the same migrations run from src (tests) and dist (app) without globbing. */
export const migrationsList = [
  { name: 'Migration20261121000000_initial', class: Migration20261121000000_initial },
  { name: 'Migration20261121001100_payment_orphans', class: Migration20261121001100_payment_orphans },
  { name: 'Migration20261121001500_gcal_event_data_version', class: Migration20261121001500_gcal_event_data_version },
  { name: 'Migration20261201000000_hubspot_pipelines', class: Migration20261201000000_hubspot_pipelines },
  { name: 'Migration20261201001000_payment_rollups', class: Migration20261201001000_payment_rollups },
  { name: 'Migration20261205000000_sync_run_leases', class: Migration20261205000000_sync_run_leases },
  { name: 'Migration20261205001000_alerts', class: Migration20261205001000_alerts },
  { name: 'Migration20261207000000_payment_lineage', class: Migration20261207000000_payment_lineage },
  { name: 'Migration20261207001000_reconciliation', class: Migration20261207001000_reconciliation },
];
