import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { currencyExponent } from '../common/currency.js';

export interface DashboardAsset {
  body: Buffer;
  contentType: string;
}

const PAGE_DIR = join('src', 'dashboard', 'public');

/**
 * The page's files live in src/dashboard/public and are not TypeScript, so tsc does not copy them
 * to dist/. Walking up from this module finds the package root both from src/dashboard (vitest)
 * and from dist/src/dashboard (`npm start`).
 */
export function dashboardPublicDir(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, PAGE_DIR);
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    if (dirname(dir) === dir)
      throw new Error(
        `Dashboard files not found: no ${PAGE_DIR}/index.html above ${from}; deploy src/dashboard/public with dist/.`,
      );
  }
}

/** Chart.js's self-contained UMD build (it defines window.Chart), from node_modules. */
function chartJsFile(): string {
  // chart.js's exports map hides dist/chart.umd.min.js; its CommonJS entry sits in the same folder.
  const main = createRequire(import.meta.url).resolve('chart.js');
  return join(dirname(main), 'chart.umd.min.js');
}

/**
 * Minor-unit exponents that are not 2, the same table the ledger was written with, so the page
 * places the decimal point where the backend did (JPY 0, KWD 3, …).
 */
function currencyExponents(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of Intl.supportedValuesOf('currency')) if (currencyExponent(c) !== 2) out[c] = currencyExponent(c);
  return out;
}

/** Every file the page loads, read once; a missing file is a packaging error and says which. */
export function loadDashboardAssets(): Map<string, DashboardAsset> {
  const dir = dashboardPublicDir();
  const file = (path: string, contentType: string): DashboardAsset => ({ body: readFileSync(path), contentType });
  return new Map([
    ['index.html', file(join(dir, 'index.html'), 'text/html; charset=utf-8')],
    ['dashboard.js', file(join(dir, 'dashboard.js'), 'text/javascript; charset=utf-8')],
    ['dashboard.css', file(join(dir, 'dashboard.css'), 'text/css; charset=utf-8')],
    ['chart.umd.min.js', file(chartJsFile(), 'text/javascript; charset=utf-8')],
    [
      'currency-exponents.json',
      { body: Buffer.from(JSON.stringify(currencyExponents())), contentType: 'application/json; charset=utf-8' },
    ],
  ]);
}

/**
 * Scripts only from this origin and never eval'd, no inline script or style, API calls only to
 * this origin, and no framing: the keys the page holds stay out of reach of injected content.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
