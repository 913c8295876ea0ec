/**
 * Fair share for throttled tabs (issue 12 point 5). Firefox runs a background tab's timers
 * about once a second; before, a hidden tab claimed every slot of the global concurrency
 * (all 30 jobs here) and the run took 16.6 s instead of about 1.3 s. Now a runner in a
 * hidden tab claims only after a short wait (stretched by the throttle) and never in the
 * transaction that settles its own jobs, so the visible tab runs the work at its own pace.
 * In Chromium and WebKit here every page is visible: the same run is checked, without the
 * throttle.
 */
import { expect, test } from './test.js';
import { openHarness, readLog, waitCompleted } from './harness.js';
import type { LogEntry } from './pages/harness-handlers.js';

/** First handler start to last handler end, from the handlers' own log. */
const span = (log: LogEntry[]) => {
  const ts = log.filter((e) => e.kind === 'start' || e.kind === 'end').map((e) => e.t);
  return Math.max(...ts) - Math.min(...ts);
};

test('a hidden tab does not hold the global concurrency: two tabs finish 30 jobs in about the time the visible one takes alone', async ({ context }) => {
  const options = { mode: 'page', concurrency: 2, start: 1 };
  const solo = await context.newPage();
  await openHarness(solo, { queue: 'fair-alone', ...options });
  await solo.evaluate(() => window.h.addMany(30, { ms: 40 }));
  await waitCompleted(solo, 30);
  const alone = span(await readLog(solo));
  await solo.close();

  const firefox = test.info().project.name === 'firefox';
  const background = await context.newPage();
  await openHarness(background, { queue: 'fair-two', ...options });
  // Playwright's pages are windows in Firefox, all visible; a tab opened from the page itself
  // sends its opener to the background, as a user's new tab does. (MiniBrowser blocks popups.)
  const front = firefox
    ? (await Promise.all([background.waitForEvent('popup'), background.evaluate(() => void window.open('/e2e/pages/blank.html'))]))[0]
    : await context.newPage();
  await front.waitForLoadState('load'); // the popup's own first navigation, before ours
  await openHarness(front, { queue: 'fair-two', ...options });
  expect(await background.evaluate(() => document.visibilityState)).toBe(firefox ? 'hidden' : 'visible');
  const since = await front.evaluate(() => performance.timeOrigin + performance.now());
  await front.evaluate(() => window.h.addMany(30, { ms: 40 }));
  await waitCompleted(front, 30);
  const log = (await readLog(front)).filter((e) => e.t >= since);
  const two = span(log);
  const perTab = new Map<string, number>();
  for (const e of log) if (e.kind === 'start') perTab.set(e.tab, (perTab.get(e.tab) ?? 0) + 1);
  test.info().annotations.push({ type: 'fair share', description: `alone ${String(Math.round(alone))} ms, two tabs ${String(Math.round(two))} ms; starts per tab ${[...perTab.values()].join(' + ')}` });
  expect(two).toBeLessThan(alone * 2 + 500);
});
