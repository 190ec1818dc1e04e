import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Bottleneck from 'bottleneck';
import pg from 'pg';
import { fmt, type BenchRow } from './bench-row.js';
import { progress } from './measure.js';

export interface BackfillBenchOptions {
  databaseUrl: string;
  /** Charges in the simulated account (made on demand by the simulator: 1M is fine). */
  charges: number;
  /** STRIPE_RATE_LIMIT_PER_S for both the backfill and the raw paging baseline (default 100, the maximum). */
  ratePerS?: number;
  /**
   * V8 heap ceiling of the job process (--max-old-space-size, MiB). Without one, Node sizes the
   * heap from the machine's memory (about 4 GiB here) and lets garbage pile up lazily: RSS then
   * grows with the run although nothing is retained (measured: 161 → 310 MiB over 100k charges
   * uncapped; 146 → 179 MiB with a 100 MiB ceiling, which would have failed on a leak).
   */
  heapCapMiB?: number | null;
}

const API_KEY = 'sk_test_bench_backfill_only';
/** The V8 heap ceiling `npm run job` runs with (package.json). */
const JOB_HEAP_CAP_MIB = 192;
const DAY = 86_400;

interface Started {
  proc: ChildProcess;
  url: string;
}

/** Starts the simulator child (scripts/bench/stripe-sim-child.ts) and waits for its URL. */
async function startSimulator(charges: number): Promise<Started> {
  const end = Math.floor(Date.now() / 1000) - 120;
  const arg = { apiKey: API_KEY, synthetic: { count: charges, start: end - 365 * DAY, end, seed: 9 } };
  const proc = spawn(
    process.execPath,
    [fileURLToPath(new URL('./stripe-sim-child.js', import.meta.url)), JSON.stringify(arg)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    proc.stdout.on('data', (c: Buffer) => {
      buf += c.toString();
      const line = buf.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    proc.once('exit', (code) => reject(new Error(`simulator exited ${code}`)));
  });
  return { proc, url };
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}

/**
 * Raw paging: /v1/charges, 100 a page, plain fetch + JSON.parse through a Bottleneck with the
 * settings StripeGateway uses for the same rate: what the vendor's limit lets anyone read.
 */
async function rawPaging(url: string, perS: number): Promise<{ records: number; ms: number }> {
  const limiter = new Bottleneck({
    reservoir: perS,
    reservoirRefreshAmount: perS,
    reservoirRefreshInterval: 1000,
    maxConcurrent: Math.max(1, Math.min(perS, 8)),
    minTime: Math.floor(1000 / perS / 2),
  });
  const t0 = performance.now();
  let records = 0;
  let after: string | null = null;
  for (;;) {
    const page = await limiter.schedule(async () => {
      const r = await fetch(`${url}/v1/charges?limit=100${after ? `&starting_after=${after}` : ''}`, {
        headers: { authorization: `Bearer ${API_KEY}` },
      });
      return (await r.json()) as { data: { id: string }[]; has_more: boolean };
    });
    records += page.data.length;
    if (!page.has_more || page.data.length === 0) break;
    after = page.data[page.data.length - 1].id;
  }
  const ms = performance.now() - t0;
  await limiter.disconnect();
  return { records, ms };
}

type JobRun = {
  records: number;
  ms: number;
  peakRssMiB: number;
  /** RSS (MiB) sampled at 10 %, 25 %, 50 %, 75 % and 90 % of the run: flat means no growth with the data. */
  rssAlongMiB: number[];
  status: string;
  runs: { entity: string; records: number; from_ms: number; to_ms: number }[];
};

/**
 * `npm run job -- fetch stripe full` as its own process (compiled, from dist-dev): its peak RSS is
 * the kernel's high-water mark (VmHWM), read from /proc while it runs; its pace comes from the
 * runs it recorded (first start to last finish), so process boot is not counted.
 */
async function backfillJob(
  o: BackfillBenchOptions,
  simUrl: string,
  perS: number,
  heapCapMiB: number | null = null,
): Promise<JobRun> {
  const db = new pg.Client({ connectionString: o.databaseUrl });
  await db.connect();
  try {
    const [{ max }] = (await db.query<{ max: string | null }>(`SELECT max(id)::text AS max FROM sync_runs`)).rows;
    const before = max ?? '0';
    const proc = spawn(
      process.execPath,
      [
        // The ceiling `npm run job` itself runs with (package.json): the bench measures what ships.
        ...(heapCapMiB ? [`--max-old-space-size=${heapCapMiB}`] : []),
        ...(process.env.BENCH_JOB_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_JOB_PROF}`] : []),
        fileURLToPath(new URL('../../src/job.js', import.meta.url)),
        'fetch',
        'stripe',
        'full',
      ],
      {
        env: {
          ...process.env,
          DATABASE_URL: o.databaseUrl,
          STRIPE_API_KEY: API_KEY,
          STRIPE_API_BASE: simUrl,
          STRIPE_RATE_LIMIT_PER_S: String(perS),
          STRIPE_PAGE_SIZE: '100',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const samples: { t: number; rss: number }[] = [];
    let peak = 0;
    const status = () => {
      try {
        const s = readFileSync(`/proc/${proc.pid}/status`, 'utf8');
        const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0);
        peak = Math.max(peak, kb('VmHWM'));
        samples.push({ t: performance.now(), rss: kb('VmRSS') });
      } catch {
        // exited between two samples
      }
    };
    const timer = setInterval(status, 250);
    const code = await new Promise<number | null>((r) => proc.once('exit', r));
    clearInterval(timer);
    if (code !== 0) throw new Error(`backfill job exited ${code}: ${out.slice(-500)}`);
    const [r] = (
      await db.query<{ records: string; ms: string; statuses: string }>(
        `SELECT sum(records_fetched)::text AS records,
                (extract(epoch FROM max(finished_at) - min(started_at)) * 1000)::text AS ms,
                string_agg(entity || ':' || status, ',') AS statuses
           FROM sync_runs WHERE id > $1::bigint AND source = 'stripe'`,
        [before],
      )
    ).rows;
    // Each entity's own run, relative to the first start: where the time between them goes.
    const perRun = (
      await db.query<{ entity: string; records: number; from_ms: number; to_ms: number }>(
        `SELECT entity, records_fetched AS records,
                round(extract(epoch FROM started_at - min(started_at) OVER ()) * 1000)::int AS from_ms,
                round(extract(epoch FROM finished_at - min(started_at) OVER ()) * 1000)::int AS to_ms
           FROM sync_runs WHERE id > $1::bigint AND source = 'stripe' ORDER BY started_at`,
        [before],
      )
    ).rows;
    const t0 = samples[0]?.t ?? 0;
    const t1 = samples[samples.length - 1]?.t ?? 0;
    const at = (f: number) => {
      const s = samples.find((x) => x.t >= t0 + f * (t1 - t0));
      return Math.round((s?.rss ?? 0) / 1024);
    };
    return {
      records: Number(r.records),
      ms: Number(r.ms),
      peakRssMiB: Math.round(peak / 1024),
      rssAlongMiB: [0.1, 0.25, 0.5, 0.75, 0.9].map(at),
      status: r.statuses,
      runs: perRun,
    };
  } finally {
    await db.end();
  }
}

/**
 * Stripe full backfill (issue 9 item 4): records/s of `npm run job -- fetch stripe full` (SDK,
 * limiter, outbox, one transaction per page, next page fetched while the previous one commits)
 * against raw paging of the same simulator at the same rate limit, in the same run.
 */
export async function benchBackfill(o: BackfillBenchOptions): Promise<BenchRow[]> {
  const perS = o.ratePerS ?? 100;
  const sim = await startSimulator(o.charges);
  try {
    const raw = await rawPaging(sim.url, perS);
    progress('backfill: raw paging', { records: raw.records, perSecond: Math.round((raw.records / raw.ms) * 1000) });
    const job = await backfillJob(o, sim.url, perS, JOB_HEAP_CAP_MIB);
    progress('backfill: job', job);
    const rawPerS = Math.round((raw.records / raw.ms) * 1000);
    const jobPerS = Math.round((job.records / job.ms) * 1000);
    const pct = Math.round((jobPerS / rawPerS) * 100);
    return [
      {
        name: `stripe full backfill, ${fmt(o.charges)} charges (separate job process, ${perS} req/s limit)`,
        figure: pct,
        unit: '% of raw paging',
        target: '≥ 90 %',
        baseline: `backfill ${fmt(jobPerS)} records/s; raw paging ${fmt(rawPerS)} records/s at the same limit`,
        met: pct >= 90,
        detail: { raw, job, rawPerS, jobPerS },
      },
    ];
  } finally {
    await stop(sim.proc);
  }
}

/** The same backfill at a large size (1M charges): its peak RSS, and whether RSS stays flat. */
export async function benchBackfillRss(o: BackfillBenchOptions): Promise<BenchRow[]> {
  const perS = o.ratePerS ?? 100;
  const cap = o.heapCapMiB === undefined ? JOB_HEAP_CAP_MIB : o.heapCapMiB;
  const sim = await startSimulator(o.charges);
  try {
    const job = await backfillJob(o, sim.url, perS, cap);
    progress('backfill rss: job', job);
    const jobPerS = Math.round((job.records / job.ms) * 1000);
    return [
      {
        name: `stripe full backfill, ${fmt(o.charges)} charges: peak RSS of the job process (${cap ? `--max-old-space-size=${cap}` : 'no heap ceiling'})`,
        figure: job.peakRssMiB,
        unit: 'MiB',
        target: '< 300 MiB, flat',
        baseline: `RSS along the run ${job.rssAlongMiB.join(' → ')} MiB; ${fmt(job.records)} records at ${fmt(jobPerS)}/s`,
        met: job.peakRssMiB < 300,
        detail: job,
      },
    ];
  } finally {
    await stop(sim.proc);
  }
}
