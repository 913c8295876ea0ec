import { expect, onlyIn, test, type Page } from './test.js';
import { checkInvariants, counts, openHarness, readLog, waitCompleted } from './harness.js';

test.describe('handlers in a Web Worker pool', () => {
  test('jobs in a worker pool complete, each exactly once', async ({ page }) => {
    await openHarness(page, { queue: 'pool', mode: 'worker', workers: 2, concurrency: 4, start: 1 });
    await page.evaluate(() => window.h.addMany(40, { ms: 5 }));
    await waitCompleted(page, 40);
    const { overlaps, afterComplete, starts, ends } = checkInvariants(await readLog(page));
    expect(overlaps).toBe(0);
    expect(afterComplete).toBe(0);
    expect(starts.size).toBe(40);
    expect([...ends.values()].every((n) => n === 1)).toBe(true);
    // Handlers ran in workers, not on the page.
    expect((await readLog(page)).every((e) => e.where === 'worker')).toBe(true);
  });

  test('a worker that closes itself mid-job is replaced and the job completes on a later attempt', async ({ page }) => {
    await openHarness(page, { queue: 'crash-close', mode: 'worker', workers: 1, concurrency: 1, start: 1 });
    const id = await page.evaluate(async () => (await window.h.add({ ms: 5, crashOnAttempt: 1, crashMode: 'close' }, { backoff: { type: 'fixed', delay: 50 } })).id);
    expect(await page.evaluate((jobId) => window.h.waitFor(jobId), id)).toEqual({ ok: true, attempt: 2 });
    const job = await page.evaluate((jobId) => window.h.get(jobId), id);
    expect(job?.attempts).toBe(2);
  });

  test('an uncaught error in the worker fails the attempt, which retries and completes', async ({ page }) => {
    await openHarness(page, { queue: 'crash-throw', mode: 'worker', workers: 1, concurrency: 1, start: 1 });
    const id = await page.evaluate(async () => (await window.h.add({ ms: 5, crashOnAttempt: 1, crashMode: 'throw' }, { backoff: { type: 'fixed', delay: 50 } })).id);
    expect(await page.evaluate((jobId) => window.h.waitFor(jobId), id)).toEqual({ ok: true, attempt: 2 });
  });

  test('a job that kills its worker every time ends in failed after maxCrashes, and other jobs still run', async ({ page }) => {
    await openHarness(page, { queue: 'poison', mode: 'worker', workers: 1, concurrency: 1, start: 1 });
    const poison = await page.evaluate(async () => (await window.h.add({ crashAlways: true }, { retries: 10, backoff: { type: 'fixed', delay: 10 } })).id);
    const good = await page.evaluate(async () => (await window.h.add({ ms: 1 })).id);
    const error = await page.evaluate(async (jobId) => {
      try {
        await window.h.waitFor(jobId);
        return 'completed';
      } catch (e) {
        return (e as Error).message;
      }
    }, poison);
    expect(error).toMatch(/killed or hung its worker 2 times/);
    expect((await page.evaluate((jobId) => window.h.get(jobId), poison))?.attempts).toBe(2);
    expect(await page.evaluate((jobId) => window.h.waitFor(jobId), good)).toEqual({ ok: true, attempt: 1 });
  });

  test('a hung handler with a timeout is cut off by terminating its worker and fails with TimeoutError', async ({ page }) => {
    await openHarness(page, { queue: 'hang', mode: 'worker', workers: 1, concurrency: 1, start: 1 });
    const id = await page.evaluate(async () => (await window.h.add({ hang: true }, { timeout: 300, retries: 0 })).id);
    const job = await page.evaluate(async (jobId) => {
      try {
        await window.h.waitFor(jobId);
      } catch (e) {
        return (e as { job: { state: string; error: { name: string; message: string } } }).job;
      }
      return undefined;
    }, id);
    expect(job?.state).toBe('failed');
    expect(job?.error.name).toBe('TimeoutError');
    // The pool replaced the terminated worker: the next job runs.
    const next = await page.evaluate(async () => (await window.h.add({ ms: 1 })).id);
    expect(await page.evaluate((jobId) => window.h.waitFor(jobId), next)).toEqual({ ok: true, attempt: 1 });
  });

  test('a busy-hung handler is retried only after its worker has really stopped: the two never overlap', async ({ page }) => {
    await openHarness(page, { queue: 'hang-retry', mode: 'worker', workers: 1, concurrency: 1, start: 1 });
    // The timeout counts from the claim, so it covers starting the replacement worker too:
    // 300 ms was too short for that on a loaded 2-core machine (attempt 2 timed out as well).
    const id = await page.evaluate(async () => (await window.h.add({ hangOnAttempt: 1, ms: 5 }, { timeout: 1500, retries: 3, backoff: { type: 'fixed', delay: 0 } })).id);
    expect(await page.evaluate((jobId) => window.h.waitFor(jobId), id)).toEqual({ ok: true, attempt: 2 });
    const { overlaps } = checkInvariants(await readLog(page));
    expect(overlaps).toBe(0);
  });

  test('a job running beside one that kills its worker is blamed at most once and completes', async ({ page }) => {
    await openHarness(page, { queue: 'blame', mode: 'worker', workers: 1, concurrency: 2, start: 1 });
    const [innocent, poison] = await page.evaluate(async () => [
      (await window.h.add({ ms: 600 }, { retries: 5, backoff: { type: 'fixed', delay: 10 } })).id,
      (await window.h.add({ crashAlways: true, ms: 100 }, { retries: 5, backoff: { type: 'fixed', delay: 10 } })).id,
    ]);
    expect(await page.evaluate((jobId) => window.h.waitFor(jobId), innocent)).toMatchObject({ ok: true });
    const poisoned = await page.evaluate(async (jobId) => window.h.waitFor(jobId).catch((e: { job: { state: string; error: { message: string } } }) => e.job), poison);
    expect(poisoned).toMatchObject({ state: 'failed', error: { message: expect.stringMatching(/killed or hung its worker 2 times/) } });
  });

  test('a batch of claimed jobs is spread over the pool', async ({ page }) => {
    await openHarness(page, { queue: 'spread', mode: 'worker', workers: 2, concurrency: 4, start: 1 });
    await page.evaluate(() => window.h.addMany(4, { ms: 300 }));
    await waitCompleted(page, 4);
    const realms = new Set((await readLog(page)).filter((e) => e.kind === 'start').map((e) => e.realm));
    expect(realms.size).toBe(2);
  });

  test('a handler that honours its signal on timeout fails with TimeoutError and keeps its worker', async ({ page }) => {
    await openHarness(page, { queue: 'timeout', mode: 'worker', workers: 1, concurrency: 1, start: 1 });
    const id = await page.evaluate(async () => (await window.h.add({ ms: 10_000 }, { timeout: 200, retries: 0 })).id);
    const name = await page.evaluate(async (jobId) => {
      try {
        await window.h.waitFor(jobId);
      } catch (e) {
        return (e as { job: { error: { name: string } } }).job.error.name;
      }
      return 'completed';
    }, id);
    expect(name).toBe('TimeoutError');
    const aborts = (await readLog(page)).filter((e) => e.kind === 'abort' && e.job === id);
    expect(aborts).toHaveLength(1);
  });

  test('remove() of a running job aborts its handler and discards its outcome', async ({ page }) => {
    await openHarness(page, { queue: 'remove', mode: 'worker', workers: 1, concurrency: 1, start: 1 });
    const id = await page.evaluate(async () => (await window.h.add({ ms: 30_000 })).id);
    await expect.poll(async () => (await readLog(page)).some((e) => e.kind === 'start' && e.job === id)).toBe(true);
    expect(await page.evaluate((jobId) => window.h.remove(jobId), id)).toBe(true);
    await expect.poll(async () => (await readLog(page)).some((e) => e.kind === 'abort' && e.job === id)).toBe(true);
    expect(await page.evaluate((jobId) => window.h.get(jobId), id)).toBeUndefined();
    // The slot is free again.
    const next = await page.evaluate(async () => (await window.h.add({ ms: 1 })).id);
    expect(await page.evaluate((jobId) => window.h.waitFor(jobId), next)).toEqual({ ok: true, attempt: 1 });
  });

  test('a worker script that does not call serveHandlers is refused with an error that says so', async ({ page }) => {
    await openHarness(page, { queue: 'bad-worker' });
    const message = await page.evaluate(async () => {
      try {
        await window.h.start({ mode: 'bad-worker' });
        return 'started';
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(message).toMatch(/serveHandlers/);
    // The one start-up failure that can only be seen by waiting: the script loads, then is silent.
    expect(message).toMatch(/did not answer within 10 s/);
  });

  test.describe('a worker that fails to start rejects runner.ready at once, saying why', () => {
    /** Starts a runner on `url` and reports how `ready` rejected, and how long it took. */
    const startFailure = (page: Page, url: string, options: WorkerOptions = { type: 'module' }) =>
      page.evaluate(
        async ({ url, options }) => {
          const { openQueue, startWorkers } = await import('/src/index.ts' as string);
          const q = await openQueue(`start-failure-${Math.random().toString(36).slice(2)}`);
          const t0 = performance.now();
          const runner = startWorkers(q, { worker: () => new Worker(new URL(url, location.href), options) });
          try {
            await runner.ready;
            return { outcome: 'started', ms: performance.now() - t0 };
          } catch (e) {
            const error = e as Error & { cause?: unknown };
            return { outcome: 'rejected', ms: performance.now() - t0, name: error.name, message: error.message, hasCause: error.cause !== undefined };
          } finally {
            await q.close();
          }
        },
        { url, options },
      );
    // The handshake's deadline is 10 s; a start-up failure the browser reports must not wait for it.
    const PROMPT_MS = 5_000;

    test('a worker URL that answers 404', async ({ page }) => {
      await page.goto('/e2e/pages/blank.html');
      const got = await startFailure(page, '/e2e/pages/no-such.worker.ts');
      expect(got).toMatchObject({ outcome: 'rejected', name: 'JobrailError', hasCause: true });
      expect(got.message).toMatch(/could not be loaded/);
      expect(got.message).toMatch(/404/);
      expect(got.ms).toBeLessThan(PROMPT_MS);
    });

    test('a worker that throws at its top level', async ({ page }) => {
      await page.goto('/e2e/pages/blank.html');
      const got = await startFailure(page, '/e2e/pages/throws-at-load.worker.ts');
      expect(got).toMatchObject({ outcome: 'rejected', name: 'JobrailError', hasCause: true });
      expect(got.message).toMatch(/threw while loading: Error: JOBS_CONFIG is not set/);
      expect(got.message).toMatch(/throws-at-load\.worker\.ts:\d+/);
      expect(got.ms).toBeLessThan(PROMPT_MS);
    });

    test("a module worker created without { type: 'module' }", async ({ page }) => {
      onlyIn(['chromium', 'webkit'], "Firefox reports a module script loaded as a classic worker as a bare error event, no SyntaxError: jobrail can give only its generic 'could not be loaded' message there");
      await page.goto('/e2e/pages/blank.html');
      const got = await startFailure(page, '/e2e/pages/harness.worker.ts', {});
      expect(got).toMatchObject({ outcome: 'rejected', name: 'JobrailError', hasCause: true });
      expect(got.message).toMatch(/SyntaxError/);
      expect(got.message).toMatch(/create the worker with \{ type: 'module' \}/);
      expect(got.ms).toBeLessThan(PROMPT_MS);
    });

    test('a worker whose async set-up rejects before it calls serveHandlers', async ({ page }) => {
      await page.goto('/e2e/pages/blank.html');
      const got = await startFailure(page, '/e2e/pages/rejects-at-load.worker.ts');
      expect(got).toMatchObject({ outcome: 'rejected', name: 'JobrailError', hasCause: true });
      expect(got.message).toMatch(/failed while starting/);
      expect(got.message).toMatch(/Error: config endpoint answered 503/);
      expect(got.ms).toBeLessThan(PROMPT_MS);
    });
  });

  test('Blob, ArrayBuffer and typed array data reach a worker handler intact', async ({ page }) => {
    await openHarness(page, { queue: 'binary' });
    const result = await page.evaluate(async () => {
      const { openQueue, startWorkers } = await import('/src/index.ts' as string);
      const q = await openQueue('binary-data');
      const runner = startWorkers(q, { worker: () => new Worker(new URL('/e2e/pages/binary.worker.ts', location.href), { type: 'module' }) });
      const job = await q.add('inspect', { blob: new Blob(['hello blob'], { type: 'text/plain' }), buf: new Uint8Array([1, 2, 3]).buffer, arr: new Float64Array([1.5, 2.5]) });
      const out = await q.waitFor(job.id);
      await runner.stop();
      return out;
    });
    expect(result).toEqual({ blobText: 'hello blob', blobType: 'text/plain', buf: [1, 2, 3], arr: [1.5, 2.5] });
  });

  test('counts carry the whole history: nothing is left processing after a run', async ({ page }) => {
    await openHarness(page, { queue: 'tidy', mode: 'worker', workers: 2, concurrency: 2, start: 1 });
    await page.evaluate(() => window.h.addMany(10, { ms: 1, failUntil: 1 }, { backoff: { type: 'fixed', delay: 20 } }));
    await waitCompleted(page, 10);
    expect(await counts(page)).toEqual({ pending: 0, processing: 0, completed: 10, retrying: 0, failed: 0 });
  });

  test('two browser profiles each adding a job without an idempotency key give their handlers different keys', async ({ browser }) => {
    const keyInFreshProfile = async () => {
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto('/e2e/pages/blank.html');
        return await page.evaluate(async () => {
          const { openQueue, startWorkers } = await import('/src/index.ts' as string);
          const q = await openQueue('uploads');
          const runner = startWorkers(q, { worker: () => new Worker(new URL('/e2e/pages/key.worker.ts', location.href), { type: 'module' }) });
          const job = await q.add('upload', { bytes: Math.random() });
          const key = (await q.waitFor(job.id)) as string;
          await runner.stop();
          return { id: job.id as string, key };
        });
      } finally {
        await context.close();
      }
    };
    const a = await keyInFreshProfile();
    const b = await keyInFreshProfile();
    // Each profile's first job: the ids are the same counter value, the keys must not be.
    expect(a.id).toBe(b.id);
    expect(typeof a.key).toBe('string');
    expect(a.key).not.toBe(b.key);
  });
});
