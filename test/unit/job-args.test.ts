import { describe, expect, it } from 'vitest';
import { overallStatus, parseJobArgs } from '../../src/runs/job.cli.js';
import type { RunStatus, SyncRun } from '../../src/runs/run.types.js';

describe('job CLI arguments', () => {
  it('parses fetch with a default incremental mode, and process', () => {
    expect(parseJobArgs(['fetch', 'stripe'])).toEqual({ command: 'fetch', source: 'stripe', mode: 'incremental' });
    expect(parseJobArgs(['fetch', 'hubspot', 'full'])).toEqual({ command: 'fetch', source: 'hubspot', mode: 'full' });
    expect(parseJobArgs(['fetch', 'gcal', 'incremental'])).toEqual({
      command: 'fetch',
      source: 'gcal',
      mode: 'incremental',
    });
    expect(parseJobArgs(['process'])).toEqual({ command: 'process' });
  });

  it('refuses anything else with a sentence', () => {
    const cases: [string[], RegExp][] = [
      [[], /command is required/],
      [['sync', 'stripe'], /Unknown command "sync"/],
      [['fetch'], /needs a source/],
      [['fetch', 'paypal'], /Unknown source "paypal"/],
      [['fetch', 'stripe', 'FULL'], /Unknown mode "FULL"/],
      [['fetch', 'stripe', 'full', 'now'], /Unexpected argument "now"/],
      [['process', '--all'], /Unexpected argument "--all"/],
    ];
    for (const [argv, message] of cases) {
      const res = parseJobArgs(argv);
      expect('error' in res && res.error, argv.join(' ')).toMatch(message);
    }
  });

  it('the job status is the worst of its runs; skipped only when every run was skipped', () => {
    const runs = (...s: RunStatus[]) => s.map((status) => ({ status }) as SyncRun);
    expect(overallStatus(runs('succeeded', 'skipped'))).toBe('succeeded');
    expect(overallStatus(runs('skipped', 'skipped'))).toBe('skipped');
    expect(overallStatus(runs('succeeded', 'partial'))).toBe('partial');
    expect(overallStatus(runs('partial', 'failed', 'skipped'))).toBe('failed');
  });
});
