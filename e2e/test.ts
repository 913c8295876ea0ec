/**
 * The one way to write a browser test here: import `test` and `expect` from this file (not
 * from '@playwright/test') and use Playwright's `page` / `context` API. The same spec then runs
 * in the three projects of playwright.config.ts:
 *   chromium  Debian's Chromium, driven by Playwright over CDP
 *   firefox   Debian's Firefox ESR, driven by Playwright over WebDriver BiDi
 *   webkit    WebKitGTK's MiniBrowser under Xvfb, driven over WebDriver classic through the
 *             adapter in e2e/webkit/page.ts (Playwright cannot drive this WebKit build)
 *
 * A test, describe or spec whose subject does not exist in an engine says so in one line,
 * first in its body (or at the top of the file):
 *   onlyIn(['chromium'], 'Background Sync exists only in Chromium');
 * It is then skipped in the other engines, with the reason; the README's test section lists
 * what runs where. A test whose subject exists in an engine but is broken there today starts
 * with `failsIn('webkit', 'why')`: it runs, must fail, and fails the run once fixed.
 */
import { test as base, expect, type Browser, type BrowserContext } from '@playwright/test';
import { WdContext } from './webkit/page.js';
import { WebKitDriver } from './webkit/webdriver.js';

export { expect };
export type { Page, BrowserContext, Locator } from '@playwright/test';

export type Engine = 'chromium' | 'firefox' | 'webkit';
export const ENGINES: readonly Engine[] = ['chromium', 'firefox', 'webkit'];

/**
 * Keeps a test, a describe or a whole spec to the engines listed; `reason` says why, in one
 * line. Call it first in the test's body, the describe's body, or at the top of the file.
 * Elsewhere the tests show as skipped, with the reason.
 */
export function onlyIn(list: Engine[], reason: string): void {
  const why = `runs in ${list.join(', ')} only: ${reason}`;
  let inTest = true;
  try {
    test.info();
  } catch {
    inTest = false;
  }
  if (inTest) test.skip(!list.includes(test.info().project.name as Engine), why);
  else test.skip(({ browserName }) => !list.includes(browserName as Engine), why);
}

/**
 * A known failure in one engine, declared in the test's first line: the test still runs
 * there and must fail; once the cause is fixed it passes, which fails the run until the line
 * is removed.
 */
export function failsIn(engine: Engine, reason: string): void {
  test.fail(test.info().project.name === engine, `fails in ${engine}: ${reason}`);
}

export const test = base.extend<object, { webkitDriver: WebKitDriver | undefined }>({
  // One Xvfb display and WebKitWebDriver per test worker; each test gets its own session.
  webkitDriver: [
    async ({ browserName }, use) => {
      if (browserName !== 'webkit') return use(undefined);
      const driver = await WebKitDriver.start();
      await use(driver);
      await driver.stop();
    },
    { scope: 'worker', timeout: 30_000 },
  ],
  browser: [
    async ({ playwright, browserName, webkitDriver }, use) => {
      if (browserName === 'webkit' && webkitDriver) {
        // Nothing for Playwright to launch: a context is a WebDriver session, and
        // WebKitWebDriver holds one at a time (so no `context` fixture beside newContext()).
        const newContext = async (options: { baseURL?: string } = {}) =>
          WdContext.create(await webkitDriver.newSession(), options.baseURL ?? test.info().project.use.baseURL ?? 'about:blank');
        await use(
          new Proxy({ newContext } as object, {
            get: (target, p) => {
              if (p === 'then' || typeof p === 'symbol' || p in target) return Reflect.get(target, p);
              throw new Error(`browser.${p} is not available in the webkit project: use the page and context fixtures, or browser.newContext()`);
            },
          }) as Browser,
        );
        return;
      }
      const browser = await playwright[browserName].launch();
      await use(browser);
      await browser.close();
    },
    { scope: 'worker', timeout: 0 },
  ],
  context: async ({ browser, browserName, baseURL, webkitDriver }, use) => {
    if (browserName === 'webkit' && webkitDriver) {
      // A WebDriver session is a fresh browser with its own (ephemeral) storage, like a context.
      const context = await WdContext.create(await webkitDriver.newSession(), baseURL ?? 'about:blank');
      await use(context as unknown as BrowserContext);
      await context.close();
      return;
    }
    const context = await browser.newContext({ baseURL });
    if (browserName === 'firefox') retryNewPage(context);
    await use(context);
    await context.close();
  },
});

/**
 * Firefox ESR over BiDi now and then refuses to open a tab while another one is opening or
 * closing (`browsingContext.create: unknown error … TabManager.getTabBrowser(...) is
 * undefined`, seen once in a fresh-clone run at load 12): the browser's, not the queue's, so a
 * new page is asked for once more after that error only.
 */
function retryNewPage(context: BrowserContext): void {
  const newPage = context.newPage.bind(context);
  context.newPage = async () => {
    try {
      return await newPage();
    } catch (error) {
      if (!/browsingContext\.create.*getTabBrowser|getTabBrowser\(\.\.\.\) is undefined/s.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
      return newPage();
    }
  };
}
