import { describe, expect, it, vi } from 'vitest';
import { fakeLocks } from './helpers/locks.js';
import { JobFailedError, JobrailError, PermanentError, startWorkers, type Job, type QueueChange } from '../src/index.js';
import { STORAGES, type Storage, deferred, nextDrained, nextEvent, openTest, record } from './helpers/queues.js';

type Jobs = { work: number };

/** Two queue objects of one name stand for two tabs: `a` runs the jobs, `b` watches. */
async function twoTabs(storage: Storage) {
  const t = await openTest<Jobs>(storage);
  return { ...t, a: t.queue, b: await t.another() };
}

describe.each(STORAGES)('two queue objects of one name, like two tabs (%s storage)', (storage) => {
  it('sees on one the events of jobs added and completed on the other', async () => {
    const { a, b } = await twoTabs(storage);
    const log = record(b, ['added', 'active', 'progress', 'completed']);
    const completed = nextEvent(b, 'completed');
    startWorkers(a, {
      handlers: {
        work: async (n, ctx) => {
          await ctx.progress(0.5);
          return n * 2;
        },
      },
    });
    const job = await a.add('work', 21);
    expect(await completed).toMatchObject({ id: job.id, state: 'completed', result: 42 });
    expect(log).toEqual(['added:work:pending', 'active:work:processing', 'progress:work:processing', 'completed:work:completed']);
  });

  it('shares a steady backlog between two tabs under a global concurrency: both run jobs, none twice', async () => {
    const { a, b } = await twoTabs(storage);
    const ran: string[] = [];
    const handler = (tab: string) => async (n: number) => {
      ran.push(`${tab}:${String(n)}`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    };
    const jobs = await a.addBulk(Array.from({ length: 40 }, (_, n) => ({ name: 'work' as const, data: n })));
    startWorkers(a, { handlers: { work: handler('a') }, concurrency: 2 });
    startWorkers(b, { handlers: { work: handler('b') }, concurrency: 2 });
    for (const job of jobs) await a.waitFor(job.id);
    const runs = ran.map((r) => r.split(':')[1]);
    expect(new Set(runs).size).toBe(40);
    expect(runs).toHaveLength(40);
    expect(ran.filter((r) => r.startsWith('a:')).length).toBeGreaterThan(0);
    expect(ran.filter((r) => r.startsWith('b:')).length).toBeGreaterThan(0);
  });

  it('resolves waitFor on one tab for a job run by the other', async () => {
    const { a, b } = await twoTabs(storage);
    startWorkers(a, { handlers: { work: (n) => n + 1 } });
    const job = await b.add('work', 1);
    expect(await b.waitFor(job.id)).toBe(2);
  });

  it('rejects waitFor on one tab with JobFailedError for a job failed by the other', async () => {
    const { a, b } = await twoTabs(storage);
    const job = await b.add('work', 1, { retries: 0 });
    const waiting = b.waitFor(job.id);
    startWorkers(a, {
      handlers: {
        work: () => {
          throw new Error('failed in tab a');
        },
      },
    });
    const error = await waiting.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobFailedError);
    expect((error as JobFailedError).job).toMatchObject({ id: job.id, state: 'failed', error: { message: 'failed in tab a' } });
  });

  it('aborts a handler running in one tab when the other removes its job', async () => {
    const { a, b } = await twoTabs(storage);
    const started = deferred();
    const aborted = deferred<unknown>();
    startWorkers(a, {
      gracePeriod: 0,
      handlers: {
        work: async (_n, ctx) => {
          started.resolve();
          ctx.signal.addEventListener('abort', () => aborted.resolve(ctx.signal.reason));
          await new Promise(() => undefined);
        },
      },
    });
    const log = record(a, ['completed', 'failed', 'retrying']);
    const job = await a.add('work', 1);
    await started.promise;
    const drained = nextDrained(a);
    expect(await b.remove(job.id)).toBe(true);
    const reason = await aborted.promise;
    expect(reason).toBeInstanceOf(JobrailError);
    await drained;
    expect(log).toEqual([]);
    expect(await a.get(job.id)).toBeUndefined();
  });

  it('stops the runner of one tab when the other pauses, and restarts it on resume', async () => {
    const { a, b } = await twoTabs(storage);
    const ran: number[] = [];
    const runner = startWorkers(a, { handlers: { work: (n) => ran.push(n) } });
    await runner.ready;
    await b.pause();
    const job = await b.add('work', 5);
    expect(await a.isPaused()).toBe(true);
    expect((await a.get(job.id))?.state).toBe('pending');
    expect(ran).toEqual([]);
    const done = a.waitFor(job.id);
    await b.resume();
    await done;
    expect(ran).toEqual([5]);
  });

  it('calls drained listeners in every tab', async () => {
    const { a, b } = await twoTabs(storage);
    const inA = nextDrained(a);
    const inB = nextDrained(b);
    startWorkers(a, { handlers: { work: (n) => n } });
    await b.add('work', 1);
    await Promise.all([inA, inB]);
  });

  it('calls paused and resumed listeners in every tab when one tab pauses and resumes', async () => {
    const { a, b } = await twoTabs(storage);
    const log: string[] = [];
    for (const [tab, q] of [['a', a], ['b', b]] as const) {
      q.on('paused', () => log.push(`${tab}:paused`));
      q.on('resumed', () => log.push(`${tab}:resumed`));
    }
    const pausedInB = new Promise<void>((resolve) => b.on('paused', resolve));
    await a.pause();
    await pausedInB;
    const resumedInB = new Promise<void>((resolve) => b.on('resumed', resolve));
    await a.resume();
    await resumedInB;
    expect(log.filter((e) => e.startsWith('b:'))).toEqual(['b:paused', 'b:resumed']);
    expect(log.filter((e) => e.startsWith('a:'))).toEqual(['a:paused', 'a:resumed']);
  });

  it('calls changed listeners in every tab with the action and count of retry, retryFailed and clean, and not for schedules', async () => {
    const { a, b } = await twoTabs(storage);
    const changes: QueueChange[] = [];
    let next: ((change: QueueChange) => void) | undefined;
    a.on('changed', (change) => {
      changes.push(change);
      next?.(change);
    });
    const nextChange = () => new Promise<QueueChange>((resolve) => (next = resolve));
    const failAll = async (n: number) => {
      const failed = new Promise<void>((resolve) => {
        let seen = 0;
        const off = a.on('failed', () => {
          if (++seen === n) {
            off();
            resolve();
          }
        });
      });
      const runner = startWorkers(a, {
        concurrency: 3,
        handlers: {
          work: () => {
            throw new PermanentError('no');
          },
        },
      });
      await failed;
      await runner.stop();
    };
    const jobs = await a.addBulk([1, 2, 3].map((n) => ({ name: 'work' as const, data: n })));
    await failAll(3);

    // A schedule change and calls that change nothing send no `changed`: the first event is the retry's.
    await b.schedule('tick', { every: 60_000 }, 'work', 0);
    const first = nextChange();
    expect(await b.retryFailed()).toBe(3);
    expect(await first).toEqual({ action: 'retryFailed', count: 3 });
    expect(await b.clean({ state: 'failed' })).toBe(0);
    await failAll(3);
    let change = nextChange();
    await b.retry(jobs[0]?.id as string);
    expect(await change).toEqual({ action: 'retry', count: 1 });
    change = nextChange();
    await b.clean({ state: 'failed' });
    expect(await change).toEqual({ action: 'clean', count: 2 });
    expect(changes).toEqual([
      { action: 'retryFailed', count: 3 },
      { action: 'retry', count: 1 },
      { action: 'clean', count: 2 },
    ]);
  });

  it("calls changed listeners in every tab with action 'replace' when an add replaces a waiting job", async () => {
    const { a, b } = await twoTabs(storage);
    const first = await a.add('work', 1, { idempotencyKey: 'draft', onDuplicate: 'replace' });
    const change = new Promise<QueueChange>((resolve) => a.on('changed', resolve));
    const second = await b.add('work', 2, { idempotencyKey: 'draft', onDuplicate: 'replace' });
    expect(second.id).toBe(first.id);
    expect(await change).toEqual({ action: 'replace', count: 1 });
    expect((await a.get(first.id))?.data).toBe(2);
  });

  it('counts the runners of the queue from either tab, and none once they stop', async () => {
    const { a, b } = await twoTabs(storage);
    expect(await b.runners()).toBe(0);
    const first = startWorkers(a, { handlers: { work: (n) => n } });
    const second = startWorkers(a, { handlers: { work: (n) => n } });
    await Promise.all([first.ready, second.ready]);
    expect(await b.runners()).toBe(2);
    await first.stop();
    expect(await b.runners()).toBe(1);
    await a.close();
    expect(await b.runners()).toBe(0);
  });

  it('counts concurrency across tabs: a second runner claims nothing while the first holds the only slot', async () => {
    const { a, b } = await twoTabs(storage);
    const gate = deferred();
    const ran: string[] = [];
    const handler = async (n: number) => {
      ran.push(`${String(n)}`);
      await gate.promise;
    };
    const jobs = await a.addBulk([1, 2].map((n) => ({ name: 'work' as const, data: n })));
    const active = nextEvent(a, 'active');
    startWorkers(a, { concurrency: 1, handlers: { work: handler } });
    await active;
    const second = startWorkers(b, { concurrency: 1, handlers: { work: (n: number) => ran.push(`b${String(n)}`) } });
    await second.ready; // its first claim pass is queued before the read below
    expect(await b.counts()).toMatchObject({ processing: 1, pending: 1 });
    expect(ran).toEqual(['1']);
    gate.resolve();
    await b.waitFor(jobs[1]?.id as string);
    expect(ran).toHaveLength(2);
  });

  it('runs every job exactly once with runners in two tabs', async () => {
    const { a, b } = await twoTabs(storage);
    const runs = new Map<number, string[]>();
    const handler = (tab: string) => async (n: number) => {
      runs.set(n, [...(runs.get(n) ?? []), tab]);
      await Promise.resolve();
      return n;
    };
    startWorkers(a, { concurrency: 3, handlers: { work: handler('a') } });
    startWorkers(b, { concurrency: 3, handlers: { work: handler('b') } });
    const jobs: Job[] = await a.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'work' as const, data: i })));
    for (const job of jobs) await b.waitFor(job.id);
    expect([...runs.values()].map((tabs) => tabs.length)).toEqual(Array.from({ length: 20 }, () => 1));
    expect(await a.counts()).toMatchObject({ completed: 20, processing: 0 });
  });
});

describe('runners() with Web Locks', () => {
  it('counts runners of other tabs and workers from the locks they hold, once each', async () => {
    const locks = fakeLocks();
    const t = await openTest<Jobs>('indexeddb', { environment: { locks } });
    const runner = startWorkers(t.queue, { handlers: { work: (n) => n } });
    await runner.ready;
    // A runner in another tab, with one of its workers, holds these.
    const release = deferred();
    void locks.request(`jobrail:${t.name}:runner:other-tab`, () => release.promise);
    void locks.request(`jobrail:${t.name}:runner:other-tab/worker:1`, () => release.promise);
    void locks.request(`jobrail:not-${t.name}:runner:x`, () => release.promise);
    expect(await t.queue.runners()).toBe(2);
    release.resolve();
    await runner.stop();
    await vi.waitFor(async () => expect(await t.queue.runners()).toBe(0));
  });
});
