import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * One figure of the bench, as the final table prints it: the measured figure, its target, and the
 * baseline measured in the same run on the same machine (so a slow machine shows as a slow
 * baseline, not as a regression). `met` is null when the figure has no target of its own.
 */
export interface BenchRow {
  name: string;
  figure: number;
  unit: string;
  target: string;
  baseline: string;
  met: boolean | null;
  detail?: Record<string, unknown>;
}

export const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n));

/**
 * Runs a compiled bench script (next to this file in dist-dev) as a child process with one JSON
 * argument and returns its last stdout line parsed as JSON. stderr passes through.
 */
export function runChild<T>(script: string, arg: unknown, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path, JSON.stringify(arg)], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`${script} exited ${code}`));
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${script} printed no JSON result: ${last.slice(0, 200)}`));
      }
    });
  });
}
