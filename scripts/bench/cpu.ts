import { readFileSync } from 'node:fs';

/**
 * Where a load's CPU went, read from /proc (Linux): the whole machine's busy share, and the CPU
 * seconds of named processes. Read by the load client itself at the first and last timed request,
 * so warm-up and the preparation of bodies are not counted.
 */
export interface CpuWindow {
  /** Busy share of all cores over the window (1 = every core busy all the time). */
  machineBusy: number;
  /** CPU seconds per process group over the window. */
  seconds: Record<string, number>;
}

/** USER_HZ: Linux reports process and machine times in 1/100 s. */
const TICK_S = 0.01;

function machineTicks(): { total: number; idle: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { total: fields.reduce((a, b) => a + b, 0), idle: fields[3] + (fields[4] ?? 0) };
}

function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "(comm)" the fields start at the third; utime and stime are the 14th and 15th.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return 0; // gone (a backend that exited): its time is lost to this window
  }
}

export type CpuGroups = Record<string, number[]>;

export function cpuStart(groups: CpuGroups): () => CpuWindow {
  const m0 = machineTicks();
  const p0 = Object.fromEntries(
    Object.entries(groups).map(([k, pids]) => [k, pids.reduce((a, p) => a + processTicks(p), 0)]),
  );
  return () => {
    const m1 = machineTicks();
    const seconds = Object.fromEntries(
      Object.entries(groups).map(([k, pids]) => [
        k,
        Math.round((pids.reduce((a, p) => a + processTicks(p), 0) - p0[k]) * TICK_S * 100) / 100,
      ]),
    );
    const total = m1.total - m0.total;
    return { machineBusy: total > 0 ? Math.round((1 - (m1.idle - m0.idle) / total) * 100) / 100 : 0, seconds };
  };
}
