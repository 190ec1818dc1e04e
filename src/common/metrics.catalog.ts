/**
 * Every series Buffalo exports besides prom-client's default process metrics: one declaration per
 * name, so the type, the label names and the buckets are fixed before the first sample and the
 * README and the Grafana dashboard (scripts/grafana/buffalo.json) can be checked against one list.
 * Labels are bounded by construction: route patterns (never raw URLs), sources, kinds, statuses.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricSpec {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly buckets?: readonly number[];
}

/** HTTP and webhook latencies: 5 ms … 10 s. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Batches, vendor calls and revenue queries: 5 ms … 60 s. */
const WORK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Sync runs take seconds to an hour. */
const RUN_BUCKETS = [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];

export const METRIC_SERIES = [
  {
    name: 'buffalo_uptime_seconds',
    type: 'gauge',
    help: 'Seconds since this process started',
    labelNames: [],
  },
  {
    name: 'buffalo_http_request_duration_seconds',
    type: 'histogram',
    help: 'HTTP request latency by route pattern (unmatched = no route) and status code',
    labelNames: ['method', 'route', 'status'],
    buckets: HTTP_BUCKETS,
  },
  {
    name: 'buffalo_webhook_receipt_duration_seconds',
    type: 'histogram',
    help: 'Webhook receipt latency (request in to answer out: signature check and commit) by source and status code',
    labelNames: ['source', 'status'],
    buckets: HTTP_BUCKETS,
  },
  {
    name: 'buffalo_webhooks_received_total',
    type: 'counter',
    help: 'Webhook deliveries stored',
    labelNames: ['source', 'duplicate'],
  },
  {
    name: 'buffalo_outbox_rows',
    type: 'gauge',
    help: 'Outbox rows by status and source (queue depth), read at scrape',
    labelNames: ['source', 'status'],
  },
  {
    name: 'buffalo_outbox_oldest_queued_age_seconds',
    type: 'gauge',
    help: 'Age of the oldest queued outbox row that is due (0 when none), read at scrape',
    labelNames: [],
  },
  {
    name: 'buffalo_outbox_batch_duration_seconds',
    type: 'histogram',
    help: 'Outbox worker: one claimed batch, claim to last settle',
    labelNames: [],
    buckets: WORK_BUCKETS,
  },
  {
    name: 'buffalo_outbox_kind_duration_seconds',
    type: 'histogram',
    help: 'Outbox worker: the rows of one kind within a batch, handler and settle',
    labelNames: ['kind'],
    buckets: WORK_BUCKETS,
  },
  {
    name: 'buffalo_outbox_processed_total',
    type: 'counter',
    help: 'Outbox rows processed (done or ignored)',
    labelNames: ['kind', 'status'],
  },
  {
    name: 'buffalo_outbox_failed_total',
    type: 'counter',
    help: 'Outbox row attempts that failed',
    labelNames: ['kind', 'failure_class'],
  },
  {
    name: 'buffalo_outbox_dead_total',
    type: 'counter',
    help: 'Outbox rows parked as dead',
    labelNames: ['kind', 'failure_class'],
  },
  {
    name: 'buffalo_outbox_leases_expired_total',
    type: 'counter',
    help: 'Outbox rows whose worker lease expired',
    labelNames: [],
  },
  {
    name: 'buffalo_sync_runs_total',
    type: 'counter',
    help: 'Finished sync runs by source and outcome (succeeded, partial, failed, skipped)',
    labelNames: ['source', 'status'],
  },
  {
    name: 'buffalo_sync_run_duration_seconds',
    type: 'histogram',
    help: 'Sync run duration (lock held to verdict) by source and outcome',
    labelNames: ['source', 'status'],
    buckets: RUN_BUCKETS,
  },
  {
    name: 'buffalo_vendor_requests_total',
    type: 'counter',
    help: 'Vendor API requests by vendor, operation and HTTP status (error = no HTTP answer)',
    labelNames: ['vendor', 'operation', 'status'],
  },
  {
    name: 'buffalo_vendor_rate_limited_total',
    type: 'counter',
    help: 'Vendor API answers with HTTP 429',
    labelNames: ['vendor', 'operation'],
  },
  {
    name: 'buffalo_vendor_request_duration_seconds',
    type: 'histogram',
    help: 'Vendor API call latency (one attempt, limiter wait excluded where the client allows)',
    labelNames: ['vendor', 'operation'],
    buckets: WORK_BUCKETS,
  },
  {
    name: 'buffalo_revenue_query_duration_seconds',
    type: 'histogram',
    help: 'Revenue figures: one snapshot query (report = summary/daily/weekly)',
    labelNames: ['query'],
    buckets: WORK_BUCKETS,
  },
  {
    name: 'buffalo_alerts_firing',
    type: 'gauge',
    help: 'Open (firing) alerts by condition',
    labelNames: ['condition'],
  },
  {
    name: 'buffalo_orphans_flagged_total',
    type: 'counter',
    help: 'Ledger children (refunds, disputes, calendar occurrences) found without their parent',
    labelNames: [],
  },
  {
    name: 'buffalo_orphans_linked_total',
    type: 'counter',
    help: 'Orphans whose parent arrived (or that were deleted)',
    labelNames: [],
  },
  {
    name: 'buffalo_orphans_given_up_total',
    type: 'counter',
    help: 'Orphans given up after the give-up window',
    labelNames: [],
  },
  {
    name: 'buffalo_missed_webhooks',
    type: 'gauge',
    help: 'Objects created in the last 24 h that a poll found and no webhook brought within RECONCILE_GRACE_S, read at scrape',
    labelNames: ['source'],
  },
  {
    name: 'buffalo_hubspot_deletions_healed_total',
    type: 'counter',
    help: 'Archived HubSpot objects the ledger still held as live, queued as deletions by the deletion sweep',
    labelNames: ['entity'],
  },
] as const satisfies readonly MetricSpec[];

export type MetricName = (typeof METRIC_SERIES)[number]['name'];
