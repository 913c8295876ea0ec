import { defineConfig, type Project } from '@playwright/test';
import { readdirSync, readFileSync } from 'node:fs';
import { chromiumArgs, chromiumPath } from './e2e/chromium.mjs';
import { firefoxLaunch } from './e2e/firefox.mjs';

const port = Number(process.env.E2E_PORT ?? 5174);
// The config is read by the runner and again by each test worker, which inherit its environment:
// this id names one run, e.g. for the packed app that all engines share (e2e/packed.spec.ts).
process.env.JOBRAIL_E2E_RUN ??= `${String(Date.now())}-${String(process.pid)}`;

// Every spec should take `test` from e2e/test.ts, which gives the webkit project its page and
// context. One that imports Playwright's own `test` still runs in Chromium and Firefox, but
// cannot run in WebKit: it is left out there, loudly, rather than failing the whole run.
const playwrightTestOnly = readdirSync('e2e').filter(
  (f) => f.endsWith('.spec.ts') && /import\s*\{[^}]*\btest\b[^}]*\}\s*from\s*'@playwright\/test'/.test(readFileSync(`e2e/${f}`, 'utf8')),
);
if (playwrightTestOnly.length > 0 && !process.env.TEST_WORKER_INDEX) {
  console.warn(`\n!! ${playwrightTestOnly.map((f) => `e2e/${f}`).join(', ')}: import { test, expect } from './test.js' instead of '@playwright/test', or it does not run in WebKit (see e2e/test.ts)\n`);
}

/** BROWSERS=chromium,firefox narrows a run to some engines (`--project` works too). */
const wanted = (process.env.BROWSERS ?? 'chromium,firefox,webkit').split(',');

export default defineConfig({
  testDir: 'e2e',
  testMatch: /.*\.spec\.ts/,
  // One at a time: the suite checks takeover timing on a shared 2-core machine.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list'], ['./e2e/engines-reporter.ts']],
  outputDir: 'test-results/e2e',
  use: {
    baseURL: `http://127.0.0.1:${String(port)}`,
    trace: 'off',
  },
  projects: (
    [
    { name: 'chromium', use: { browserName: 'chromium', launchOptions: { executablePath: chromiumPath(), args: chromiumArgs } } },
    { name: 'firefox', use: { browserName: 'firefox', ...firefoxLaunch() } },
    { name: 'webkit', testIgnore: playwrightTestOnly.map((f) => `**/${f}`), use: { browserName: 'webkit' } },
    ] as Project[]
  ).filter((p) => wanted.includes(p.name ?? '')),
  webServer: {
    command: `npx vite --port ${String(port)} --strictPort --host 127.0.0.1`,
    url: `http://127.0.0.1:${String(port)}/e2e/pages/blank.html`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
});
