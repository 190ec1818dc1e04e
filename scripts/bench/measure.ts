import os from 'node:os';

/** Small measurement helpers shared by the benchmarks (no timed assertions: figures only). */
export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return NaN;
  const i = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[i];
}

export interface LatencyStats {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export function stats(samplesMs: number[]): LatencyStats {
  const s = [...samplesMs].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    n: s.length,
    p50: r(percentile(s, 50)),
    p95: r(percentile(s, 95)),
    p99: r(percentile(s, 99)),
    max: r(s[s.length - 1] ?? NaN),
    mean: r(mean),
  };
}

/** Runs `task` `total` times with `concurrency` in flight; returns per-call latencies and wall time. */
export async function load(
  total: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
  onProgress?: (done: number) => void,
) {
  const lat: number[] = [];
  let next = 0;
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const s = performance.now();
        await task(i);
        lat.push(performance.now() - s);
        done++;
        if (onProgress && done % Math.max(1, Math.floor(total / 10)) === 0) onProgress(done);
      }
    }),
  );
  const wallMs = performance.now() - t0;
  return { latency: stats(lat), wallMs, perSecond: Math.round((total / wallMs) * 1000) };
}

export function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    host: os.hostname(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: `${cpus[0]?.model ?? 'unknown'} x${cpus.length}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    load1: os.loadavg()[0].toFixed(2),
  };
}

export function progress(msg: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ ts: new Date().toISOString(), msg, ...fields })}\n`);
}
