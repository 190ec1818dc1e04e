/**
 * A separate load process for the ingest bench, so the load generator does not share the server's
 * event loop (an in-process generator measured its own cost too). Spawned by scripts/bench/ingest.ts
 * with one JSON argument; prints one JSON line with throughput, latency percentiles and statuses.
 *
 *   kind 'get'     GET `path` `total` times
 *   kind 'stripe'  POST signed Stripe charge.succeeded events to `path` (bodies and signatures are
 *                  made before the clock starts; every `duplicateEvery`-th request resends an
 *                  earlier event id, which must be answered duplicate:true)
 *
 * node:http with a keep-alive agent of `concurrency` sockets: far lighter per request than fetch.
 */
import { Agent, request } from 'node:http';
import { createHmac } from 'node:crypto';
import { stats } from './measure.js';
import { chargeEvent } from './fixtures.js';
import { cpuStart, type CpuGroups, type CpuWindow } from './cpu.js';

export interface LoadSpec {
  url: string;
  path: string;
  kind: 'get' | 'stripe';
  total: number;
  concurrency: number;
  /** Stripe: the webhook signing secret. */
  secret?: string;
  /** Stripe: event id prefix, unique per run. */
  prefix?: string;
  /** Stripe: every n-th request repeats the event of request i - 1 (0 = never). */
  duplicateEvery?: number;
  /** Untimed requests first (JIT, connections). */
  warmup?: number;
  /** Processes whose CPU time over the timed window is reported (the load client is added as `client`). */
  cpu?: CpuGroups;
}

export interface LoadResult {
  total: number;
  perSecond: number;
  wallMs: number;
  latencyMs: ReturnType<typeof stats>;
  statuses: Record<string, number>;
  duplicatesAnswered: number;
  duplicatesSent: number;
  cpu?: CpuWindow;
}

function sign(body: string, secret: string): string {
  const t = Math.floor(Date.now() / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const target = new URL(spec.url);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const warm = spec.warmup ?? 0;
  const n = spec.total + warm;
  const bodies: (Buffer | null)[] = [];
  const sigs: string[] = [];
  let duplicatesSent = 0;
  for (let i = 0; i < n; i++) {
    if (spec.kind === 'get') {
      bodies.push(null);
      continue;
    }
    const every = spec.duplicateEvery ?? 0;
    const dup = every > 0 && i > 0 && i % every === 0;
    if (dup && i >= warm) duplicatesSent++;
    const j = dup ? i - 1 : i;
    const body = JSON.stringify(chargeEvent(`evt_${spec.prefix}_${j}`, `ch_${spec.prefix}_${j}`, 1000 + (j % 50)));
    bodies.push(Buffer.from(body));
    sigs.push(sign(body, spec.secret ?? ''));
  }

  const send = (i: number) =>
    new Promise<{ status: number; duplicate: boolean }>((resolve, reject) => {
      const body = bodies[i];
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: spec.path,
          method: body ? 'POST' : 'GET',
          agent,
          headers: body
            ? { 'content-type': 'application/json', 'content-length': body.length, 'stripe-signature': sigs[i] }
            : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              duplicate: body !== null && Buffer.concat(chunks).includes('"duplicate":true'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body ?? undefined);
    });

  const statuses: Record<string, number> = {};
  const lat: number[] = [];
  let duplicatesAnswered = 0;
  let next = 0;
  let t0 = 0;
  let cpuEnd: (() => CpuWindow) | null = null;
  const startClock = () => {
    t0 = performance.now();
    if (spec.cpu) cpuEnd = cpuStart({ ...spec.cpu, client: [process.pid] });
  };
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      if (i === warm) startClock();
      const s = performance.now();
      const r = await send(i);
      if (i < warm) continue;
      lat.push(performance.now() - s);
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (r.duplicate) duplicatesAnswered++;
    }
  };
  if (warm === 0) startClock();
  await Promise.all(Array.from({ length: Math.min(spec.concurrency, n) }, worker));
  const wallMs = performance.now() - t0;
  const cpu = (cpuEnd as (() => CpuWindow) | null)?.() ?? undefined;
  agent.destroy();
  return {
    total: spec.total,
    perSecond: Math.round((spec.total / wallMs) * 1000),
    wallMs: Math.round(wallMs),
    latencyMs: stats(lat),
    statuses,
    duplicatesAnswered,
    duplicatesSent,
    ...(cpu ? { cpu } : {}),
  };
}

// Run as a child process: `node load-client.js '<LoadSpec JSON>'`.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\u0000')) {
  runLoad(JSON.parse(process.argv[2] ?? '{}') as LoadSpec).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (err) => {
      process.stderr.write(`load failed: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
