import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fmt, type BenchRow } from './bench-row.js';

/** The closing table (each figure beside its target and same-run baseline), one JSON line, and the results file. */
export function finish(
  rows: readonly BenchRow[],
  machine: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): string {
  const cells = rows.map((r) => [
    r.met === null ? ' ' : r.met ? '✓' : '✗',
    r.name,
    `${fmt(r.figure)} ${r.unit}`,
    r.target,
    r.baseline,
  ]);
  const header = ['', 'benchmark', 'figure', 'target', 'same-run baseline'];
  const md = [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...cells.map((c) => `| ${c.join(' | ')} |`),
  ].join('\n');
  process.stdout.write(`\n${md}\n\n`);
  const date = new Date().toISOString().slice(0, 10);
  const out = { date, machine, ...extra, rows };
  const dir = resolve('scripts/bench/results');
  mkdirSync(dir, { recursive: true });
  // A partial run (BENCH_ONLY) must not overwrite the day's full run.
  const only = process.env.BENCH_ONLY ? `-${process.env.BENCH_ONLY.replace(/[^a-z]+/g, '+')}` : '';
  const file = resolve(dir, `${date}${only}.json`);
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(out)}\n`);
  return file;
}
