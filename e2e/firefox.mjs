// How every browser run here launches Firefox: Debian's firefox-esr over WebDriver BiDi
// (Playwright's `moz-firefox` channel: stock Firefox, no patched build to download).
import { existsSync } from 'node:fs';

/** Debian's Firefox ESR, or FIREFOX_PATH. */
export function firefoxPath() {
  return process.env.FIREFOX_PATH ?? (existsSync('/usr/bin/firefox-esr') ? '/usr/bin/firefox-esr' : undefined);
}

/** Playwright launch options for it (playwright.config.ts and bench/run.mjs). */
export function firefoxLaunch() {
  return {
    channel: 'moz-firefox',
    launchOptions: {
      executablePath: firefoxPath(),
      headless: true,
      // Firefox throttles a background tab's timers (to one wake-up a second) only from 30 s
      // after its load; a user's background tab is usually older than that. From the start here.
      firefoxUserPrefs: { 'dom.timeout.throttling_delay': 0 },
    },
  };
}
