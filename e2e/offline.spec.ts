/**
 * Offline-first in Chromium (issue 6): requiresNetwork jobs across a real network cut,
 * 429 + Retry-After through ctx.retryLater, the limiter across two tabs, and the service
 * worker draining the queue on a Background Sync event.
 */
import { expect, onlyIn, test, type BrowserContext, type Page } from './test.js';
import type { Job } from '../src/index.js';
import type { LogEntry, OffApi } from './pages/offline.js';

declare const off: OffApi;

let seq = 0;
const unique = (prefix: string) => `${prefix}-${String(Date.now())}-${String(++seq)}`;

async function openPage(page: Page, query: Record<string, string | number>, file = 'offline.html'): Promise<void> {
  const search = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  await page.goto(`/e2e/pages/${file}?${search.toString()}`);
  await expect(page.locator('#status')).toHaveText('ready', { timeout: 30_000 });
}

const getJob = (page: Page, id: string) => page.evaluate((jobId) => off.get(jobId), id) as Promise<Job>;
const log = (page: Page) => page.evaluate(() => off.log) as Promise<LogEntry[]>;

async function goOffline(context: BrowserContext, page: Page, offline: boolean): Promise<void> {
  await context.setOffline(offline);
  await expect.poll(() => page.evaluate(() => navigator.onLine)).toBe(!offline);
}

test.describe('offline-first', () => {
  test('requiresNetwork jobs wait while offline, keep their retries, and complete after reconnect', async ({ context, page }) => {
    onlyIn(['chromium', 'firefox'], 'needs network emulation (context.setOffline), which WebDriver classic lacks');
    await openPage(page, { queue: unique('net-wait'), start: 1 });
    await goOffline(context, page, true);
    const ids = await page.evaluate(async () => {
      const jobs = [];
      for (let n = 0; n < 3; n++) jobs.push(await off.add('fetch', { n }, { requiresNetwork: true, retries: 1 }));
      return jobs.map((j) => j.id);
    });
    // A job without requiresNetwork, added after them, runs: the runner is live and passes them over.
    const local = await page.evaluate(async () => (await off.add('limited', { n: 0 })).id);
    await page.evaluate((id) => off.waitFor(id), local);
    for (const id of ids) expect(await getJob(page, id)).toMatchObject({ state: 'pending', attempts: 0 });
    expect((await log(page)).filter((e) => e.name === 'fetch')).toEqual([]);

    await goOffline(context, page, false);
    await expect.poll(async () => (await page.evaluate(() => off.counts())).completed).toBe(4);
    for (const id of ids) expect(await getJob(page, id)).toMatchObject({ state: 'completed', attempts: 1, result: 200 });
  });

  test('an attempt cut off by the network going away uses no retry, waits, and completes after reconnect', async ({ context, page }) => {
    onlyIn(['chromium', 'firefox'], 'needs network emulation (context.setOffline), which WebDriver classic lacks');
    await openPage(page, { queue: unique('net-cut'), start: 1 });
    const id = await page.evaluate(async () => (await off.add('gated', { n: 1 }, { requiresNetwork: true, retries: 0 })).id);
    await expect.poll(() => page.evaluate(() => off.started(1))).toBe(true);
    await goOffline(context, page, true);
    await page.evaluate(() => off.release(1));
    // The real fetch failed (TypeError), while offline: the attempt does not count.
    await expect.poll(async () => (await getJob(page, id)).state).toBe('retrying');
    expect(await getJob(page, id)).toMatchObject({ state: 'retrying', attempts: 0, error: { name: 'TypeError' } });
    expect((await log(page)).filter((e) => e.kind === 'error')).toHaveLength(1);
    await goOffline(context, page, false);
    expect(await page.evaluate((jobId) => off.waitFor(jobId), id)).toBe(200);
    expect(await getJob(page, id)).toMatchObject({ state: 'completed', attempts: 1 });
  });

  test('a 429 with Retry-After delays the job through ctx.retryLater without using a retry', async ({ page }) => {
    const key = unique('polite');
    await openPage(page, { queue: key, start: 1 });
    const id = await page.evaluate(async (k) => (await off.add('polite', { key: k }, { retries: 0 })).id, key);
    await expect.poll(async () => (await getJob(page, id)).state).toBe('retrying');
    const waiting = await getJob(page, id);
    expect(waiting).toMatchObject({ attempts: 0, error: { name: 'RetryLaterError' } });
    expect(waiting.runAt - waiting.updatedAt).toBe(1000);
    expect(await page.evaluate((jobId) => off.waitFor(jobId), id)).toBe(200);
    expect(await getJob(page, id)).toMatchObject({ state: 'completed', attempts: 1 });
    const hits = await page.evaluate(async (k) => (await (await fetch(`/e2e/api/polite-hits?key=${encodeURIComponent(k)}`)).json()) as number[], key);
    expect(hits).toHaveLength(2);
    expect((hits[1] as number) - (hits[0] as number)).toBeGreaterThanOrEqual(950);
    expect((await log(page)).map((e) => e.kind)).toEqual(['start', 'retry-later', 'start', 'ok']);
  });

  test('the limiter { max: 2, duration: 1000 } holds across two tabs', async ({ context }) => {
    const queue = unique('limit-tabs');
    const tabs = [await context.newPage(), await context.newPage()];
    for (const tab of tabs) {
      await openPage(tab, { queue });
      await tab.evaluate(() => off.start({ concurrency: 4, limiter: { max: 2, duration: 1000 } }));
    }
    const [a, b] = tabs as [Page, Page];
    await a.evaluate(async () => {
      for (let n = 0; n < 8; n++) await off.add('limited', { n });
    });
    await expect.poll(async () => (await a.evaluate(() => off.counts())).completed, { timeout: 20_000 }).toBe(8);
    const entries = [...(await log(a)), ...(await log(b))].filter((e) => e.kind === 'ok');
    expect(entries).toHaveLength(8);
    const times = entries.map((e) => e.claimedAt).sort((x, y) => x - y);
    // In any 1000 ms, at most 2 starts: the 3rd start after any start is ≥ 1000 ms later.
    for (let i = 0; i + 2 < times.length; i++) expect((times[i + 2] as number) - (times[i] as number)).toBeGreaterThanOrEqual(1000);
    expect((times[7] as number) - (times[0] as number)).toBeGreaterThanOrEqual(3000);
    const perTab = [(await log(a)).filter((e) => e.kind === 'ok').length, (await log(b)).filter((e) => e.kind === 'ok').length];
    test.info().annotations.push({ type: 'starts per tab', description: perTab.join(' + ') });
  });
});

