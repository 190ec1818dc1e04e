import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core (no browser download: the machines have no
 * internet). CHROMIUM_PATH overrides the binary; `.ci/run` installs the package when missing.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM_PATH);
export const IN_CI = process.env.CI === 'true';

export const MISSING_CHROMIUM =
  `Chromium was not found at ${CHROMIUM_PATH}: the dashboard's browser tests need it. ` +
  'Install it with `apt-get install -y chromium` (as root; .ci/run does this) or point CHROMIUM_PATH at a Chromium binary.';

if (!HAVE_CHROMIUM && !IN_CI) {
  console.warn(
    `\n${'!'.repeat(100)}\n!!! SKIPPING the dashboard browser tests. ${MISSING_CHROMIUM}\n${'!'.repeat(100)}\n`,
  );
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
