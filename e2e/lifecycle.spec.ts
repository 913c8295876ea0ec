/**
 * Web Locks and the page lifecycle (issue 12 point 4), in every engine. Measured: a lock held
 * in a worker is released at once when its page reloads or closes, in all three engines;
 * Chromium and Firefox keep pages holding locks out of the back/forward cache, while
 * WebKitGTK 2.50 caches them, drops the page's own locks and keeps its workers' locks held.
 * jobrail's runner lets everything go on `pagehide` (persisted) and starts afresh on
 * `pageshow`, so another tab takes the jobs over at once and nothing runs twice.
 */
import { expect, test } from './test.js';
import { checkInvariants, openHarness, readLog, waitCompleted } from './harness.js';

const now = (page: { evaluate: (fn: () => number) => Promise<number> }) => page.evaluate(() => performance.timeOrigin + performance.now());

test.describe('Web Locks across the page lifecycle', () => {
  test('reloading the tab whose worker runs a long job lets it run again within 2 s', async ({ context }) => {
    const [a, b] = [await context.newPage(), await context.newPage()];
    const query = { queue: 'reload-worker-lock', mode: 'worker', concurrency: 1, start: 1 };
    await openHarness(a, query);
    const id = await a.evaluate(async () => (await window.h.add({ ms: 10, hangOnAttempt: 1, hangMode: 'async' })).id);
    await expect.poll(async () => (await readLog(a)).some((e) => e.kind === 'start' && e.job === id)).toBe(true);
    await openHarness(b, query);
    const reloadedAt = await now(b);
    await a.reload();
    // The worker's lock went with its page: the job's next attempt starts in one of the tabs.
    await expect.poll(async () => (await readLog(b)).filter((e) => e.kind === 'start' && e.job === id).length, { timeout: 5_000, intervals: [50] }).toBe(2);
    const restart = (await readLog(b)).filter((e) => e.kind === 'start' && e.job === id)[1]!;
    expect(restart.t - reloadedAt).toBeLessThan(2_000);
    expect(await b.evaluate((jobId) => window.h.waitFor(jobId), id)).toMatchObject({ ok: true, attempt: 2 });
  });

  test('a tab that goes into the back/forward cache lets another take its running job over within 2 s; back, it runs jobs again and none runs twice', async ({ context }) => {
    const [a, b] = [await context.newPage(), await context.newPage()];
    const query = { queue: 'bfcache', mode: 'worker', concurrency: 2, start: 1 };
    await openHarness(a, query);
    const id = await a.evaluate(async () => (await window.h.add({ ms: 10, hangOnAttempt: 1, hangMode: 'async' })).id);
    await expect.poll(async () => (await readLog(a)).some((e) => e.kind === 'start' && e.job === id)).toBe(true);
    await openHarness(b, query);
    await a.evaluate(() => ((window as unknown as { marker: string }).marker = 'still here'));
    const leftAt = await now(b);
    await a.goto('/e2e/pages/blank.html');
    await expect.poll(async () => (await readLog(b)).filter((e) => e.kind === 'start' && e.job === id).length, { timeout: 5_000, intervals: [50] }).toBe(2);
    const takeover = (await readLog(b)).filter((e) => e.kind === 'start' && e.job === id)[1]!;
    expect(takeover.t - leftAt).toBeLessThan(2_000);

    await a.evaluate(() => history.back());
    // While the engine navigates back, an evaluate may land in the page being left: read again.
    await expect.poll(() => a.evaluate(() => document.querySelector('#status')?.textContent ?? '').catch(() => 'navigating'), { timeout: 30_000 }).toBe('ready');
    // Which engine restored the page itself (measured: WebKit only) rather than loading it anew.
    const restored = await a.evaluate(() => (window as unknown as { marker?: string }).marker === 'still here');
    expect(restored).toBe(test.info().project.name === 'webkit');

    const ids = await b.evaluate(() => window.h.addMany(20, { ms: 100 }));
    await waitCompleted(b, 21);
    const log = await readLog(b);
    const { overlaps, afterComplete, starts } = checkInvariants(log);
    expect(overlaps).toBe(0);
    expect(afterComplete).toBe(0);
    expect(ids.filter((j) => starts.get(j) !== 1)).toEqual([]);

    // The tab that came back runs jobs by itself: its runner holds a lock again and claims.
    await b.evaluate(() => window.h.stop());
    const more = await a.evaluate(() => window.h.addMany(5, { ms: 10 }));
    await waitCompleted(a, 26);
    const after = checkInvariants(await readLog(a));
    expect(more.filter((j) => after.starts.get(j) !== 1)).toEqual([]);
    expect(after.overlaps).toBe(0);
  });
});
