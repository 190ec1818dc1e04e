/**
 * GET load with headers (the revenue bench; ingest has load-client.ts).
 * A load generator in its own process (the server under test never measures itself): issues
 * `total` requests with `concurrency` in flight and prints one JSON line of latency stats.
 * Usage: node load-client.js '<json spec>' with { url, total, concurrency, method?, headers?, bodies?, warmup? }.
 * `bodies` (optional) is a list of { body, headers } cycled per request (e.g. pre-signed webhooks).
 */
import { stats } from './measure.js';

interface Spec {
  url: string;
  total: number;
  concurrency: number;
  method?: string;
  headers?: Record<string, string>;
  bodies?: { body: string; headers?: Record<string, string> }[];
  expectStatus?: number;
  /**
   * Untimed requests first (default 5). A fresh load process opens its connection and compiles its
   * fetch path on the first requests; with 30–60 timed samples, those few would be the p95.
   */
  warmup?: number;
}

async function main() {
  const spec = JSON.parse(process.argv[2] ?? '{}') as Spec;
  const lat: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError: string | null = null;
  for (let i = 0; i < (spec.warmup ?? 5); i++) {
    const b = spec.bodies?.[i % spec.bodies.length];
    const r = await fetch(spec.url, {
      method: spec.method ?? 'GET',
      headers: { ...spec.headers, ...b?.headers },
      body: b?.body,
    });
    await r.text();
  }
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(spec.concurrency, spec.total) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= spec.total) return;
        const b = spec.bodies?.[i % spec.bodies.length];
        const s = performance.now();
        const r = await fetch(spec.url, {
          method: spec.method ?? 'GET',
          headers: { ...spec.headers, ...b?.headers },
          body: b?.body,
        });
        const text = await r.text();
        lat.push(performance.now() - s);
        if (r.status !== (spec.expectStatus ?? 200)) {
          errors++;
          firstError ??= `${r.status} ${text.slice(0, 200)}`;
        }
      }
    }),
  );
  const wallMs = performance.now() - t0;
  process.stdout.write(
    `${JSON.stringify({ latency: stats(lat), perSecond: Math.round((spec.total / wallMs) * 1000), errors, firstError })}\n`,
  );
}

void main();