test.describe('Background Sync', () => {
  onlyIn(['chromium'], 'Background Sync exists only in Chromium, and the second test dispatches its event through CDP');

  /** Opens the app page, registers the e2e service worker, and a DevTools session on a tab without jobrail. */
  async function setUp(context: BrowserContext, queue: string) {
    const app = await context.newPage();
    await openPage(app, { queue });
    const registered = await app.evaluate((url) => off.registerServiceWorker(url), `/e2e/pages/sw-outbox.ts?queue=${queue}`);
    expect(registered.active).toBe(true);
    const devtools = await context.newPage();
    await devtools.goto('/e2e/pages/blank.html');
    const cdp = await context.newCDPSession(devtools);
    const registrations = new Map<string, { registrationId: string; scopeURL: string; isDeleted: boolean }>();
    cdp.on('ServiceWorker.workerRegistrationUpdated', (event) => {
      for (const r of event.registrations) registrations.set(r.registrationId, r);
    });
    await cdp.send('ServiceWorker.enable');
    const ours = () => [...registrations.values()].find((r) => r.scopeURL.endsWith('/e2e/pages/') && !r.isDeleted);
    const dispatchSync = async (origin: string, tag: string) => {
      await expect.poll(() => ours() !== undefined).toBe(true);
      await cdp.send('ServiceWorker.dispatchSyncEvent', { origin, registrationId: ours()?.registrationId as string, tag, lastChance: false });
    };
    const addOffline = (n: number) =>
      app.evaluate(async (count) => {
        const jobs = [];
        for (let i = 0; i < count; i++) jobs.push(await off.add('fetch', { n: i }, { requiresNetwork: true, retries: 0 }));
        return jobs.map((j) => j.id);
      }, n);
    return { app, dispatchSync, addOffline };
  }

  /** Reads the queue from a fresh tab that runs nothing. */
  async function watcher(context: BrowserContext, queue: string): Promise<Page> {
    const page = await context.newPage();
    await openPage(page, { queue });
    return page;
  }

  test('a page runner registers the sync tag while offline; on reconnect the service worker drains the jobs with every app tab closed', async ({ context }) => {
    const queue = unique('sw-auto');
    const { app, addOffline } = await setUp(context, queue);
    await goOffline(context, app, true);
    const ids = await addOffline(3);
    // A runner that finds requiresNetwork jobs waiting while offline registers jobrail:<queue>.
    await app.evaluate(() => off.start());
    await expect.poll(() => app.evaluate(() => off.syncTags())).toContain(`jobrail:${queue}`);
    await app.evaluate(() => off.stop());
    expect(await app.evaluate(() => off.counts())).toMatchObject({ pending: 3, completed: 0 });
    await app.close();

    // No tab of the app is open. The network comes back: the browser fires `sync` by itself.
    await context.setOffline(false);
    const check = await watcher(context, queue);
    await expect.poll(async () => (await check.evaluate(() => off.counts())).completed, { timeout: 20_000 }).toBe(3);
    for (const id of ids) {
      expect(await getJob(check, id)).toMatchObject({ state: 'completed', attempts: 1, result: { status: 200, where: 'service-worker' } });
    }
  });

  test('a sync event dispatched through DevTools makes the service worker drain the queue while no app tab is open', async ({ context, baseURL }) => {
    const queue = unique('sw-cdp');
    const tag = `jobrail:${queue}`;
    const { app, dispatchSync, addOffline } = await setUp(context, queue);
    // Added while offline and no runner anywhere: no sync tag is registered, nothing runs.
    await goOffline(context, app, true);
    const ids = await addOffline(3);
    await app.close();
    // (Chrome refuses to dispatch sync events while the network is emulated offline, so the
    // drain's own 'offline' exit is covered by the unit tests.)
    await context.setOffline(false);
    const check = await watcher(context, queue);
    expect(await check.evaluate(() => off.counts())).toMatchObject({ pending: 3, processing: 0, completed: 0 });

    await dispatchSync(new URL(baseURL as string).origin, tag);
    const reports = () => check.evaluate(() => off.swReports);
    await expect.poll(async () => (await reports()).length, { timeout: 20_000 }).toBe(1);
    expect((await reports())[0]).toEqual({ tag, ok: true, result: { reason: 'drained', attempts: 3, remaining: 0 } });
    for (const id of ids) {
      expect(await getJob(check, id)).toMatchObject({ state: 'completed', attempts: 1, result: { status: 200, where: 'service-worker' } });
    }
  });
});
