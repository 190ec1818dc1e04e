import { fmt, runChild, type BenchRow } from './bench-row.js';
import type { LoadResult, LoadSpec } from './load-client.js';

export interface IngestBenchOptions {
  /** The running app, e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  /** STRIPE_WEBHOOK_SECRET of that app. */
  secret: string;
  /** Requests per measurement (default 20,000). */
  total?: number;
  concurrency?: number;
  /** Unique per call: event ids must be new. */
  prefix?: string;
  /** Postgres's processes (backends and background), whose CPU is reported beside the server's. */
  postgresPids?: number[];
}

/**
 * Webhook ingest from a separate load process (scripts/bench/load-client.ts): signed Stripe
 * webhooks verified and committed to the outbox (fsync on) with `concurrency` in flight, against
 * GET /healthz on the same server in the same run (the HTTP framework's floor). One request in 50
 * re-sends the previous event id, usually inside the same group commit: the run fails unless every
 * one of them is answered duplicate:true.
 */
/** Where the ingest's CPU went: machine busy share and CPU µs per request of each process group. */
function cpuNote(r: LoadResult): string {
  if (!r.cpu) return '';
  const perReq = (s: number) => Math.round((s * 1e6) / r.total);
  const parts = Object.entries(r.cpu.seconds).map(([k, s]) => `${k} ${perReq(s)} µs`);
  return `; CPU per webhook: ${parts.join(', ')}; machine ${Math.round(r.cpu.machineBusy * 100)} % busy`;
}

export async function benchIngest(opts: IngestBenchOptions): Promise<BenchRow[]> {
  const total = opts.total ?? 20_000;
  const concurrency = opts.concurrency ?? 32;
  // Untimed first: 3,000 requests bring the JIT and the pools to steady state (with 500 the
  // framework floor measured 1.1k/s where a warmed server answers 2.6–3k/s).
  const cpu = { server: [process.pid], postgres: opts.postgresPids ?? [] };
  const common = { url: opts.baseUrl, total, concurrency, warmup: Math.min(3_000, total), cpu };
  const health = await runChild<LoadResult>('./load-client.js', {
    ...common,
    kind: 'get',
    path: '/healthz',
  } satisfies LoadSpec);
  const ingest = await runChild<LoadResult>('./load-client.js', {
    ...common,
    kind: 'stripe',
    path: '/webhooks/stripe',
    secret: opts.secret,
    prefix: opts.prefix ?? `ingest${Date.now()}`,
    duplicateEvery: 50,
  } satisfies LoadSpec);
  const ok = ingest.statuses['200'] ?? 0;
  if (ok !== total)
    throw new Error(`webhook ingest: ${total - ok} of ${total} not answered 200: ${JSON.stringify(ingest.statuses)}`);
  if (ingest.duplicatesAnswered !== ingest.duplicatesSent)
    throw new Error(
      `webhook ingest: ${ingest.duplicatesSent} duplicates sent, ${ingest.duplicatesAnswered} answered duplicate:true`,
    );
  const healthNote = `GET /healthz ${fmt(health.perSecond)}/s, p99 ${health.latencyMs.p99} ms${cpuNote(ingest)}`;
  return [
    {
      name: `webhook ingest, ${concurrency} in flight (separate load process)`,
      figure: ingest.perSecond,
      unit: 'req/s',
      target: '≥ 3,000/s',
      baseline: healthNote,
      met: ingest.perSecond >= 3000,
      detail: { ingest, health },
    },
    {
      name: `webhook ingest p99, ${concurrency} in flight`,
      figure: ingest.latencyMs.p99,
      unit: 'ms',
      target: '≤ 50 ms',
      baseline: healthNote,
      met: ingest.latencyMs.p99 <= 50,
    },
  ];
}
