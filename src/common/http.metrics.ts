import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, type Metric, Registry } from 'prom-client';
import { logger } from './app.logger.js';
import { METRIC_SERIES, type MetricSpec, type MetricType } from './metrics.catalog.js';

type Labels = Record<string, string | number>;

/** What vendor clients report per HTTP attempt (they are plain classes, so they get this, not the facade's type). */
export interface VendorCallRecorder {
  vendorRequest(vendor: string, operation: string, status: number | 'error', seconds?: number): void;
}

/** Runs at every scrape before the text is rendered: gauges read from the database (queue depth…). */
export type ScrapeCollector = (metrics: HttpMetrics) => Promise<void> | void;

/**
 * Process metrics (CPU, memory, event loop, GC) belong to the process, not to one Nest app: one
 * registry for them, created once, so tests that boot many apps do not stack up GC observers.
 */
let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

const SPECS = new Map<string, MetricSpec>(METRIC_SERIES.map((s) => [s.name, s]));
const started = Date.now();

/**
 * The metrics facade over one prom-client Registry per app. Call sites keep the old shape
 * (`inc(name, labels, by, help)`); a name from metrics.catalog.ts gets its declared type, labels and
 * buckets, any other name is declared on first use from that call's labels. Metrics never break the
 * work they measure: a call that does not fit its declaration is dropped with one warning per name.
 */
@Injectable()
export class HttpMetrics implements VendorCallRecorder {
  readonly registry = new Registry();
  private readonly metrics = new Map<string, { type: MetricType; metric: Metric<string> }>();
  private readonly collectors: ScrapeCollector[] = [];
  private readonly warned = new Set<string>();

  constructor() {
    for (const spec of METRIC_SERIES) this.declare(spec);
  }

  /** Prometheus text exposition format, as the registry renders it. */
  get contentType(): string {
    return this.registry.contentType;
  }

  inc(name: string, labels: Labels = {}, by = 1, help = ''): void {
    if (by <= 0) return;
    this.use(name, 'counter', labels, help, (m) => (m as Counter<string>).inc(strings(labels), by));
  }

  setGauge(name: string, labels: Labels = {}, value: number, help = ''): void {
    this.use(name, 'gauge', labels, help, (m) => (m as Gauge<string>).set(strings(labels), value));
  }

  /** Drops every labelled value of a gauge (before a scrape collector sets the current ones). */
  resetGauge(name: string): void {
    const m = this.metrics.get(name);
    if (m?.type === 'gauge') (m.metric as Gauge<string>).reset();
  }

  observe(name: string, labels: Labels, seconds: number, help = ''): void {
    this.use(name, 'histogram', labels, help, (m) => (m as Histogram<string>).observe(strings(labels), seconds));
  }

  /** Starts a clock; the returned function observes the elapsed seconds (with any labels known only at the end). */
  startTimer(name: string, labels: Labels = {}): (more?: Labels) => number {
    const t0 = performance.now();
    return (more = {}) => {
      const s = (performance.now() - t0) / 1000;
      this.observe(name, { ...labels, ...more }, s);
      return s;
    };
  }

  vendorRequest(vendor: string, operation: string, status: number | 'error', seconds?: number): void {
    this.inc('buffalo_vendor_requests_total', { vendor, operation, status });
    if (status === 429) this.inc('buffalo_vendor_rate_limited_total', { vendor, operation });
    if (seconds !== undefined) this.observe('buffalo_vendor_request_duration_seconds', { vendor, operation }, seconds);
  }

  onScrape(collector: ScrapeCollector): void {
    this.collectors.push(collector);
  }

  async render(): Promise<string> {
    this.setGauge('buffalo_uptime_seconds', {}, Math.round((Date.now() - started) / 1000));
    for (const collect of this.collectors) {
      try {
        await collect(this);
      } catch (err) {
        // A scrape still answers with what it has; the gauges of that collector were reset by it.
        logger.warn('metrics collector failed', { err: (err as Error)?.message });
      }
    }
    return (await this.registry.metrics()) + (await processMetrics().metrics());
  }

  private declare(spec: MetricSpec): { type: MetricType; metric: Metric<string> } {
    const base = { name: spec.name, help: spec.help, labelNames: [...spec.labelNames], registers: [this.registry] };
    const metric =
      spec.type === 'counter'
        ? new Counter(base)
        : spec.type === 'gauge'
          ? new Gauge(base)
          : new Histogram({ ...base, ...(spec.buckets ? { buckets: [...spec.buckets] } : {}) });
    const entry = { type: spec.type, metric: metric as Metric<string> };
    this.metrics.set(spec.name, entry);
    return entry;
  }

  private use(name: string, type: MetricType, labels: Labels, help: string, apply: (m: Metric<string>) => void): void {
    try {
      const entry =
        this.metrics.get(name) ??
        this.declare(SPECS.get(name) ?? { name, type, help: help || name, labelNames: Object.keys(labels) });
      if (entry.type !== type) throw new Error(`${name} is a ${entry.type}, not a ${type}`);
      apply(entry.metric);
    } catch (err) {
      if (this.warned.has(name)) return;
      this.warned.add(name);
      logger.warn('metric sample dropped', { metric: name, err: (err as Error)?.message });
    }
  }
}

function strings(labels: Labels): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) out[k] = String(v);
  return out;
}

/** Prometheus label text; kept for callers that format series by hand. */
export function fmtLabels(labels: Record<string, string | number>): string {
  const entries = Object.entries(labels);
  if (!entries.length) return '';
  return `{${entries.map(([k, v]) => `${k}="${String(v).replace(/["\\\n]/g, '_')}"`).join(',')}}`;
}
