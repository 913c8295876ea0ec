// One source for how every browser run here launches Chromium: the Playwright tests
// (playwright.config.ts) and the benchmarks (bench/run.mjs), which is plain Node.
import { existsSync } from 'node:fs';

/** Debian's Chromium where present (CI installs it), or CHROMIUM_PATH; otherwise Playwright's own browser. */
export function chromiumPath() {
  return process.env.CHROMIUM_PATH ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
}

/** Flags that work in a container as root, without a GPU or network services. */
export const chromiumArgs = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
