import { describe, expect, it, vi } from 'vitest';
import { JobrailError, PermanentError, RetryLaterError, TimeoutError, startWorkers, type HandlerContext, type Job } from '../src/index.js';
import { STORAGES, deferred, nextDrained, nextEvent, openTest, record } from './helpers/queues.js';

type Jobs = { work: string; other: number };

/** A network whose state the test flips; `environment` option of openQueue. */
function fakeNetwork(online: boolean) {
  const listeners = new Set<(online: boolean) => void>();
  return {
    set(value: boolean) {
      online = value;
      for (const l of listeners) l(value);
    },
    env: {
      isOnline: () => online,
      onOnlineChange: (l: (online: boolean) => void) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    },
  };
}

describe.each(STORAGES)('running jobs (%s storage)', (storage) => {
  describe('handlers', () => {
    it('gives the handler its data and a context with the job, attempt, idempotency key and signal', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const contexts: HandlerContext[] = [];
      startWorkers(queue, {
        handlers: {
          work: (data, ctx) => {
            contexts.push(ctx as HandlerContext);
            return data.toUpperCase();
          },
        },
      });
      const keyed = await queue.add('work', 'a', { idempotencyKey: 'order-1' });
      const plain = await queue.add('work', 'b');
      expect(await queue.waitFor(keyed.id)).toBe('A');
      expect(await queue.waitFor(plain.id)).toBe('B');
      expect(contexts.map((c) => [c.job.id, c.job.state, c.job.attempts, c.attempt, c.idempotencyKey, c.signal.aborted])).toEqual([
        [keyed.id, 'processing', 1, 1, 'order-1', false],
        // Without a key: the job's random uid, never its per-database id (issue 11, defect 1).
        [plain.id, 'processing', 1, 1, expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/), false],
      ]);
      expect(await queue.get(keyed.id)).toMatchObject({ state: 'completed', result: 'A', attempts: 1 });
    });

    it('records a thrown non-Error value as the error message', async () => {
      const { queue } = await openTest<Jobs>(storage);
      startWorkers(queue, {
        handlers: {
          work: () => {
            throw 'plain string failure';
          },
        },
      });
      const job = await queue.add('work', 'x', { retries: 0 });
      const error = (await queue.waitFor(job.id).catch((e: unknown) => e)) as { job: Job };
      expect(error.job.error).toEqual({ name: 'Error', message: 'plain string failure' });
    });

    it('fails the attempt of a job whose name has no handler, naming the job name', async () => {
      const { queue } = await openTest<Jobs & { missing: null }>(storage);
      startWorkers(queue, { handlers: { work: () => 1 } });
      const job = await queue.add('missing', null, { retries: 1, backoff: { type: 'fixed', delay: 0 } });
      const error = (await queue.waitFor(job.id).catch((e: unknown) => e)) as { job: Job };
      expect(error.job).toMatchObject({ state: 'failed', attempts: 2 });
      expect(error.job.error?.message).toMatch(/No handler for job "missing"/);
    });

    it('fails a job whose result cannot be stored with a clear error', async () => {
      const { queue } = await openTest<Jobs>(storage);
      startWorkers(queue, { handlers: { work: () => () => 'a function' } });
      const job = await queue.add('work', 'x', { retries: 0 });
      const error = (await queue.waitFor(job.id).catch((e: unknown) => e)) as { job: Job };
      expect(error.job.state).toBe('failed');
      expect(error.job.error?.message).toMatch(/result of job .* cannot be stored/);
    });

    it('rejects a progress value that cannot be stored, and the handler can carry on', async () => {
      const { queue } = await openTest<Jobs>(storage);
      let progressError: unknown;
      startWorkers(queue, {
        handlers: {
          work: async (_d, ctx) => {
            progressError = await ctx.progress(Symbol('no')).catch((e: unknown) => e);
            await ctx.progress(0.5);
            return 'ok';
          },
        },
      });
      const job = await queue.add('work', 'x');
      expect(await queue.waitFor(job.id)).toBe('ok');
      expect(progressError).toBeInstanceOf(JobrailError);
      expect((progressError as Error).message).toMatch(/Progress of job .* cannot be stored/);
      expect((await queue.get(job.id))?.progress).toBe(0.5);
    });
  });

  describe('job options', () => {
    it('runs higher priority first, then equal priority in enqueue order', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const order: number[] = [];
      await queue.add('other', 1, { priority: 0 });
      await queue.add('other', 2, { priority: 5 });
      await queue.add('other', 3, { priority: -1 });
      await queue.add('other', 4, { priority: 5 });
      await queue.add('other', 5, { priority: 10 });
      await queue.add('other', 6, { priority: 0 });
      const drained = nextDrained(queue);
      startWorkers(queue, { handlers: { other: (n) => order.push(n) } });
      await drained;
      expect(order).toEqual([5, 2, 4, 1, 6, 3]);
    });

    it('does not run a delayed job before its time, and runs it then', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      const ran: string[] = [];
      const runner = startWorkers(queue, { handlers: { work: (d) => ran.push(d) } });
      await runner.ready;
      const t0 = clock.now();
      const drained = nextDrained(queue);
      const delayed = await queue.add('work', 'delayed', { delay: 1000, priority: 10 });
      await drained; // the runner looked and found nothing ready
      clock.advance(999);
      const nowDone = nextEvent(queue, 'completed', (j) => j.data === 'now');
      await queue.add('work', 'now');
      await nowDone; // the runner looked again at t0 + 999
      expect(ran).toEqual(['now']);
      expect((await queue.get(delayed.id))?.state).toBe('pending');
      const delayedDone = nextEvent(queue, 'completed', (j) => j.id === delayed.id);
      clock.advance(1);
      const done = await delayedDone;
      expect(ran).toEqual(['now', 'delayed']);
      expect(done.updatedAt).toBe(t0 + 1000);
    });

    it('arms a new wake-up when the timer it held can no longer fire (dropped with the context that set it)', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      const runner = startWorkers(queue, { handlers: { work: (d) => d } });
      await runner.ready;
      const t0 = clock.now();
      const first = await queue.add('work', 'first', { delay: 1000 });
      await clock.timerAt(t0 + 1000);
      expect(clock.drop(t0 + 1000)).toBeGreaterThan(0);
      clock.advance(1500); // nothing fires: the wake-up for the first job is gone
      const firstDone = nextEvent(queue, 'completed', (j) => j.id === first.id);
      const second = await queue.add('work', 'second', { delay: 3000 });
      await firstDone; // the add woke the runner, whose pass found the first job due
      // The runner must now hold a timer for the second job, not trust the dead one.
      await vi.waitFor(() => expect(clock.pending()).toContain(t0 + 4500));
      const secondDone = nextEvent(queue, 'completed', (j) => j.id === second.id);
      clock.advance(3000);
      expect((await secondDone).updatedAt).toBe(t0 + 4500);
    });

    it('does not run a job before its runAt Date', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      const at = clock.now() + 60_000;
      const job = await queue.add('work', 'later', { runAt: new Date(at) });
      const drained = nextDrained(queue);
      const seen: number[] = [];
      startWorkers(queue, { handlers: { work: () => seen.push(clock.now()) } });
      await queue.add('work', 'now');
      await drained;
      expect(seen).toHaveLength(1);
      await clock.timerAt(at);
      const done = nextEvent(queue, 'completed', (j) => j.id === job.id);
      clock.advance(60_000);
      await done;
      expect(seen[1]).toBe(at);
    });

    it('makes one attempt only with retries: 0', async () => {
      const { queue } = await openTest<Jobs>(storage);
      let calls = 0;
      startWorkers(queue, {
        handlers: {
          work: () => {
            calls += 1;
            throw new Error('once');
          },
        },
      });
      const job = await queue.add('work', 'x', { retries: 0 });
      const error = (await queue.waitFor(job.id).catch((e: unknown) => e)) as { job: Job };
      expect(calls).toBe(1);
      expect(error.job).toMatchObject({ state: 'failed', attempts: 1, maxAttempts: 1 });
    });

    it('retries a failing job `retries` times, then fails it with the last error', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const log = record(queue, ['retrying', 'failed']);
      startWorkers(queue, {
        handlers: {
          work: (_d, ctx) => {
            throw new Error(`attempt ${String(ctx.attempt)}`);
          },
        },
      });
      const job = await queue.add('work', 'x', { retries: 2, backoff: { type: 'fixed', delay: 0 } });
      const error = (await queue.waitFor(job.id).catch((e: unknown) => e)) as { job: Job };
      expect(log).toEqual(['retrying:work:retrying', 'retrying:work:retrying', 'failed:work:failed']);
      expect(error.job).toMatchObject({ state: 'failed', attempts: 3, maxAttempts: 3, error: { name: 'Error', message: 'attempt 3' } });
    });

    it('fails a job at once when its handler throws PermanentError', async () => {
      const { queue } = await openTest<Jobs>(storage);
      let calls = 0;
      startWorkers(queue, {
        handlers: {
          work: () => {
            calls += 1;
            throw new PermanentError('bad request');
          },
        },
      });
      const job = await queue.add('work', 'x', { retries: 5 });
      const error = (await queue.waitFor(job.id).catch((e: unknown) => e)) as { job: Job };
      expect(calls).toBe(1);
      expect(error.job).toMatchObject({ state: 'failed', attempts: 1, error: { name: 'PermanentError', message: 'bad request' } });
    });

    it('counts a plain object named PermanentError as permanent too', async () => {
      const { queue } = await openTest<Jobs>(storage);
      startWorkers(queue, {
        handlers: {
          work: () => {
            throw Object.assign(new Error('from a worker'), { name: 'PermanentError' });
          },
        },
      });
      const job = await queue.add('work', 'x');
      const error = (await queue.waitFor(job.id).catch((e: unknown) => e)) as { job: Job };
      expect(error.job).toMatchObject({ state: 'failed', attempts: 1 });
    });

    it('aborts the signal with a TimeoutError and fails the attempt when timeout runs out', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      const started = deferred();
      let reason: unknown;
      startWorkers(queue, {
        handlers: {
          work: async (_d, ctx) => {
            started.resolve();
            await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
            reason = ctx.signal.reason;
          },
        },
      });
      const job = await queue.add('work', 'x', { timeout: 500, retries: 0 });
      const failed = nextEvent(queue, 'failed');
      await started.promise;
      clock.advance(499);
      expect(reason).toBeUndefined();
      clock.advance(1);
      const snapshot = await failed;
      expect(reason).toBeInstanceOf(TimeoutError);
      expect(snapshot).toMatchObject({ id: job.id, state: 'failed', error: { name: 'TimeoutError' } });
      expect(snapshot.error?.message).toMatch(/timed out after 500 ms/);
    });

    it('ends a timed-out attempt after the grace period when the handler ignores its signal, and retries it', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      const never = deferred();
      const started = deferred();
      startWorkers(queue, {
        gracePeriod: 50,
        handlers: {
          work: async (_d, ctx) => {
            if (ctx.attempt === 1) {
              started.resolve();
              await never.promise;
            }
            return ctx.attempt;
          },
        },
      });
      const job = await queue.add('work', 'x', { timeout: 100, backoff: { type: 'fixed', delay: 0 } });
      const retrying = nextEvent(queue, 'retrying');
      await started.promise;
      clock.advance(100);
      // Within the grace period the attempt still holds the job.
      expect((await queue.get(job.id))?.state).toBe('processing');
      clock.advance(50);
      expect((await retrying).error?.name).toBe('TimeoutError');
      expect(await queue.waitFor(job.id)).toBe(2);
    });

    it('leaves the signal of an attempt that finished before its timeout alone', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      const signals: AbortSignal[] = [];
      startWorkers(queue, {
        handlers: {
          work: (_d, ctx) => {
            signals.push(ctx.signal);
            return 'quick';
          },
        },
      });
      const job = await queue.add('work', 'x', { timeout: 5000 });
      expect(await queue.waitFor(job.id)).toBe('quick');
      clock.advance(5000);
      expect(signals).toHaveLength(1);
      expect(signals[0]?.aborted).toBe(false);
    });

    it('deletes a job on completion with removeOnComplete: true, still reporting completed', async () => {
      const { queue } = await openTest<Jobs>(storage);
      startWorkers(queue, { handlers: { work: (d) => `${d}!` } });
      const completed = nextEvent(queue, 'completed');
      const job = await queue.add('work', 'x', { removeOnComplete: true });
      const waiting = queue.waitFor(job.id);
      expect(await completed).toMatchObject({ id: job.id, state: 'completed', result: 'x!' });
      expect(await waiting).toBe('x!');
      expect(await queue.get(job.id)).toBeUndefined();
      expect((await queue.counts()).completed).toBe(0);
    });

    it('keeps only the newest n completed jobs with removeOnComplete: { count }', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const jobs = await queue.addBulk([1, 2, 3, 4].map((n) => ({ name: 'other' as const, data: n, options: { removeOnComplete: { count: 2 } } })));
      const drained = nextDrained(queue);
      startWorkers(queue, { handlers: { other: (n) => n } });
      await drained;
      expect((await queue.list({ state: 'completed' })).map((j) => j.id)).toEqual([jobs[3]?.id, jobs[2]?.id]);
    });

    it('deletes completed jobs older than age with removeOnComplete: { age }', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      startWorkers(queue, { handlers: { other: (n) => n } });
      const opts = { removeOnComplete: { age: 1000 } };
      const first = await queue.add('other', 1, opts);
      await queue.waitFor(first.id);
      clock.advance(500);
      const second = await queue.add('other', 2, opts);
      await queue.waitFor(second.id);
      expect(await queue.get(first.id)).toBeDefined(); // 500 ms old: kept
      clock.advance(1000);
      const third = await queue.add('other', 3, opts);
      await queue.waitFor(third.id);
      expect(await queue.get(first.id)).toBeUndefined(); // 1500 ms old
      expect(await queue.get(second.id)).toBeDefined(); // 1000 ms old is not more than age
      expect(await queue.get(third.id)).toBeDefined();
    });

    it('keeps completed jobs by default', async () => {
      const { queue } = await openTest<Jobs>(storage);
      startWorkers(queue, { handlers: { other: (n) => n } });
      const jobs = await queue.addBulk([1, 2, 3].map((n) => ({ name: 'other' as const, data: n })));
      for (const job of jobs) await queue.waitFor(job.id);
      expect((await queue.counts()).completed).toBe(3);
    });
  });

  describe('runner options', () => {
    it('runs at most `concurrency` jobs at once', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const gates = [deferred(), deferred(), deferred()];
      let running = 0;
      let peak = 0;
      const started: number[] = [];
      const runner = startWorkers(queue, {
        concurrency: 2,
        handlers: {
          other: async (n) => {
            started.push(n);
            running += 1;
            peak = Math.max(peak, running);
            await gates[n]?.promise;
            running -= 1;
          },
        },
      });
      const jobs = await queue.addBulk([0, 1, 2].map((n) => ({ name: 'other' as const, data: n })));
      await nextEvent(queue, 'active', (j) => j.id === jobs[1]?.id);
      expect(await queue.counts()).toMatchObject({ processing: 2, pending: 1 });
      expect(runner.inFlight).toBe(2);
      const third = nextEvent(queue, 'active', (j) => j.id === jobs[2]?.id);
      gates[0]?.resolve();
      await third;
      gates[1]?.resolve();
      gates[2]?.resolve();
      await queue.waitFor(jobs[2]?.id as string);
      expect(peak).toBe(2);
      expect(started).toEqual([0, 1, 2]);
    });

    it('starts at most limiter.max jobs per limiter.duration', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      const starts: number[] = [];
      const t0 = clock.now();
      const runner = startWorkers(queue, { concurrency: 5, limiter: { max: 2, duration: 1000 }, handlers: { other: () => starts.push(clock.now() - t0) } });
      await runner.ready;
      const jobs = await queue.addBulk([1, 2, 3].map((n) => ({ name: 'other' as const, data: n })));
      await queue.waitFor(jobs[0]?.id as string);
      await queue.waitFor(jobs[1]?.id as string);
      await clock.timerAt(t0 + 1000);
      expect((await queue.get(jobs[2]?.id as string))?.state).toBe('pending');
      const done = queue.waitFor(jobs[2]?.id as string);
      clock.advance(1000);
      await done;
      expect(starts).toEqual([0, 0, 1000]);
    });

    it('waits for in-flight attempts on stop() and claims nothing afterwards', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const gate = deferred();
      const started = deferred();
      const runner = startWorkers(queue, {
        handlers: {
          other: async () => {
            started.resolve();
            await gate.promise;
            return 'finished';
          },
        },
      });
      const job = await queue.add('other', 1);
      await started.promise;
      let stopped = false;
      const stopping = runner.stop().then(() => (stopped = true));
      const later = await queue.add('other', 2);
      expect(await queue.get(job.id)).toMatchObject({ state: 'processing' });
      expect(stopped).toBe(false);
      gate.resolve();
      await stopping;
      expect(await queue.get(job.id)).toMatchObject({ state: 'completed', result: 'finished' });
      expect(await queue.get(later.id)).toMatchObject({ state: 'pending' });
      expect(runner.inFlight).toBe(0);
      await runner.stop(); // stopping twice is harmless
    });

    it('gives unfinished jobs back to the queue when stop({ timeout }) runs out; the cut-off attempt counts', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      const started = deferred();
      let aborted: unknown;
      const runner = startWorkers(queue, {
        gracePeriod: 0,
        handlers: {
          other: async (_d, ctx) => {
            started.resolve();
            ctx.signal.addEventListener('abort', () => (aborted = ctx.signal.reason));
            await new Promise(() => undefined); // ignores its signal
          },
        },
      });
      const job = await queue.add('other', 1);
      await started.promise;
      const retrying = nextEvent(queue, 'retrying');
      const stopping = runner.stop({ timeout: 200 });
      clock.advance(200);
      await stopping;
      expect(aborted).toBeInstanceOf(JobrailError);
      expect(await retrying).toMatchObject({ id: job.id, state: 'retrying', attempts: 1, error: { message: expect.stringMatching(/runner was stopped/) } });
      // another runner picks it up with the next attempt
      const again = startWorkers(queue, { handlers: { other: (_d, ctx) => ctx.attempt } });
      expect(await queue.waitFor(job.id)).toBe(2);
      await again.stop();
    });
  });

  describe('requiresNetwork, retryLater', () => {
    it('holds requiresNetwork jobs while offline and runs them on reconnect', async () => {
      const net = fakeNetwork(false);
      const { queue } = await openTest<Jobs>(storage, { environment: net.env });
      const ran: string[] = [];
      startWorkers(queue, { handlers: { work: (d) => ran.push(d) } });
      const drained = nextDrained(queue);
      const [online] = await queue.addBulk([
        { name: 'work', data: 'needs network', options: { requiresNetwork: true } },
        { name: 'work', data: 'local' },
      ]);
      if (!online) throw new Error('unreachable');
      await drained;
      expect(ran).toEqual(['local']);
      expect((await queue.get(online.id))?.state).toBe('pending');
      const done = queue.waitFor(online.id);
      net.set(true);
      await done;
      expect(ran).toEqual(['local', 'needs network']);
    });

    it('uses up no retry for a requiresNetwork attempt that failed while offline', async () => {
      const net = fakeNetwork(true);
      const { queue } = await openTest<Jobs>(storage, { environment: net.env });
      let calls = 0;
      startWorkers(queue, {
        handlers: {
          work: () => {
            calls += 1;
            if (calls === 1) {
              net.set(false);
              throw new Error('lost the network');
            }
            return 'sent';
          },
        },
      });
      const retrying = nextEvent(queue, 'retrying');
      const job = await queue.add('work', 'x', { requiresNetwork: true, retries: 0 });
      expect(await retrying).toMatchObject({ state: 'retrying', attempts: 0, error: { message: 'lost the network' } });
      const done = queue.waitFor(job.id);
      net.set(true);
      expect(await done).toBe('sent');
      expect(calls).toBe(2);
      expect(await queue.get(job.id)).toMatchObject({ state: 'completed', attempts: 1 });
    });

    it('treats a fetch TypeError of a requiresNetwork job as a network failure that uses up no retry', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      startWorkers(queue, {
        handlers: {
          work: (_d, ctx) => {
            if (ctx.job.attempts === 1 && ctx.job.error === undefined) throw new TypeError('Failed to fetch');
            return 'ok';
          },
        },
      });
      const retrying = nextEvent(queue, 'retrying');
      const job = await queue.add('work', 'x', { requiresNetwork: true, retries: 0 });
      const snapshot = await retrying;
      expect(snapshot).toMatchObject({ attempts: 0, runAt: clock.now() + 1000, error: { name: 'TypeError' } });
      await clock.timerAt(snapshot.runAt);
      clock.advance(1000);
      expect(await queue.waitFor(job.id)).toBe('ok');
    });

    it('runs the job again after ctx.retryLater(ms) without counting the attempt', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      startWorkers(queue, {
        handlers: {
          work: (_d, ctx) => {
            if (ctx.job.error === undefined) ctx.retryLater(5000);
            return ctx.attempt;
          },
        },
      });
      const retrying = nextEvent(queue, 'retrying');
      const job = await queue.add('work', 'x', { retries: 0 });
      const snapshot = await retrying;
      expect(snapshot).toMatchObject({ attempts: 0, runAt: clock.now() + 5000, error: { name: 'RetryLaterError' } });
      await clock.timerAt(snapshot.runAt);
      clock.advance(5000);
      expect(await queue.waitFor(job.id)).toBe(1);
      expect(() => new RetryLaterError(-1)).toThrow(RangeError);
    });
  });
});
