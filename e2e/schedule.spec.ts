/**
 * Schedules in Chromium (issue 6): one job per tick however many tabs run the queue, ticks
 * carried on by another tab when the scheduling one closes, and catch-up after every tab
 * was closed.
 */
import { expect, test, type Page } from './test.js';
import type { Job } from '../src/index.js';
import type { OffApi } from './pages/offline.js';

declare const off: OffApi;

let seq = 0;
const unique = (prefix: string) => `${prefix}-${String(Date.now())}-${String(++seq)}`;

async function openTab(page: Page, queue: string, start = true): Promise<void> {
  await page.goto(`/e2e/pages/schedule.html?queue=${queue}${start ? '&start=1' : ''}`);
  await expect(page.locator('#status')).toHaveText('ready', { timeout: 30_000 });
}

const ticks = async (page: Page): Promise<Job[]> => ((await page.evaluate(() => off.list('tick'))) as Job[]).sort((a, b) => a.runAt - b.runAt);

test.describe('schedules across tabs', () => {
  test('two tabs running one `every: 1000` schedule for 5 s produce 5 (±1) jobs, not 10', async ({ context }) => {
    const queue = unique('sched-two');
    const [a, b] = [await context.newPage(), await context.newPage()];
    await openTab(a, queue);
    await openTab(b, queue);
    const info = await a.evaluate(() => off.schedule('beat', { every: 1000 }, 'tick'));
    // The scenario itself is "for 5 s".
    await a.waitForTimeout(5000 + 200);
    await a.evaluate(() => off.unschedule('beat'));
    const jobs = await ticks(b);
    expect(jobs.length).toBeGreaterThanOrEqual(4);
    expect(jobs.length).toBeLessThanOrEqual(6);
    // One job per tick: distinct keys, ticks exactly 1000 ms apart from the first at now + 1000.
    expect(new Set(jobs.map((j) => j.idempotencyKey)).size).toBe(jobs.length);
    expect(jobs[0]?.runAt).toBe(info.nextRunAt);
    expect(jobs.map((j) => j.runAt - (jobs[0] as Job).runAt)).toEqual(jobs.map((_, i) => i * 1000));
    await expect.poll(async () => (await ticks(a)).every((j) => j.state === 'completed')).toBe(true);
    const ran = (await a.evaluate(() => off.log.length)) + (await b.evaluate(() => off.log.length));
    expect(ran).toBe(jobs.length);
  });

  test('when the tab that saved the schedule closes, another tab keeps firing it', async ({ context }) => {
    const queue = unique('sched-handover');
    const [a, b] = [await context.newPage(), await context.newPage()];
    await openTab(a, queue);
    await openTab(b, queue);
    await a.evaluate(() => off.schedule('beat', { every: 500 }, 'tick'));
    await expect.poll(async () => (await ticks(b)).length).toBeGreaterThanOrEqual(1);
    await a.close();
    const before = (await ticks(b)).length;
    await expect.poll(async () => (await ticks(b)).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(before + 3);
    // One read: a tick may land between two.
    const seen = await ticks(b);
    expect(new Set(seen.map((j) => j.idempotencyKey)).size).toBe(seen.length);
  });

  test('ticks missed while every tab was closed give one catch-up job when a tab runs the queue again', async ({ context }) => {
    const queue = unique('sched-catchup');
    const a = await context.newPage();
    await openTab(a, queue, false);
    const info = await a.evaluate(() => off.schedule('beat', { every: 1000 }, 'tick'));
    await a.close();
    // Every tab closed for about 3.5 s: three ticks or more are missed.
    const waiter = await context.newPage();
    await waiter.goto('/e2e/pages/blank.html');
    await waiter.waitForTimeout(3500);
    const b = await context.newPage();
    await openTab(b, queue);
    await expect.poll(async () => (await ticks(b)).length).toBeGreaterThanOrEqual(1);
    const jobs = await ticks(b);
    const first = jobs[0] as Job;
    // The schedule was saved 1 s before nextRunAt and no tab ran it for at least 3.5 s, so at
    // least three ticks (nextRunAt, +1 s, +2 s) fell due meanwhile; one job stands for all of
    // them (the latest), and later jobs are the live ticks after it.
    expect(first.runAt - (info.nextRunAt as number)).toBeGreaterThanOrEqual(2000);
    expect((first.runAt - (info.nextRunAt as number)) % 1000).toBe(0);
    expect(jobs.map((j) => j.runAt - first.runAt)).toEqual(jobs.map((_, i) => i * 1000));
  });
});
