// The one place that says which module owns which table and what each module lets others import.
// Read by test/unit/architecture.test.ts, by .dependency-cruiser.cjs (`npm run lint`) and by the
// README. .dependency-cruiser.cjs loads this file through Node's type stripping, so it must stay
// plain erasable TypeScript with no imports.

export interface ModuleSpec {
  /** Tables only this module's code may name in SQL, in a kysely call, or map as an entity. */
  readonly tables: readonly string[];
  /**
   * Files (relative to the module folder) that other modules and the app root may import. Anything
   * else in the folder is internal. Entity files (`*.entity.ts`) are never public: other modules
   * call the owner's service or repository instead.
   */
  readonly publicSurface: readonly string[];
}

/** Files directly in src/ (entry points, AppModule): they may import any module's public surface. */
export const APP_ROOT = 'src';

/**
 * The only file outside a module that may import other modules' entity files: MikroORM needs the
 * full entity list at init. It may list them; it may not query them.
 */
export const ENTITY_REGISTRY = 'src/database/database.entities.ts';

/** Keyed by module folder. A folder under src/ missing here fails the architecture test. */
export const MODULES: Readonly<Record<string, ModuleSpec>> = {
  'src/alerts': {
    // Issue 10: alert rows; their deliveries are ingest_outbox rows written through the outbox module.
    tables: ['alerts'],
    publicSurface: ['alerts.module.ts', 'alerts.service.ts', 'alerts.probes.ts', 'alert.types.ts'],
  },
  'src/common': {
    tables: [],
    publicSurface: [
      'app.errors.ts',
      'app.logger.ts',
      'auth.guard.ts',
      'body-error.guard.ts',
      'body.parsing.ts',
      'client-error.handler.ts',
      'common.module.ts',
      'currency.ts',
      'exception.filter.ts',
      'http.access.ts',
      'http.metrics.ts',
      'http.request.ts',
      'metrics.catalog.ts',
      'rate-limit.hook.ts',
      'request-id.hook.ts',
      'request.validation.ts',
      'swagger.setup.ts',
      'time-zone.catalog.ts',
      'vendor.limiter.ts',
    ],
  },
  'src/config': {
    tables: [],
    publicSurface: ['app.config.ts', 'config.module.ts', 'config.sources.ts'],
  },
  'src/connectors/gcal': {
    tables: ['gcal_channels'],
    publicSurface: ['gcal.module.ts', 'gcal-channel.renewal.ts'],
  },
  'src/connectors/hubspot': {
    // Issue 8: the portal's pipelines and stages.
    tables: ['hubspot_deal_stages', 'hubspot_deal_stage_state'],
    publicSurface: [
      'hubspot.module.ts',
      'hubspot-pipelines.service.ts',
      'hubspot-pipelines.refresh.ts',
      'hubspot-deletions.sweep.ts',
    ],
  },
  'src/connectors/stripe': {
    tables: [],
    publicSurface: ['stripe.module.ts'],
  },
  'src/dashboard': {
    tables: [],
    publicSurface: ['dashboard.module.ts'],
  },
  'src/database': {
    tables: ['mikro_orm_migrations'],
    publicSurface: [
      'database.embedded.ts',
      'database.locks.ts',
      'database.module.ts',
      'database.orm.ts',
      'database.sql.ts',
      'database.types.ts',
    ],
  },
  'src/health': {
    tables: [],
    publicSurface: ['health.module.ts', 'metrics.server.ts'],
  },
  'src/idempotency': {
    tables: ['api_idempotency'],
    publicSurface: [
      'idempotency.module.ts',
      'idempotency.service.ts',
      'idempotency.purge.ts',
      'idempotent-request.decorator.ts',
    ],
  },
  'src/outbox': {
    tables: ['ingest_outbox'],
    publicSurface: [
      'outbox-insert.repository.ts',
      'outbox.handlers.ts',
      'outbox.module.ts',
      'outbox.repository.ts',
      'outbox.types.ts',
      'outbox.worker.ts',
    ],
  },
  'src/reconciler': {
    // Issue 7: orphans with their append-only audit, and webhook-vs-poll sightings.
    tables: ['payment_orphans', 'orphan_events', 'object_sightings', 'reconcile_push_marks'],
    publicSurface: [
      'orphans.repository.ts',
      'reconciler.module.ts',
      'reconciler.service.ts',
      'reconciliation.service.ts',
      'sightings.repository.ts',
    ],
  },
  'src/records': {
    // The ledger, HubSpot deal tombstones included.
    tables: ['payments', 'contacts', 'events', 'payment_rollups', 'revenue_drift', 'payment_lineage'],
    publicSurface: [
      'records.module.ts',
      'contacts.repository.ts',
      'deal-tombstones.repository.ts',
      'event-links.repository.ts',
      'events.repository.ts',
      'ledger-figures.repository.ts',
      'payment-lineage.repository.ts',
      'payment-links.repository.ts',
      'payments.repository.ts',
      'record.types.ts',
      'record.version.ts',
    ],
  },
  'src/revenue': {
    tables: [],
    publicSurface: ['revenue.module.ts', 'revenue.verifier.ts'],
  },
  'src/runs': {
    tables: ['sync_runs', 'sync_cursors'],
    publicSurface: [
      'job.cli.ts',
      'page-commit.queue.ts',
      'run.errors.ts',
      'run.types.ts',
      'runs.module.ts',
      'runs.service.ts',
      'sync-coverage.repository.ts',
      'sync.drivers.ts',
      'sync.scheduler.ts',
    ],
  },
  'src/scheduling': {
    tables: [],
    publicSurface: ['process.roles.ts', 'scheduling.module.ts'],
  },
  'src/webhooks': {
    tables: [],
    publicSurface: ['webhook-receiver.service.ts', 'webhook.json.ts', 'webhook.schemas.ts', 'webhooks.module.ts'],
  },
};

/** Table name → owning module folder. */
export function tableOwners(modules: Readonly<Record<string, ModuleSpec>> = MODULES): Map<string, string> {
  const owners = new Map<string, string>();
  for (const [folder, spec] of Object.entries(modules)) for (const t of spec.tables) owners.set(t, folder);
  return owners;
}
