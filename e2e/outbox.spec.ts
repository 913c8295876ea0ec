import { expect, test } from './test.js';
import { counts, openHarness, readLog, waitCompleted } from './harness.js';
import type { LogEntry } from './pages/harness-handlers.js';

/** Attempts of the given jobs in start order, each with its end (success or failure) time. */
function attempts(log: LogEntry[], ids: Set<string>): { job: string; start: number; end: number | undefined; tab: string }[] {
  const out: { job: string; attempt: number; start: number; end: number | undefined; tab: string }[] = [];
  for (const e of [...log].sort((a, b) => a.t - b.t)) {
    if (!ids.has(e.job)) continue;
    if (e.kind === 'start') out.push({ job: e.job, attempt: e.attempt, start: e.t, end: undefined, tab: e.tab });
    if (e.kind === 'end' || e.kind === 'fail') {
      const run = out.find((r) => r.job === e.job && r.attempt === e.attempt && r.end === undefined);
      if (run) run.end = e.t;
    }
  }
  return out;
}

test.describe('outbox semantics in the browser', () => {
  test('two tabs, 5 groups × 10 jobs, concurrency 4, random failures: per group, starts in enqueue order and never overlapping; all groups progress while one retries', async ({ context }) => {
    test.setTimeout(120_000);
    const [a, b] = await Promise.all([context.newPage(), context.newPage()]);
    const query = { queue: 'groups', mode: 'worker', workers: 2, concurrency: 4, start: 1 };
    await openHarness(a!, query);
    await openHarness(b!, query);
    const specs: { data: Record<string, unknown>; options: Record<string, unknown> }[] = [];
    for (let i = 0; i < 10; i++) {
      for (let g = 0; g < 5; g++) {
        // The first job of group 0 fails three times, 1 s apart: its group waits, the others go on.
        const data = g === 0 && i === 0 ? { ms: 20, failUntil: 3 } : { ms: 20, failRate: 0.25 };
        const backoff = g === 0 && i === 0 ? { type: 'fixed', delay: 1000 } : { type: 'fixed', delay: 30 };
        specs.push({ data, options: { group: `g${String(g)}`, retries: 20, backoff } });
      }
    }
    const ids = await a!.evaluate((s) => window.h.addJobs(s as never), specs);
    await waitCompleted(b!, 50, 90_000);
    const log = await readLog(a!);
    const groupOf = new Map(ids.map((id, i) => [id, `g${String(i % 5)}`]));
    for (let g = 0; g < 5; g++) {
      const mine = ids.filter((_, i) => i % 5 === g);
      const runs = attempts(log, new Set(mine));
      // First starts follow enqueue order (retries of a job come before the next job).
      const firstStarts = [...new Set(runs.map((r) => r.job))];
      expect(firstStarts, `group g${String(g)}`).toEqual(mine);
      // Never two attempts of one group at once, in any tab.
      for (let i = 1; i < runs.length; i++) {
        expect(runs[i - 1]!.end, `group g${String(g)} attempt ${String(i - 1)} ended`).toBeDefined();
        expect(runs[i]!.start, `group g${String(g)}: attempt ${String(i)} starts after the previous ended`).toBeGreaterThanOrEqual(runs[i - 1]!.end!);
      }
    }
    // While g0's head was retrying (first failure to its last start), every other group completed jobs.
    const head = attempts(log, new Set([ids[0]!]));
    expect(head.length).toBe(4);
    const from = head[0]!.end!;
    const to = head[3]!.start;
    const doneMeanwhile = new Set(log.filter((e) => e.kind === 'end' && e.t > from && e.t < to).map((e) => groupOf.get(e.job)));
    expect([...doneMeanwhile].sort()).toEqual(['g1', 'g2', 'g3', 'g4']);
    // Both tabs ran jobs.
    expect(new Set(log.filter((e) => e.kind === 'start').map((e) => e.tab)).size).toBe(2);
  });

  test('replace under a concurrent claim from another tab: no version runs twice, versions run in order, the newest runs last', async ({ context }) => {
    test.setTimeout(60_000);
    const [adder, runner] = await Promise.all([context.newPage(), context.newPage()]);
    await openHarness(adder!, { queue: 'replace' });
    await openHarness(runner!, { queue: 'replace', mode: 'worker', concurrency: 2, start: 1 });
    const added = await adder!.evaluate(async () => {
      const out: { id: string; state: string; v: unknown }[] = [];
      for (let v = 1; v <= 40; v++) {
        const job = await window.h.add({ ms: 15, v }, { idempotencyKey: 'note:1', onDuplicate: 'replace' });
        out.push({ id: job.id, state: job.state, v: (job.data as { v: number }).v });
        await new Promise((r) => setTimeout(r, v % 3 === 0 ? 12 : 0));
      }
      return out;
    });
    expect(added.every((j, i) => j.v === i + 1)).toBe(true);
    await expect.poll(async () => {
      const c = await counts(runner!);
      return (c.pending ?? 0) + (c.processing ?? 0) + (c.retrying ?? 0);
    }, { timeout: 20_000 }).toBe(0);
    const starts = (await readLog(runner!)).filter((e) => e.kind === 'start' && e.queue === 'replace').sort((x, y) => x.t - y.t);
    const versions = starts.map((e) => e.v as number);
    // Some replaces met a running job (a successor ran after it), some a waiting one (merged).
    expect(versions.length).toBeGreaterThan(1);
    expect(versions.length).toBeLessThan(40);
    for (let i = 1; i < versions.length; i++) expect(versions[i]!).toBeGreaterThan(versions[i - 1]!);
    expect(versions.at(-1)).toBe(40);
    // The runs of one key never overlap.
    const runs = attempts(await readLog(runner!), new Set(starts.map((e) => e.job)));
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.start).toBeGreaterThanOrEqual(runs[i - 1]!.end!);
  });

  test('a job expires while the queue is paused: failed with ExpiredError at its time, never run', async ({ page }) => {
    await openHarness(page, { queue: 'expiry', mode: 'worker', concurrency: 2, start: 1 });
    const result = await page.evaluate(async () => {
      await window.h.pause();
      const t0 = Date.now();
      const job = await window.h.add({ ms: 1 }, { expiresIn: 800 });
      await new Promise<void>((resolve) => {
        const check = () => (window.h.events.some((e) => e.event === 'failed' && e.id === job.id) ? resolve() : setTimeout(check, 20));
        check();
      });
      const failedAt = window.h.events.find((e) => e.event === 'failed' && e.id === job.id)!.t;
      const stored = await window.h.get(job.id);
      await window.h.resume();
      return { id: job.id, after: failedAt - t0, state: stored?.state, error: stored?.error?.name, finishedAfter: (stored?.finishedAt ?? 0) - job.createdAt };
    });
    expect(result).toMatchObject({ state: 'failed', error: 'ExpiredError' });
    expect(result.after).toBeGreaterThanOrEqual(700);
    expect(result.after).toBeLessThan(2500);
    expect(result.finishedAfter).toBeGreaterThanOrEqual(800);
    await page.waitForTimeout(300);
    expect((await readLog(page)).filter((e) => e.job === result.id)).toEqual([]);
  });

  test('a dependency chain survives a reload: each job runs after the one before it, with its result in ctx.dependencies (worker handlers)', async ({ page }) => {
    test.setTimeout(60_000);
    const query = { queue: 'chain', mode: 'worker', concurrency: 3, start: 1 };
    await openHarness(page, query);
    const ids = await page.evaluate(() =>
      window.h.addJobs([
        { data: { ms: 1500 } },
        { data: { ms: 10 }, options: { dependsOn: [0] } },
        { data: { ms: 10 }, options: { dependsOn: [1] } },
      ]),
    );
    const [first, second, third] = ids as [string, string, string];
    expect(await page.evaluate((id) => window.h.get(id).then((j) => j?.waitingFor), third)).toEqual([second]);
    await expect.poll(async () => (await readLog(page)).some((e) => e.kind === 'start' && e.job === first)).toBe(true);
    // Reload while the first runs: it is cut off and runs again; the chain waits for it.
    await openHarness(page, query);
    await waitCompleted(page, 3, 30_000);
    const result = (await page.evaluate((id) => window.h.get(id), third))!.result as { dependencies: Record<string, { dependencies: Record<string, unknown> }> };
    expect(Object.keys(result.dependencies)).toEqual([second]);
    expect(Object.keys(result.dependencies[second]!.dependencies)).toEqual([first]);
    const log = await readLog(page);
    const endOf = (id: string) => Math.max(...log.filter((e) => e.job === id && e.kind === 'end').map((e) => e.t));
    const startsOf = (id: string) => log.filter((e) => e.job === id && e.kind === 'start').map((e) => e.t);
    expect(startsOf(first).length).toBe(2);
    expect(Math.min(...startsOf(second))).toBeGreaterThan(endOf(first));
    expect(Math.min(...startsOf(third))).toBeGreaterThan(endOf(second));
  });
});
