import { existsSync } from 'node:fs';

/**
 * Debian's Chromium, for browser tests driven by playwright-core: its path, or undefined (with a line saying the
 * tests are skipped) when it is not installed. Under CI=true a missing browser throws, so the run fails; .ci/run
 * installs it.
 */
export function chromiumPath(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => p !== undefined && p !== '');
  const found = candidates.find((p) => existsSync(p));
  if (found !== undefined) return found;
  if (process.env.CI === 'true') throw new Error('Chromium is not installed (apt-get install -y chromium), and CI=true requires it');
  console.log('# skipping browser tests: no Chromium at /usr/bin/chromium (apt-get install -y chromium)');
  return undefined;
}

/** The flags every browser test launches Chromium with. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
