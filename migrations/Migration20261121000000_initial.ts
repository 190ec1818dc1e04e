import { Migration } from '@mikro-orm/migrations';

/** Outbox, runs, cursors, ledger, idempotency, and the vendor record tables. */
export class Migration20261121000000_initial extends Migration {
  override name = 'Migration20261121000000_initial';

  override up(): void {
    this.addSql(`
      CREATE TABLE ingest_outbox (
        id            bigserial PRIMARY KEY,
        source        text NOT NULL CHECK (source IN ('stripe','hubspot','gcal')),
        kind          text NOT NULL,
        dedupe_key    text NOT NULL,
        origin        text NOT NULL CHECK (origin IN ('webhook','poll','replay')),
        event_type    text NOT NULL,
        payload       jsonb NOT NULL,
        vendor_time   timestamptz,
        status        text NOT NULL DEFAULT 'queued'
                      CHECK (status IN ('queued','running','done','error','dead','ignored')),
        attempts      integer NOT NULL DEFAULT 0,
        available_at  timestamptz NOT NULL DEFAULT now(),
        lease_until   timestamptz,
        locked_by     text,
        failure_class text,
        last_error    text,
        run_id        bigint,
        received_at   timestamptz NOT NULL DEFAULT now(),
        processed_at  timestamptz,
        CONSTRAINT ingest_outbox_dedupe UNIQUE (source, dedupe_key)
      )`);
    // The claim query scans only claimable rows, in order.
    this.addSql(
      `CREATE INDEX ingest_outbox_claimable ON ingest_outbox (available_at, id) WHERE status IN ('queued','error')`,
    );
    this.addSql(`CREATE INDEX ingest_outbox_running_lease ON ingest_outbox (lease_until) WHERE status = 'running'`);
    this.addSql(`CREATE INDEX ingest_outbox_dead ON ingest_outbox (id DESC) WHERE status = 'dead'`);
    this.addSql(`CREATE INDEX ingest_outbox_source_received ON ingest_outbox (source, received_at)`);
    this.addSql(
      `CREATE INDEX ingest_outbox_retention ON ingest_outbox (processed_at) WHERE status IN ('done','ignored')`,
    );

    this.addSql(`
      CREATE TABLE sync_runs (
        id                       bigserial PRIMARY KEY,
        source                   text NOT NULL,
        entity                   text NOT NULL,
        mode                     text NOT NULL CHECK (mode IN ('incremental','full')),
        status                   text NOT NULL DEFAULT 'queued'
                                 CHECK (status IN ('queued','running','succeeded','partial','failed','skipped')),
        trigger                  text NOT NULL DEFAULT 'manual',
        created_at               timestamptz NOT NULL DEFAULT now(),
        started_at               timestamptz,
        finished_at              timestamptz,
        heartbeat_at             timestamptz,
        cursor_before            jsonb,
        cursor_after             jsonb,
        stale_cursor_detected    boolean NOT NULL DEFAULT false,
        full_backfill_triggered  boolean NOT NULL DEFAULT false,
        error                    text,
        error_class              text,
        pages_fetched            integer NOT NULL DEFAULT 0,
        records_fetched          integer NOT NULL DEFAULT 0,
        records_upserted         integer NOT NULL DEFAULT 0,
        records_deduped          integer NOT NULL DEFAULT 0,
        records_failed           integer NOT NULL DEFAULT 0,
        unmapped_statuses_seen   text[] NOT NULL DEFAULT '{}'
      )`);
    this.addSql(`CREATE INDEX sync_runs_source_id ON sync_runs (source, id DESC)`);
    this.addSql(`CREATE INDEX sync_runs_status_id ON sync_runs (status, id DESC)`);
    this.addSql(
      `CREATE INDEX sync_runs_source_entity_finished ON sync_runs (source, entity, finished_at DESC) WHERE status IN ('succeeded','partial')`,
    );

    this.addSql(`
      CREATE TABLE sync_cursors (
        source      text NOT NULL,
        entity      text NOT NULL,
        cursor      jsonb NOT NULL,
        run_id      bigint,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (source, entity)
      )`);

    this.addSql(`
      CREATE TABLE payments (
        id                   bigserial PRIMARY KEY,
        source               text NOT NULL CHECK (source IN ('stripe','hubspot')),
        kind                 text NOT NULL CHECK (kind IN ('charge','refund','dispute','deal')),
        external_id          text NOT NULL,
        parent_external_id   text,
        amount_cents         bigint NOT NULL CHECK (amount_cents >= 0),
        currency             char(3) NOT NULL,
        status               text NOT NULL,
        raw_status           text NOT NULL,
        effect               text NOT NULL CHECK (effect IN ('gross','refund','none')),
        occurred_at          timestamptz NOT NULL,
        customer_ref         text,
        description          text,
        deleted_at           timestamptz,
        version_at           timestamptz NOT NULL,
        version_rank         integer NOT NULL DEFAULT 0,
        version_tiebreak     text NOT NULL DEFAULT '',
        outbox_id            bigint,
        created_at           timestamptz NOT NULL DEFAULT now(),
        updated_at           timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT payments_source_external UNIQUE (source, external_id)
      )`);
    // Revenue aggregates read only counted rows by currency and time.
    this.addSql(
      `CREATE INDEX payments_revenue ON payments (currency, occurred_at) INCLUDE (source, effect, amount_cents) WHERE effect <> 'none' AND deleted_at IS NULL`,
    );
    this.addSql(`CREATE INDEX payments_unknown ON payments (source, raw_status) WHERE status = 'UNKNOWN'`);
    this.addSql(
      `CREATE INDEX payments_parent ON payments (source, parent_external_id) WHERE parent_external_id IS NOT NULL`,
    );

    this.addSql(`
      CREATE TABLE contacts (
        id                bigserial PRIMARY KEY,
        source            text NOT NULL,
        external_id       text NOT NULL,
        email             text,
        phone             text,
        first_name        text,
        last_name         text,
        lifecycle_stage   text,
        deleted_at        timestamptz,
        version_at        timestamptz NOT NULL,
        version_rank      integer NOT NULL DEFAULT 0,
        version_tiebreak  text NOT NULL DEFAULT '',
        outbox_id         bigint,
        created_at        timestamptz NOT NULL DEFAULT now(),
        updated_at        timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT contacts_source_external UNIQUE (source, external_id)
      )`);

    this.addSql(`
      CREATE TABLE events (
        id                   bigserial PRIMARY KEY,
        calendar_id          text NOT NULL,
        event_id             text NOT NULL,
        status               text NOT NULL,
        summary              text,
        description          text,
        location             text,
        start_at             timestamptz,
        end_at               timestamptz,
        start_date           date,
        end_date             date,
        time_zone            text,
        organizer_email      text,
        recurring_event_id   text,
        original_start_time  text,
        html_link            text,
        deleted_at           timestamptz,
        version_at           timestamptz NOT NULL,
        version_rank         integer NOT NULL DEFAULT 0,
        version_tiebreak     text NOT NULL DEFAULT '',
        outbox_id            bigint,
        created_at           timestamptz NOT NULL DEFAULT now(),
        updated_at           timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT events_calendar_event UNIQUE (calendar_id, event_id)
      )`);
    this.addSql(`CREATE INDEX events_start ON events (calendar_id, start_at)`);

    this.addSql(`
      CREATE TABLE gcal_channels (
        channel_id    text PRIMARY KEY,
        calendar_id   text NOT NULL,
        token         text NOT NULL,
        resource_id   text,
        expiration    timestamptz NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        stopped_at    timestamptz
      )`);
    this.addSql(
      `CREATE INDEX gcal_channels_calendar ON gcal_channels (calendar_id, expiration DESC) WHERE stopped_at IS NULL`,
    );

    this.addSql(`
      CREATE TABLE api_idempotency (
        key              text PRIMARY KEY,
        method           text NOT NULL,
        route            text NOT NULL,
        body_hash        text NOT NULL,
        state            text NOT NULL DEFAULT 'in_progress' CHECK (state IN ('in_progress','done')),
        response_status  integer,
        response_body    jsonb,
        created_at       timestamptz NOT NULL DEFAULT now(),
        expires_at       timestamptz NOT NULL DEFAULT now() + interval '24 hours'
      )`);
    this.addSql(`CREATE INDEX api_idempotency_expires ON api_idempotency (expires_at)`);
  }

  override down(): void {
    this.addSql(
      'DROP TABLE IF EXISTS api_idempotency, gcal_channels, events, contacts, payments, sync_cursors, sync_runs, ingest_outbox',
    );
  }
}
