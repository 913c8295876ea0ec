/**
 * Storage in every engine (issue 12): persistence status, Blob and File data, lost connections.
 * Persistence is decided per engine: Chromium grants or denies `persist()` without a prompt
 * (set here through the DevTools protocol's permission override), Firefox asks the user, and
 * WebKit's automation sessions have no `navigator.storage` at all.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserType } from '@playwright/test';
import { expect, onlyIn, test, type Page } from './test.js';
import { chromiumArgs, chromiumPath } from './chromium.mjs';
import type { StorageApi } from './pages/storage.js';

declare const st: StorageApi;

let seq = 0;
const unique = (prefix: string) => `${prefix}-${String(Date.now())}-${String(++seq)}`;

async function load(page: Page): Promise<void> {
  await page.goto('/e2e/pages/storage.html');
  await expect(page.locator('#status')).toHaveText('ready', { timeout: 30_000 });
}

/**
 * A Chromium profile on disk: an incognito context (Playwright's default) answers `false` to
 * every `persist()`, whatever the permission says.
 */
async function withProfile(playwright: { chromium: BrowserType }, baseURL: string | undefined, fn: (page: Page) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'jobrail-persist-'));
  const context = await playwright.chromium.launchPersistentContext(dir, { executablePath: chromiumPath(), args: chromiumArgs, baseURL });
  try {
    const page = await context.newPage();
    await load(page);
    await fn(page);
  } finally {
    await context.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function setPersistence(page: Page, setting: 'granted' | 'denied'): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  // Kept attached: the override ends with the session that set it.
  await cdp.send('Browser.setPermission', { permission: { name: 'persistent-storage' }, setting, origin: new URL(page.url()).origin });
}

test.describe('storage persistence in Chromium', () => {
  onlyIn(['chromium'], 'sets the persistent-storage permission through CDP, in a Chromium profile on disk');

  test('persist() granted: the status says persisted, with the usage and quota Chromium reports', async ({ playwright, baseURL }) => {
    await withProfile(playwright, baseURL, async (page) => {
      const name = unique('persist-granted');
      const before = await page.evaluate((n) => st.status(n), name);
      expect(before.persisted).toBe(false);
      expect(before.quota).toBeGreaterThan(0);
      expect(before.usage).toBeGreaterThanOrEqual(0);
      await setPersistence(page, 'granted');
      const after = await page.evaluate((n) => st.persist(n), name);
      expect(after).toMatchObject({ persisted: true, usage: expect.any(Number), quota: expect.any(Number) });
      expect(await page.evaluate((n) => st.status(n), name)).toMatchObject({ persisted: true });
    });
  });

  test('persist() denied: no error, the status says not persisted', async ({ playwright, baseURL }) => {
    await withProfile(playwright, baseURL, async (page) => {
      await setPersistence(page, 'denied');
      const name = unique('persist-denied');
      expect(await page.evaluate((n) => st.persist(n), name)).toMatchObject({ persisted: false, usage: expect.any(Number), quota: expect.any(Number) });
      expect(await page.evaluate((n) => st.status(n), name)).toMatchObject({ persisted: false });
    });
  });

  test('an incognito context never persists, and says so without an error', async ({ page }) => {
    await load(page);
    expect(await page.evaluate((n) => st.persist(n), unique('persist-incognito'))).toMatchObject({ persisted: false, quota: expect.any(Number) });
  });
});

test.describe('storage status where the browser says less', () => {
  test('Firefox: not persisted until the user allows it, with usage and quota; WebKit automation: unknown, no error', async ({ page, browserName }) => {
    onlyIn(['firefox', 'webkit'], 'Chromium is covered above, with the permission set either way');
    await load(page);
    const status = await page.evaluate((n) => st.status(n), unique('status'));
    if (browserName === 'webkit') {
      // No navigator.storage in WebKit's automation sessions (measured, WebKitGTK 2.50).
      expect(await page.evaluate(() => typeof navigator.storage)).toBe('undefined');
      expect(status).toEqual({ persisted: 'unknown' });
      expect(await page.evaluate((n) => st.persist(n), unique('persist'))).toEqual({ persisted: 'unknown' });
    } else {
      expect(status).toMatchObject({ persisted: false, usage: expect.any(Number), quota: expect.any(Number) });
    }
  });
});

