import { describe, expect, it, vi } from 'vitest';
import { JOB_STATES, JobFailedError, JobrailError, PermanentError, openQueue, startWorkers, type Job } from '../src/index.js';
import { INTERNALS } from '../src/internals.js';
import { DEFAULT_LIST_LIMIT } from '../src/queue.js';
import { FakeClock } from './helpers/clock.js';
import { INLINE_MAX_BYTES } from '../src/store/payload.js';
import { STORAGES, deferred, dump, engineOf, storageFor, nextDrained, nextEvent, openTest, record, uniqueName } from './helpers/queues.js';

type Jobs = { email: { to: string }; other: number; blob: { file: Blob; buf: ArrayBuffer; bytes: Uint8Array } };

describe.each(STORAGES)('queue members (%s storage)', (storage) => {
  describe('add', () => {
    it('stores a pending job with the documented defaults and returns its snapshot', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      const job = await queue.add('email', { to: 'a@b.c' });
      const now = clock.now();
      expect(job).toEqual({
        id: expect.any(String),
        queue: queue.name,
        name: 'email',
        data: { to: 'a@b.c' },
        state: 'pending',
        priority: 0,
        attempts: 0,
        maxAttempts: 6,
        runAt: now,
        createdAt: now,
        updatedAt: now,
        finishedAt: undefined,
        progress: undefined,
        result: undefined,
        error: undefined,
        idempotencyKey: undefined,
        group: undefined,
        expiresAt: undefined,
        dependsOn: [],
        waitingFor: [],
      });
      expect(await queue.get(job.id)).toEqual(job);
    });

    it('applies the queue defaults to every add, with the add options winning', async () => {
      const { queue, clock } = await openTest<Jobs>(storage, { defaults: { retries: 2, priority: 3, delay: 500 } });
      const a = await queue.add('other', 1);
      expect(a).toMatchObject({ maxAttempts: 3, priority: 3, runAt: clock.now() + 500 });
      const b = await queue.add('other', 2, { retries: 0, priority: -1, runAt: clock.now() + 50 });
      expect(b).toMatchObject({ maxAttempts: 1, priority: -1, runAt: clock.now() + 50 });
      const c = await queue.add('other', 3, { delay: 0 });
      expect(c.runAt).toBe(clock.now());
    });

    it('stores delay as runAt = now + delay, and runAt given as a Date or epoch ms', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      const now = clock.now();
      expect((await queue.add('other', 1, { delay: 2500 })).runAt).toBe(now + 2500);
      expect((await queue.add('other', 2, { runAt: new Date(now + 9000) })).runAt).toBe(now + 9000);
      expect((await queue.add('other', 3, { runAt: now + 7000 })).runAt).toBe(now + 7000);
    });

    // Node's and Deno's serialiser loses Blobs (it writes `{}`), so SQLite there refuses them; Bun
    // keeps them (runtimes/ tests it), as IndexedDB and memory do.
    const blobs = storage !== 'sqlite';
    const fileOf = (text: string): Blob => (blobs ? new Blob([text], { type: 'text/plain' }) : (new TextEncoder().encode(text) as unknown as Blob));
    const textOf = async (file: Blob): Promise<string> => (blobs ? file.text() : new TextDecoder().decode(file as unknown as Uint8Array));

    it(blobs ? 'keeps Blob, ArrayBuffer and typed array data intact' : 'refuses a Blob at add with nothing written, and keeps ArrayBuffer and typed array data intact', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const data = { file: new Blob(['hello blob'], { type: 'text/plain' }), buf: new Uint8Array([1, 2, 3]).buffer, bytes: new Uint8Array([9, 8, 7]) };
      if (!blobs) {
        await expect(queue.add('blob', data)).rejects.toThrow(/Data of job "blob" cannot be stored[\s\S]*/);
        await expect(queue.add('blob', data)).rejects.toBeInstanceOf(JobrailError);
        expect(await dump(engineOf(queue))).toEqual({ jobs: [], meta: { seq: undefined, paused: undefined, limiter: undefined, schedules: undefined } });
        data.file = fileOf('hello blob');
      }
      const job = await queue.add('blob', data);
      const stored = (await queue.get(job.id))?.data as Jobs['blob'];
      if (blobs) {
        expect(stored.file).toBeInstanceOf(Blob);
        expect(stored.file.type).toBe('text/plain');
      }
      expect(await textOf(stored.file)).toBe('hello blob');
      expect([...new Uint8Array(stored.buf)]).toEqual([1, 2, 3]);
      expect(stored.bytes).toBeInstanceOf(Uint8Array);
      expect([...stored.bytes]).toEqual([9, 8, 7]);
    });

    it('hands large and Blob data whole to every attempt, and keeps it through progress, retry and completion', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const large = 'x'.repeat(INLINE_MAX_BYTES + 1);
      const big = await queue.add('other', large as never, { retries: 1, backoff: { type: 'fixed', delay: 0 } });
      const blob = await queue.add('blob', { file: fileOf('tiny'), buf: new ArrayBuffer(1), bytes: new Uint8Array(1) }, { retries: 1, backoff: { type: 'fixed', delay: 0 } });
      const small = await queue.add('other', 7);
      if (storage === 'indexeddb') {
        // Large data and Blobs are kept apart from the record, which transitions rewrite; small data is inline.
        const heads = await engineOf(queue).read((tx) => Promise.all([big.id, blob.id, small.id].map((id) => tx.head(id))));
        expect(heads.map((h) => [h?.inline, h?.data])).toEqual([[undefined, undefined], [undefined, undefined], [true, 7]]);
      }
      const seen: unknown[] = [];
      const runner = startWorkers(queue, {
        handlers: {
          other: async (n, ctx) => {
            const data: unknown = n; // 'other' is typed as a number; the large job carries a string
            seen.push(typeof data === 'string' ? data.length : data);
            await ctx.progress(0.5);
            if (ctx.attempt === 1 && typeof data === 'string') throw new Error('first attempt fails');
          },
          blob: async (data, ctx) => {
            seen.push(await textOf(data.file));
            if (ctx.attempt === 1) throw new Error('first attempt fails');
          },
        },
      });
      await Promise.all([big, blob, small].map((j) => queue.waitFor(j.id)));
      await runner.stop();
      expect(seen.sort()).toEqual([7, large.length, large.length, 'tiny', 'tiny'].sort());
      expect((await queue.get(big.id))?.data).toBe(large);
      expect(await textOf(((await queue.get(blob.id))?.data as Jobs['blob']).file)).toBe('tiny');
    });

    it('stores Map and Set data intact', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const job = await queue.add('other', new Map([['a', new Set([1, 2])]]) as never);
      const data = (await queue.get(job.id))?.data as unknown as Map<string, Set<number>>;
      expect(data).toBeInstanceOf(Map);
      expect([...(data.get('a') ?? [])]).toEqual([1, 2]);
    });

    it('counts Blob and buffer bytes against maxDataBytes', async () => {
      const { queue } = await openTest<Jobs>(storage, { maxDataBytes: 1000 });
      await expect(queue.add('other', { file: blobs ? new Blob([new Uint8Array(2000)]) : new Uint8Array(2000) } as never)).rejects.toThrow(/maxDataBytes/);
      await expect(queue.add('other', new Uint8Array(2000) as never)).rejects.toThrow(RangeError);
      await expect(queue.add('other', new Set([new ArrayBuffer(2000)]) as never)).rejects.toThrow(RangeError);
      expect((await queue.add('other', { file: blobs ? new Blob([new Uint8Array(500)]) : new Uint8Array(500) } as never)).state).toBe('pending');
      expect((await queue.counts()).pending).toBe(1);
    });

    it('announces every new job with an added event', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const added = nextEvent(queue, 'added');
      const job = await queue.add('other', 5);
      expect(await added).toEqual(job);
    });
  });

  describe('addBulk', () => {
    it('stores every item in order and returns their snapshots', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const log = record(queue, ['added']);
      const jobs = await queue.addBulk([
        { name: 'email', data: { to: 'x' } },
        { name: 'other', data: 2, options: { priority: 4 } },
      ]);
      expect(jobs.map((j) => [j.name, j.data, j.priority, j.state])).toEqual([
        ['email', { to: 'x' }, 0, 'pending'],
        ['other', 2, 4, 'pending'],
      ]);
      expect(Number(jobs[1]?.id)).toBeGreaterThan(Number(jobs[0]?.id));
      expect(log).toEqual(['added:email:pending', 'added:other:pending']);
      expect(await queue.get(jobs[1]?.id as string)).toEqual(jobs[1]);
    });

    it('resolves an empty batch to an empty array without writing', async () => {
      const { queue } = await openTest<Jobs>(storage);
      expect(await queue.addBulk([])).toEqual([]);
      expect((await queue.counts()).pending).toBe(0);
    });
  });

  describe('get', () => {
    it('resolves undefined for an id no job has', async () => {
      const { queue } = await openTest<Jobs>(storage);
      expect(await queue.get('12345')).toBeUndefined();
    });

    it('returns a snapshot that later changes do not touch', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const job = await queue.add('email', { to: 'a' });
      const snapshot = await queue.get(job.id);
      await queue.remove(job.id);
      expect(snapshot?.state).toBe('pending');
      expect(await queue.get(job.id)).toBeUndefined();
    });
  });

  describe('list', () => {
    async function seed() {
      const t = await openTest<Jobs>(storage);
      const jobs: Job[] = [];
      for (let i = 0; i < 6; i++) jobs.push(i % 2 === 0 ? await t.queue.add('email', { to: String(i) }) : await t.queue.add('other', i));
      return { ...t, ids: jobs.map((j) => j.id) };
    }

    it('lists jobs newest first', async () => {
      const { queue, ids } = await seed();
      expect((await queue.list()).map((j) => j.id)).toEqual([...ids].reverse());
    });

    it('pages with limit and offset', async () => {
      const { queue, ids } = await seed();
      const newest = [...ids].reverse();
      expect((await queue.list({ limit: 2 })).map((j) => j.id)).toEqual(newest.slice(0, 2));
      expect((await queue.list({ limit: 2, offset: 2 })).map((j) => j.id)).toEqual(newest.slice(2, 4));
      expect((await queue.list({ limit: 10, offset: 5 })).map((j) => j.id)).toEqual(newest.slice(5));
      expect(await queue.list({ offset: 6 })).toEqual([]);
      expect(await queue.list({ limit: 0 })).toEqual([]);
    });

    it('pages newest first across states, with and without a name', async () => {
      const { queue, ids } = await seed();
      const runner = startWorkers(queue, {
        handlers: {
          other: (n) => n,
          email: (d) => {
            if (d.to === '2') throw new PermanentError('refused');
          },
        },
      });
      await Promise.all(ids.map((id) => queue.waitFor(id).catch(() => undefined)));
      await runner.stop();
      const late = [await queue.add('other', 6, { delay: 1000 }), await queue.add('email', { to: '7' }, { delay: 1000 })];
      const newest = [...ids, ...late.map((j) => j.id)].reverse();
      expect((await queue.list()).map((j) => j.state)).toEqual(['pending', 'pending', 'completed', 'completed', 'completed', 'failed', 'completed', 'completed']);
      expect((await queue.list()).map((j) => j.id)).toEqual(newest);
      expect((await queue.list({ limit: 3, offset: 2 })).map((j) => j.id)).toEqual(newest.slice(2, 5));
      expect((await queue.list({ name: 'email', limit: 2, offset: 1 })).map((j) => (j.data as { to: string }).to)).toEqual(['4', '2']);
    });

    it('filters by name, by state, and by both', async () => {
      const { queue, ids } = await seed();
      expect((await queue.list({ name: 'other' })).map((j) => j.data)).toEqual([5, 3, 1]);
      await queue.remove(ids[0] as string);
      await queue.add('email', { to: 'late' }, { delay: 1000 });
      expect((await queue.list({ state: 'pending', name: 'email' })).map((j) => (j.data as { to: string }).to)).toEqual(['late', '4', '2']);
      expect(await queue.list({ state: 'completed' })).toEqual([]);
      expect(await queue.list({ state: 'pending', name: 'nothing' as never })).toEqual([]);
    });

    it('returns one page of DEFAULT_LIST_LIMIT jobs by default, never the whole store', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const total = DEFAULT_LIST_LIMIT + 5;
      await queue.addBulk(Array.from({ length: total }, (_, i) => ({ name: 'other' as const, data: i })));
      const page = await queue.list();
      expect(page).toHaveLength(DEFAULT_LIST_LIMIT);
      expect(page[0]?.data).toBe(total - 1);
      expect((await queue.list({ offset: DEFAULT_LIST_LIMIT })).map((j) => j.data)).toEqual([4, 3, 2, 1, 0]);
    });
  });

  describe('counts', () => {
    it('reports all five states, zeros included', async () => {
      const { queue } = await openTest<Jobs>(storage);
      expect(await queue.counts()).toEqual({ pending: 0, processing: 0, completed: 0, retrying: 0, failed: 0 });
      expect(Object.keys(await queue.counts()).sort()).toEqual([...JOB_STATES].sort());
    });

    it('counts one job in each state', async () => {
      const { queue } = await openTest<{ ok: null; hold: null; flaky: null; bad: null; later: null }>(storage);
      const gate = deferred();
      const held = deferred();
      const runner = startWorkers(queue, {
        concurrency: 5,
        handlers: {
          ok: () => 'done',
          hold: async () => {
            held.resolve();
            await gate.promise;
          },
          flaky: () => {
            throw new Error('flaky');
          },
          bad: () => {
            throw new Error('bad');
          },
        },
      });
      const completed = nextEvent(queue, 'completed');
      const retrying = nextEvent(queue, 'retrying');
      const failed = nextEvent(queue, 'failed');
      await queue.add('later', null, { delay: 60_000 });
      await queue.add('hold', null);
      await queue.add('ok', null);
      await queue.add('flaky', null, { retries: 1, backoff: { type: 'fixed', delay: 60_000 } });
      await queue.add('bad', null, { retries: 0 });
      await Promise.all([completed, retrying, failed, held.promise]);
      expect(await queue.counts()).toEqual({ pending: 1, processing: 1, completed: 1, retrying: 1, failed: 1 });
      gate.resolve();
      await runner.stop();
      expect(await queue.counts()).toEqual({ pending: 1, processing: 0, completed: 2, retrying: 1, failed: 1 });
    });
  });

  describe('waitFor', () => {
    it('resolves with the result once the job completes', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const job = await queue.add('email', { to: 'a@b.c' });
      const result = queue.waitFor(job.id);
      startWorkers(queue, { handlers: { email: async (d) => ({ sent: d.to }) } });
      expect(await result).toEqual({ sent: 'a@b.c' });
    });

    it('resolves at once for a job that already completed', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const job = await queue.add('other', 2);
      const runner = startWorkers(queue, { handlers: { other: (n) => n * 10 } });
      await nextEvent(queue, 'completed');
      await runner.stop();
      expect(await queue.waitFor(job.id)).toBe(20);
    });

    it('rejects with a JobFailedError carrying the failed job', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const job = await queue.add('other', 1, { retries: 0 });
      const waiting = queue.waitFor(job.id);
      startWorkers(queue, {
        handlers: {
          other: () => {
            throw new Error('nope');
          },
        },
      });
      const error = await waiting.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(JobFailedError);
      expect(error).toBeInstanceOf(JobrailError);
      const failed = (error as JobFailedError).job;
      expect(failed).toMatchObject({ id: job.id, state: 'failed', attempts: 1, error: { name: 'Error', message: 'nope' } });
      expect((error as Error).message).toContain('nope');
      // and at once for a job that is already failed
      await expect(queue.waitFor(job.id)).rejects.toMatchObject({ name: 'JobFailedError', job: { id: job.id, state: 'failed' } });
    });

    it('keeps waiting through retries', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const job = await queue.add('other', 1, { retries: 2, backoff: { type: 'fixed', delay: 0 } });
      const waiting = queue.waitFor(job.id);
      startWorkers(queue, {
        handlers: {
          other: (_d, ctx) => {
            if (ctx.attempt < 3) throw new Error(`attempt ${String(ctx.attempt)}`);
            return ctx.attempt;
          },
        },
      });
      expect(await waiting).toBe(3);
    });

    it('rejects with a JobrailError when the job is removed while waiting', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const job = await queue.add('other', 1);
      const waiting = queue.waitFor(job.id);
      await queue.remove(job.id);
      await expect(waiting).rejects.toThrow(JobrailError);
      await expect(waiting).rejects.toThrow(/removed/);
    });

    it('rejects with a JobrailError when the queue closes while waiting', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const job = await queue.add('other', 1);
      const waiting = queue.waitFor(job.id);
      await queue.close();
      await expect(waiting).rejects.toThrow(/closed/);
    });
  });

  describe('retry and retryFailed', () => {
    async function failedJobs(n: number) {
      const t = await openTest<Jobs>(storage);
      const jobs = await t.queue.addBulk(Array.from({ length: n }, (_, i) => ({ name: 'other' as const, data: i, options: { retries: 1, backoff: { type: 'fixed' as const, delay: 0 } } })));
      const runner = startWorkers(t.queue, {
        handlers: {
          other: () => {
            throw new Error('down');
          },
        },
      });
      for (const job of jobs) await t.queue.waitFor(job.id).catch(() => undefined);
      await runner.stop();
      return { ...t, jobs };
    }

    it('moves a failed job back to pending with its attempts reset', async () => {
      const { queue, jobs, clock } = await failedJobs(1);
      const id = (jobs[0] as Job).id;
      expect(await queue.get(id)).toMatchObject({ state: 'failed', attempts: 2 });
      clock.advance(5000);
      expect(await queue.retry(id)).toBe(1);
      expect(await queue.get(id)).toMatchObject({ id, state: 'pending', attempts: 0, finishedAt: undefined, runAt: clock.now(), updatedAt: clock.now() });
    });

    it('runs a retried job again until it completes', async () => {
      const { queue, jobs } = await failedJobs(1);
      const id = (jobs[0] as Job).id;
      await queue.retry(id);
      startWorkers(queue, { handlers: { other: () => 'fine now' } });
      expect(await queue.waitFor(id)).toBe('fine now');
      expect(await queue.get(id)).toMatchObject({ state: 'completed', attempts: 1 });
    });

    it('refuses to retry a job that is not failed, naming its state', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const job = await queue.add('other', 1);
      await expect(queue.retry(job.id)).rejects.toThrow(JobrailError);
      await expect(queue.retry(job.id)).rejects.toThrow(/pending/);
      expect(await queue.get(job.id)).toEqual(job);
    });

    it('retryFailed moves every failed job back to pending and says how many', async () => {
      const { queue } = await failedJobs(3);
      await queue.add('other', 99);
      expect(await queue.retryFailed()).toBe(3);
      expect(await queue.counts()).toMatchObject({ pending: 4, failed: 0 });
      expect((await queue.list({ state: 'pending' })).every((j) => j.attempts === 0)).toBe(true);
      expect(await queue.retryFailed()).toBe(0);
    });
  });

  describe('remove', () => {
    it('deletes a job, emits removed with its last snapshot, and resolves false the second time', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const job = await queue.add('other', 1);
      const removed = nextEvent(queue, 'removed');
      expect(await queue.remove(job.id)).toBe(true);
      expect(await removed).toEqual(job);
      expect(await queue.get(job.id)).toBeUndefined();
      expect(await queue.remove(job.id)).toBe(false);
    });

    it('aborts the signal of a running handler and discards its outcome', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const started = deferred();
      const finishedHandler = deferred<unknown>();
      const log = record(queue, ['completed', 'failed', 'retrying']);
      startWorkers(queue, {
        handlers: {
          other: async (_d, ctx) => {
            started.resolve();
            await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
            finishedHandler.resolve(ctx.signal.reason);
            return 'too late';
          },
        },
      });
      const job = await queue.add('other', 1);
      await started.promise;
      const drained = nextDrained(queue);
      expect(await queue.remove(job.id)).toBe(true);
      const reason = await finishedHandler.promise;
      expect(reason).toBeInstanceOf(JobrailError);
      expect((reason as Error).message).toMatch(/removed/);
      await drained;
      expect(await queue.get(job.id)).toBeUndefined();
      expect(log).toEqual([]);
      expect(await queue.counts()).toEqual({ pending: 0, processing: 0, completed: 0, retrying: 0, failed: 0 });
    });
  });

  describe('clean', () => {
    async function finished() {
      const t = await openTest<{ ok: number; bad: number }>(storage);
      const runner = startWorkers(t.queue, {
        handlers: {
          ok: (n) => n,
          bad: () => {
            throw new Error('x');
          },
        },
      });
      const settle = async (name: 'ok' | 'bad', n: number) => {
        const job = await t.queue.add(name, n, { retries: 0 });
        await t.queue.waitFor(job.id).catch(() => undefined);
        return job.id;
      };
      const old1 = await settle('ok', 1);
      const old2 = await settle('ok', 2);
      const oldBad = await settle('bad', 3);
      t.clock.advance(10_000);
      const fresh = await settle('ok', 4);
      const freshBad = await settle('bad', 5);
      await runner.stop();
      t.clock.advance(1000); // old: finished 11 s ago; fresh: 1 s ago
      return { ...t, old1, old2, oldBad, fresh, freshBad };
    }

    it('removes the completed jobs finished more than olderThan ms ago', async () => {
      const { queue, old1, old2, fresh } = await finished();
      expect(await queue.clean({ state: 'completed', olderThan: 5000 })).toBe(2);
      expect(await queue.get(old1)).toBeUndefined();
      expect(await queue.get(old2)).toBeUndefined();
      expect(await queue.get(fresh)).toBeDefined();
      expect(await queue.counts()).toMatchObject({ completed: 1, failed: 2 });
    });

    it('removes every job of the state by default', async () => {
      const { queue } = await finished();
      expect(await queue.clean({ state: 'failed' })).toBe(2);
      expect(await queue.counts()).toMatchObject({ completed: 3, failed: 0 });
    });

    it('removes at most limit jobs, oldest first', async () => {
      const { queue, old1, old2 } = await finished();
      expect(await queue.clean({ state: 'completed', limit: 1 })).toBe(1);
      expect(await queue.get(old1)).toBeUndefined();
      expect(await queue.get(old2)).toBeDefined();
      expect(await queue.clean({ state: 'completed', limit: 0 })).toBe(0);
    });

    it('never touches jobs that are not finished', async () => {
      const { queue } = await openTest<Jobs>(storage);
      await queue.add('other', 1);
      expect(await queue.clean({ state: 'completed' })).toBe(0);
      expect(await queue.clean({ state: 'failed', olderThan: 1 })).toBe(0);
      expect((await queue.counts()).pending).toBe(1);
    });
  });

  describe('pause, resume and isPaused', () => {
    it('persists the paused flag where a second queue object of the same name sees it', async () => {
      const t = await openTest<Jobs>(storage);
      const other = await t.another();
      expect(await t.queue.isPaused()).toBe(false);
      await t.queue.pause();
      expect(await t.queue.isPaused()).toBe(true);
      expect(await other.isPaused()).toBe(true);
      await other.resume();
      expect(await t.queue.isPaused()).toBe(false);
    });

    it('stops new claims while paused and runs the waiting jobs on resume', async () => {
      const { queue } = await openTest<Jobs>(storage);
      await queue.pause();
      const ran: number[] = [];
      const runner = startWorkers(queue, { handlers: { other: (n) => ran.push(n) } });
      await runner.ready;
      const job = await queue.add('other', 7);
      // The add woke the runner; its claim transaction was queued before this read, so the
      // read sees the job after the runner looked at it.
      expect(await queue.isPaused()).toBe(true);
      expect(ran).toEqual([]);
      expect((await queue.get(job.id))?.state).toBe('pending');
      const done = queue.waitFor(job.id);
      await queue.resume();
      await done;
      expect(ran).toEqual([7]);
    });
  });

  describe('on', () => {
    it('emits active, progress, retrying, completed, drained and removed as a job runs', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const log = record(queue);
      queue.on('drained', () => log.push('drained'));
      startWorkers(queue, {
        handlers: {
          other: async (_d, ctx) => {
            await ctx.progress(ctx.attempt / 2);
            if (ctx.attempt === 1) throw new Error('first try fails');
            return 'ok';
          },
        },
      });
      const drained = nextDrained(queue);
      const job = await queue.add('other', 1, { backoff: { type: 'fixed', delay: 0 } });
      await drained;
      await queue.remove(job.id);
      expect(log).toEqual([
        'added:other:pending',
        'active:other:processing',
        'progress:other:processing',
        'retrying:other:retrying',
        'active:other:processing',
        'progress:other:processing',
        'completed:other:completed',
        'drained',
        'removed:other:completed',
      ]);
    });

    it('passes the snapshot after each change to the listener', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      const progress = nextEvent(queue, 'progress');
      const failed = nextEvent(queue, 'failed');
      startWorkers(queue, {
        handlers: {
          other: async (_d, ctx) => {
            await ctx.progress({ done: 3, of: 4 });
            throw new Error('broken');
          },
        },
      });
      const job = await queue.add('other', 1, { retries: 0 });
      expect(await progress).toMatchObject({ id: job.id, state: 'processing', attempts: 1, progress: { done: 3, of: 4 } });
      expect(await failed).toMatchObject({ id: job.id, state: 'failed', attempts: 1, finishedAt: clock.now(), progress: { done: 3, of: 4 }, error: { message: 'broken' } });
    });

    it('stops calling a listener once unsubscribed', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const seen: string[] = [];
      const off = queue.on('added', (job) => seen.push(job.id));
      const a = await queue.add('other', 1);
      off();
      await queue.add('other', 2);
      expect(seen).toEqual([a.id]);
    });

    it('keeps calling other listeners when one throws', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        const seen: string[] = [];
        queue.on('added', () => {
          throw new Error('listener bug');
        });
        queue.on('added', (job) => seen.push(job.id));
        const job = await queue.add('other', 1);
        expect(seen).toEqual([job.id]);
        expect(errors).toHaveBeenCalledWith(expect.objectContaining({ message: 'listener bug' }));
      } finally {
        errors.mockRestore();
      }
    });
  });

  describe('close', () => {
    it('stops the runners of the queue and refuses later calls', async () => {
      const { queue } = await openTest<Jobs>(storage);
      const started = deferred();
      const runner = startWorkers(queue, {
        handlers: {
          other: async (_d, ctx) => {
            started.resolve();
            await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
          },
        },
      });
      await queue.add('other', 1);
      await started.promise;
      expect(runner.inFlight).toBe(1);
      await queue.close();
      expect(runner.inFlight).toBe(0);
      await expect(queue.counts()).rejects.toThrow(JobrailError);
      await queue.close(); // a second close is harmless
    });

    it('leaves other queue objects of the same name working', async () => {
      const t = await openTest<Jobs>(storage);
      const other = await t.another();
      const job = await t.queue.add('other', 1);
      await t.queue.close();
      expect(await other.get(job.id)).toEqual(job);
      await other.add('other', 2);
      expect((await other.counts()).pending).toBe(2);
    });

    it(storage !== 'memory' ? 'keeps jobs across closing and reopening the queue (durable)' : 'drops jobs once the last queue object closes (non-durable)', async () => {
      const name = uniqueName();
      const clock = new FakeClock();
      const first = await openQueue<Jobs>(name, { storage: await storageFor(storage, name), environment: clock.env });
      const job = await first.add('other', 1);
      await first.close();
      const again = await openQueue<Jobs>(name, { storage: await storageFor(storage, name), environment: clock.env });
      try {
        if (storage !== 'memory') expect(await again.get(job.id)).toEqual(job);
        else expect(await again.counts()).toEqual({ pending: 0, processing: 0, completed: 0, retrying: 0, failed: 0 });
      } finally {
        await again.close();
      }
    });
  });
});

describe('openQueue', () => {
  it("opens the queue named 'default' in IndexedDB when given no arguments", async () => {
    const queue = await openQueue();
    try {
      expect(queue.name).toBe('default');
      expect(queue[INTERNALS].engine.durable).toBe(true);
      const job = await queue.add('work', 1);
      expect(job.queue).toBe('default');
    } finally {
      await queue.close();
    }
  });
});

describe('a runtime without IndexedDB', () => {
  it('opens memory queues by default and refuses storage: indexeddb with a JobrailError', async () => {
    vi.stubGlobal('indexedDB', undefined);
    try {
      const queue = await openQueue(uniqueName());
      expect(queue[INTERNALS].engine.durable).toBe(false);
      await queue.close();
      const error = await openQueue(uniqueName(), { storage: 'indexeddb' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JobrailError);
      expect((error as Error).message).toMatch(/IndexedDB is not available.*storage: 'memory'/);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
