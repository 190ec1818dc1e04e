import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { register as defaultRegistry, collectDefaultMetrics } from 'prom-client';
import { METRIC_SERIES } from '../../src/common/metrics.catalog.js';

/** The dashboard is JSON nobody compiles: this keeps it on the series the app actually exports. */
const dashboard = JSON.parse(readFileSync(new URL('../../scripts/grafana/buffalo.json', import.meta.url), 'utf8'));
const panels: any[] = dashboard.panels.filter((p: any) => p.type !== 'row');
const exprs: string[] = panels.flatMap((p) => p.targets.map((t: any) => t.expr));

describe('scripts/grafana/buffalo.json', () => {
  it('queries only series Buffalo exports (catalog or prom-client defaults)', () => {
    collectDefaultMetrics({ register: defaultRegistry });
    const known = new Set<string>();
    for (const s of METRIC_SERIES) {
      known.add(s.name);
      if (s.type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) known.add(s.name + suffix);
    }
    for (const m of defaultRegistry.getMetricsAsArray()) {
      known.add(m.name);
      for (const suffix of ['_bucket', '_sum', '_count']) known.add(m.name + suffix);
    }
    defaultRegistry.clear();
    const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\b((?:buffalo|process|nodejs)_\w+)/g)].map((m) => m[1])));
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) expect(known.has(name), `${name} is not exported`).toBe(true);
  });

  it('has the panels an operator needs', () => {
    const text = exprs.join('\n');
    for (const series of [
      'buffalo_http_request_duration_seconds_count',
      'buffalo_http_request_duration_seconds_bucket',
      'buffalo_webhook_receipt_duration_seconds_bucket',
      'buffalo_outbox_rows',
      'buffalo_outbox_oldest_queued_age_seconds',
      'buffalo_outbox_processed_total',
      'buffalo_sync_runs_total',
      'buffalo_vendor_rate_limited_total',
      'buffalo_revenue_query_duration_seconds_bucket',
      'buffalo_alerts_firing',
    ])
      expect(text, series).toContain(series);
    expect(text).toContain('histogram_quantile(0.95, sum by (le, route)');
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of panels) expect(p.datasource?.uid, p.title).toBe('${datasource}');
  });
});