test.describe('lost connections', () => {
  test('the browser force-closes every IndexedDB connection during a run of adds: each add resolves once, none is written twice, and every job stored runs', async ({ page }) => {
    onlyIn(
      ['chromium'],
      "needs a way to drop the connections from outside: CDP's Storage.clearDataForOrigin force-closes them; killing WebKit's network process (which holds IndexedDB) ends the WebDriver session, and WebDriver BiDi has no such command for Firefox",
    );
    await load(page);
    const name = unique('lost');
    const MAX = 5000;
    await page.evaluate(([n, max]) => st.startAdds(n, max), [name, MAX] as const);
    await expect.poll(() => page.evaluate(() => st.addsSettled())).toBeGreaterThanOrEqual(10);
    // Clearing the origin's IndexedDB force-closes every connection to it (the `close` event,
    // as when WebKit drops them) and deletes the database, which the queue then opens anew.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Storage.clearDataForOrigin', { origin: new URL(page.url()).origin, storageTypes: 'indexeddb' });
    const result = await page.evaluate(() => st.addsResult());
    expect(result.settledAtClose, 'adds settled when the connections were force-closed').toBeDefined();
    expect(result.settled, 'adds went on after the close').toBeLessThan(MAX);
    expect(result.rejected, 'adds that failed').toEqual([]);
    expect(result.resolved).toBe(result.settled);
    // The adds that committed before the clear went with the database; every later one is
    // stored exactly once: a contiguous run up to the last, no gaps, no doubles.
    const atClose = result.settledAtClose as number;
    const first = result.stored[0] ?? result.settled;
    expect(first).toBeLessThanOrEqual(atClose + 1);
    expect(result.stored).toEqual([...Array(result.settled - first).keys()].map((k) => k + first));
    expect(result.stored.length).toBeGreaterThanOrEqual(20);
    expect(await page.evaluate(([n, count]) => st.runAll(n, count), [name, result.stored.length] as const)).toEqual(result.stored);
  });
});

test.describe('Blob and File data in every engine and mode', () => {
  for (const where of ['page', 'worker'] as const) {
    test(`a ${where} handler gets Files and Blobs back intact, and so does get()`, async ({ page, browserName }) => {
      await load(page);
      // WebKit's automation session is ephemeral, as Private Browsing: IndexedDB refuses Blobs
      // there, and jobrail stores their bytes. Chromium and Firefox store them natively.
      const native = await page.evaluate(() => st.nativeBlobs());
      if (browserName === 'webkit') expect(native).toBe('UnknownError: Error preparing Blob/File data to be stored in object store');
      else expect(native).toBe(true);
      const seen = await page.evaluate(([n, w]) => st.blobs(n, w), [unique(`blobs-${where}`), where] as const);
      expectBlobs(seen, where);
    });
  }
});

/** What every engine must show for `blobData()`, whether it stored the Blobs natively or not. */
export function expectBlobs(seen: Awaited<ReturnType<StorageApi['blobs']>>, where: 'page' | 'worker'): void {
  const expected = {
    '$.file': { blob: true, file: true, type: 'text/plain', size: 10, text: 'hello file', name: 'note.txt', lastModified: 1_700_000_000_000 },
    '$.nested.list[0]': { blob: true, file: false, type: 'application/octet-stream', size: 4, text: new TextDecoder().decode(new Uint8Array([0, 1, 2, 255])) },
    '$.nested.list[1]': { blob: true, file: false, type: '', size: 0, text: '' },
    '$.map.map(k)': { blob: true, file: false, type: 'text/x-map', size: 8, text: 'in a map' },
    '$.buf': 'ArrayBuffer(9,8,7)',
    '$.when': 'Date(1234567)',
    '$.plain': '"text"',
  };
  expect(seen.state).toBe('completed');
  expect(seen.handler, `what the ${where} handler saw`).toEqual(expected);
  expect(seen.stored, 'what get() returns').toEqual(expected);
  if (where === 'page') expect(seen.result, 'the handler’s File result').toEqual({ $: { blob: true, file: true, type: 'application/x-out', size: 19, text: 'made by the handler', name: 'out.bin', lastModified: 42 } });
}
