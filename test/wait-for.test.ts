/**
 * `waitFor(id | job, { timeout?, signal? })` (issue 15): ends the wait, never the job; and
 * the outcome of a job deleted at completion (`removeOnComplete`) is not missed.
 */
import { describe, expect, it } from 'vitest';
import { JobFailedError, JobrailError, TimeoutError, startWorkers, type JobDef } from '../src/index.js';
import { KEEP_OUTCOMES_COUNT, KEEP_OUTCOMES_MS } from '../src/queue.js';
import { STORAGES, deferred, nextEvent, openTest } from './helpers/queues.js';

type Jobs = { work: JobDef<number, number>; other: string };

describe.each(STORAGES)('waitFor (%s storage)', (storage) => {
  it('rejects with a TimeoutError on the injected clock, and the job still completes', async () => {
    const { queue, clock } = await openTest<Jobs>(storage);
    const gate = deferred<void>();
    startWorkers(queue, { handlers: { work: async (n) => (await gate.promise, n * 2) } });
    const job = await queue.add('work', 21);
    const waiting = queue.waitFor(job, { timeout: 5000 });
    const outcome = waiting.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await nextEvent(queue, 'active');
    clock.advance(4999);
    await Promise.resolve();
    clock.advance(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toMatch(/Job 1 did not finish within the waitFor timeout of 5000 ms/);
    gate.resolve();
    expect(await queue.waitFor(job)).toBe(42);
  });

  it('rejects with the signal’s reason when it aborts, and at once for an aborted signal', async () => {
    const { queue } = await openTest<Jobs>(storage);
    const job = await queue.add('work', 1);
    const controller = new AbortController();
    const waiting = queue.waitFor(job.id, { signal: controller.signal });
    const reason = new Error('unmounted');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    await expect(queue.waitFor(job.id, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect((await queue.get(job.id))?.state).toBe('pending');
  });

  it('refuses bad options before waiting', async () => {
    const { queue } = await openTest<Jobs>(storage);
    const job = await queue.add('work', 1);
    await expect(queue.waitFor(job.id, { timeout: -1 })).rejects.toThrow(RangeError);
    await expect(queue.waitFor(job.id, { timout: 5 } as never)).rejects.toThrow(/Unknown waitFor option `timout`/);
    await expect(queue.waitFor(job.id, { signal: 'stop' } as never)).rejects.toThrow(/`signal` to be an AbortSignal/);
  });

  it('resolves for a job deleted at completion (removeOnComplete) before the wait began', async () => {
    const { queue } = await openTest<Jobs>(storage);
    startWorkers(queue, { handlers: { work: (n) => n + 1 } });
    const completed = nextEvent(queue, 'completed');
    const job = await queue.add('work', 1, { removeOnComplete: true });
    await completed;
    await expect.poll(() => queue.get(job.id)).toBeUndefined();
    expect(await queue.waitFor(job)).toBe(2);
  });

  it('rejects with JobFailedError for a job that failed and was then deleted by clean()', async () => {
    const { queue } = await openTest<Jobs>(storage);
    startWorkers(queue, {
      handlers: {
        work: () => {
          throw new Error('boom');
        },
      },
    });
    const failed = nextEvent(queue, 'failed');
    const job = await queue.add('work', 1, { retries: 0 });
    await failed;
    await queue.clean({ state: 'failed' });
    await expect(queue.waitFor(job)).rejects.toBeInstanceOf(JobFailedError);
  });

  it('finds the outcome of a job finished in another tab while this one was open', async () => {
    const t = await openTest<Jobs>(storage);
    const other = await t.another();
    startWorkers(other, { handlers: { work: (n) => n * 10 } });
    const completed = nextEvent(t.queue, 'completed');
    const job = await t.queue.add('work', 3, { removeOnComplete: true });
    await completed;
    await expect.poll(() => t.queue.get(job.id)).toBeUndefined();
    expect(await t.queue.waitFor(job.id)).toBe(30);
  });

  it(`forgets outcomes after ${String(KEEP_OUTCOMES_MS)} ms, and beyond the last ${String(KEEP_OUTCOMES_COUNT)}`, async () => {
    const { queue, clock } = await openTest<Jobs>(storage);
    startWorkers(queue, { handlers: { work: (n) => n, other: (s) => s } });
    const completed = nextEvent(queue, 'completed');
    const job = await queue.add('work', 1, { removeOnComplete: true });
    await completed;
    await expect.poll(() => queue.get(job.id)).toBeUndefined();
    clock.advance(KEEP_OUTCOMES_MS + 1);
    await expect(queue.waitFor(job)).rejects.toThrow(JobrailError);
    await expect(queue.waitFor(job)).rejects.toThrow(/is forgotten/);

    const first = await queue.add('work', 0, { removeOnComplete: true });
    const all = nextEvent(queue, 'completed', (j) => j.id === String(Number(first.id) + KEEP_OUTCOMES_COUNT));
    await queue.addBulk(Array.from({ length: KEEP_OUTCOMES_COUNT }, (_, i) => ({ name: 'other' as const, data: String(i), options: { removeOnComplete: true } })));
    await all;
    await expect(queue.waitFor(first)).rejects.toThrow(/No job with id/);
    expect(await queue.waitFor(String(Number(first.id) + KEEP_OUTCOMES_COUNT))).toBe(String(KEEP_OUTCOMES_COUNT - 1));
  });

  it('rejects when the job is removed while waiting', async () => {
    const { queue } = await openTest<Jobs>(storage);
    const job = await queue.add('work', 1);
    const waiting = queue.waitFor(job);
    await queue.remove(job.id);
    await expect(waiting).rejects.toThrow(/was removed before it finished/);
  });
});
