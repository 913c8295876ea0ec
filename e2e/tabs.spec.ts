import { expect, test } from './test.js';
import { checkInvariants, counts, openHarness, readLog, waitCompleted } from './harness.js';

test.describe('several tabs of one origin', () => {
  test('reloading the running page 3 times while 200 jobs run loses none and runs none after its completion', async ({ page }) => {
    test.setTimeout(120_000);
    const query = { queue: 'reload', mode: 'worker', workers: 2, concurrency: 4, start: 1 };
    await openHarness(page, query);
    await page.evaluate(() => window.h.addMany(200, { ms: 25 }));
    for (let i = 0; i < 3; i++) {
      // Reload once some more jobs have completed, i.e. in the middle of the run.
      const before = (await counts(page)).completed ?? 0;
      await expect.poll(async () => (await counts(page)).completed, { timeout: 30_000 }).toBeGreaterThan(before + 10);
      await openHarness(page, query);
    }
    await waitCompleted(page, 200, 90_000);
    expect(await counts(page)).toEqual({ pending: 0, processing: 0, completed: 200, retrying: 0, failed: 0 });
    const { overlaps, afterComplete, starts, ends } = checkInvariants(await readLog(page));
    expect(overlaps).toBe(0);
    expect(afterComplete).toBe(0);
    expect(starts.size).toBe(200);
    expect(ends.size).toBe(200);
  });

  test('3 tabs with runners complete 150 jobs, each exactly once, with no two executions of a job overlapping', async ({ context }) => {
    test.setTimeout(90_000);
    const pages = await Promise.all([0, 1, 2].map(() => context.newPage()));
    for (const p of pages) await openHarness(p, { queue: 'three', mode: 'worker', workers: 1, concurrency: 3, start: 1 });
    await (pages[0] ?? pages[1])!.evaluate(() => window.h.addMany(150, { ms: 10 }));
    await waitCompleted(pages[1]!, 150);
    const log = await readLog(pages[2]!);
    const { overlaps, afterComplete, starts, ends } = checkInvariants(log);
    expect(overlaps).toBe(0);
    expect(afterComplete).toBe(0);
    expect(starts.size).toBe(150);
    // Listed by id, so a failure names the jobs that ran more than once.
    expect([...starts].filter(([, n]) => n !== 1)).toEqual([]);
    expect([...ends].filter(([, n]) => n !== 1)).toEqual([]);
    // The work really was shared between the tabs.
    const tabs = new Set(log.filter((e) => e.kind === 'start').map((e) => e.tab));
    expect(tabs.size).toBeGreaterThan(1);
  });

  test('closing the tab that runs a long job lets another tab run it within 2 s', async ({ context }) => {
    const a = await context.newPage();
    const b = await context.newPage();
    await openHarness(a, { queue: 'takeover', mode: 'worker', concurrency: 1, start: 1 });
    const id = await a.evaluate(async () => (await window.h.add({ ms: 60_000 })).id);
    await expect.poll(async () => (await readLog(a)).some((e) => e.kind === 'start' && e.job === id)).toBe(true);
    await openHarness(b, { queue: 'takeover', mode: 'worker', concurrency: 1, start: 1 });
    const closedAt = await b.evaluate(() => performance.timeOrigin + performance.now());
    await a.close();
    await expect
      .poll(async () => (await readLog(b)).filter((e) => e.kind === 'start' && e.job === id).length, { timeout: 5_000, intervals: [50] })
      .toBe(2);
    const restart = (await readLog(b)).filter((e) => e.kind === 'start' && e.job === id)[1]!;
    expect(restart.t - closedAt).toBeLessThan(2_000);
    expect(restart.attempt).toBe(2);
  });

  test('on("completed") and waitFor in one tab see jobs finished in another', async ({ context }) => {
    const watcher = await context.newPage();
    const runner = await context.newPage();
    await openHarness(watcher, { queue: 'cross' });
    await openHarness(runner, { queue: 'cross', mode: 'page', start: 1 });
    const id = await watcher.evaluate(async () => (await window.h.add({ ms: 1 })).id);
    expect(await watcher.evaluate((jobId) => window.h.waitFor(jobId), id)).toEqual({ ok: true, attempt: 1 });
    await expect.poll(() => watcher.evaluate((jobId) => window.h.events.some((e) => e.event === 'completed' && e.id === jobId), id)).toBe(true);
    // Handlers in page mode ran in the runner tab only.
    expect((await readLog(watcher)).every((e) => e.where === 'page')).toBe(true);
    expect(await watcher.evaluate(() => window.h.events.some((e) => e.event === 'drained'))).toBe(true);
  });

  test('the global concurrency holds across tabs', async ({ context }) => {
    const pages = [await context.newPage(), await context.newPage()];
    for (const p of pages) await openHarness(p, { queue: 'global', mode: 'page', concurrency: 2, start: 1 });
    await pages[0]!.evaluate(() => window.h.addMany(30, { ms: 40 }));
    await waitCompleted(pages[0]!, 30);
    const log = await readLog(pages[0]!);
    // Sweep start/end events in time order: never more than 2 executions at once.
    const edges = log.filter((e) => e.kind === 'start' || e.kind === 'end').sort((x, y) => x.t - y.t);
    let running = 0;
    let peak = 0;
    for (const e of edges) {
      running += e.kind === 'start' ? 1 : -1;
      peak = Math.max(peak, running);
    }
    expect(peak).toBeLessThanOrEqual(2);
    expect(peak).toBe(2);
  });

  test('pause() in one tab stops claims in every tab; resume() restarts them', async ({ context }) => {
    const a = await context.newPage();
    const b = await context.newPage();
    await openHarness(a, { queue: 'pause', mode: 'page', concurrency: 2, start: 1 });
    await openHarness(b, { queue: 'pause', mode: 'page', concurrency: 2, start: 1 });
    await a.evaluate(() => window.h.pause());
    await b.evaluate(() => window.h.addMany(5, { ms: 1 }));
    await a.evaluate(() => window.h.add({ ms: 1 }));
    // Both runners were woken by the adds (they saw the events); give their claim passes a moment.
    for (const p of [a, b]) await expect.poll(() => p.evaluate(() => window.h.events.filter((e) => e.event === 'added').length)).toBe(6);
    await b.waitForTimeout(300);
    expect((await counts(b)).pending).toBe(6);
    for (const p of [a, b]) expect(await p.evaluate(() => window.h.events.filter((e) => e.event === 'active').length)).toBe(0);
    await b.evaluate(() => window.h.resume());
    await waitCompleted(a, 6);
  });

  test('without Web Locks, a time lease lets another tab take over a dead tab\'s job', async ({ context }) => {
    const a = await context.newPage();
    const b = await context.newPage();
    const query = { queue: 'nolocks', mode: 'worker', concurrency: 1, start: 1, nolocks: 1, leaseMs: 1000 };
    await openHarness(a, query);
    const id = await a.evaluate(async () => (await window.h.add({ ms: 60_000 })).id);
    await expect.poll(async () => (await readLog(a)).some((e) => e.kind === 'start' && e.job === id)).toBe(true);
    await openHarness(b, query);
    await a.close();
    await expect.poll(async () => (await readLog(b)).filter((e) => e.kind === 'start' && e.job === id).length, { timeout: 10_000 }).toBe(2);
    const job = await b.evaluate((jobId) => window.h.get(jobId), id);
    expect(job?.attempts).toBe(2);
    expect(job?.state).toBe('processing');
  });
});
