/**
 * Named backoff strategies (issue 11, defect 3): a job stores `backoff: { type: name }`, and
 * whichever runner settles its failure — this tab, another tab, the service-worker drain —
 * computes the wait with the strategy registered under that name.
 */
import { describe, expect, it } from 'vitest';
import { JobrailError, openQueue, startWorkers, type BackoffStrategy, type Job } from '../src/index.js';
import { INTERNALS } from '../src/internals.js';
import { drainQueue } from '../src/sw.js';
import { Clock } from './helpers/async-clock.js';
import { STORAGES, nextEvent, openTest, uniqueName } from './helpers/queues.js';

type Jobs = { work: { n: number } };

const failing = {
  work: () => {
    throw new Error('still down');
  },
};

/** 100 ms per attempt, or `delay` per attempt when the job gives one. */
const linear: BackoffStrategy = (attempt, _error, _job, backoff) => attempt * (backoff.delay ?? 100);

describe.each(STORAGES)('named backoff strategies (%s storage)', (storage) => {
  it('computes every retry wait with the strategy registered on the runner, given the attempt, error, job and stored backoff', async () => {
    const { queue, clock } = await openTest<Jobs>(storage);
    const calls: Parameters<BackoffStrategy>[] = [];
    const spy: BackoffStrategy = (...args) => (calls.push(args), linear(...args));
    startWorkers(queue, { handlers: failing, backoffStrategies: { linear: spy } });
    const waits: number[] = [];
    queue.on('retrying', (job) => waits.push(job.runAt - job.updatedAt));
    let next = nextEvent(queue, 'retrying');
    const job = await queue.add('work', { n: 1 }, { retries: 3, backoff: { type: 'linear', delay: 50 } });
    const failed = nextEvent(queue, 'failed', (j) => j.id === job.id);
    for (let i = 0; i < 3; i++) {
      const retrying = await next;
      next = nextEvent(queue, 'retrying');
      await clock.timerAt(retrying.runAt);
      clock.advance(retrying.runAt - clock.now());
    }
    await failed;
    expect(waits).toEqual([50, 100, 150]);
    expect(calls.map(([attempt]) => attempt)).toEqual([1, 2, 3]);
    const [, error, seen, backoff] = calls[0] as Parameters<BackoffStrategy>;
    expect(error).toMatchObject({ name: 'Error', message: 'still down' });
    expect(seen).toMatchObject({ id: job.id, name: 'work', data: { n: 1 }, attempts: 1 });
    expect(backoff).toEqual({ type: 'linear', delay: 50 });
  });

  it('is honoured by a runner in another tab: the adding tab and the running tab each register it', async () => {
    const t = await openTest<Jobs>(storage, { backoffStrategies: { linear } });
    const other = await t.another({ backoffStrategies: { linear } });
    startWorkers(other, { handlers: failing });
    const retrying = nextEvent(t.queue, 'retrying');
    await t.queue.add('work', { n: 1 }, { retries: 1, backoff: { type: 'linear', delay: 700 } });
    const job = await retrying;
    expect(job.runAt - job.updatedAt).toBe(700);
  });

  it('fails a job whose runner does not know its strategy at the retry, saying how to register it', async () => {
    // The adding tab knows the strategy; the tab whose runner takes the job does not.
    const t = await openTest<Jobs>(storage);
    const adder = await t.another({ backoffStrategies: { linear } });
    startWorkers(t.queue, { handlers: failing });
    const job = await adder.add('work', { n: 1 }, { retries: 3, backoff: { type: 'linear' } });
    const error = await t.queue.waitFor(job.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobrailError);
    const dead = (await t.queue.get(job.id)) as Job;
    expect(dead).toMatchObject({ state: 'failed', attempts: 1, error: { name: 'JobrailError' } });
    expect(dead.error?.message).toMatch(/still down/);
    expect(dead.error?.message).toMatch(/no retry: backoff strategy "linear", which this runner does not know/);
    expect(dead.error?.message).toMatch(/backoffStrategies: \{ "linear": \(attempt, error, job\) => ms \}/);
  });

  it('fails the job with the reason when its strategy throws', async () => {
    const { queue } = await openTest<Jobs>(storage);
    startWorkers(queue, {
      handlers: failing,
      backoffStrategies: {
        broken: () => {
          throw new RangeError('no wait for you');
        },
      },
    });
    const job = await queue.add('work', { n: 1 }, { retries: 3, backoff: { type: 'broken' } });
    await queue.waitFor(job.id).catch(() => undefined);
    expect((await queue.get(job.id))?.error?.message).toMatch(/its backoff strategy "broken" threw RangeError: no wait for you/);
  });

  it('accepts a strategy in a schedule, stored with it', async () => {
    const { queue } = await openTest<Jobs>(storage, { backoffStrategies: { linear } });
    const info = await queue.schedule('s', { every: 60_000 }, 'work', { n: 1 }, { backoff: { type: 'linear', delay: 5 } });
    expect(info.options.backoff).toEqual({ type: 'linear', delay: 5 });
  });

  it('forgets an in-memory backoff function when another tab completes the job', async () => {
    const t = await openTest<Jobs>(storage);
    const other = await t.another();
    const job = await t.queue.add('work', { n: 1 }, { backoff: () => 10 });
    expect(t.queue[INTERNALS].backoffFns.has(job.id)).toBe(true);
    const done = nextEvent(t.queue, 'completed', (j) => j.id === job.id);
    startWorkers(other, { handlers: { work: () => 'ok' } });
    await done;
    expect(t.queue[INTERNALS].backoffFns.has(job.id)).toBe(false);
  });
});

describe('registering backoff strategies', () => {
  it('refuses an add naming a strategy nobody registered, naming `backoff.type` and how to register one', async () => {
    const { queue } = await openTest<Jobs>('memory');
    const error = await queue.add('work', { n: 1 }, { backoff: { type: 'linear' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toMatch(/`backoff\.type`.*backoffStrategies/);
    expect(await queue.counts()).toMatchObject({ pending: 0 });
  });

  it('accepts the names of openQueue and of every runner started on the queue object', async () => {
    const { queue } = await openTest<Jobs>('memory', { backoffStrategies: { linear } });
    await expect(queue.add('work', { n: 1 }, { backoff: { type: 'linear' } })).resolves.toMatchObject({ state: 'pending' });
    await expect(queue.add('work', { n: 1 }, { backoff: { type: 'square' } })).rejects.toThrow(/`backoff\.type`.*"linear"/);
    startWorkers(queue, { handlers: { work: () => undefined }, backoffStrategies: { square: (n) => n * n } });
    await expect(queue.add('work', { n: 1 }, { backoff: { type: 'square' } })).resolves.toMatchObject({ state: 'pending' });
  });

  it('refuses bad registrations before anything runs', async () => {
    const { queue } = await openTest<Jobs>('memory', { backoffStrategies: { linear } });
    const start = (backoffStrategies: unknown) => () => startWorkers(queue, { handlers: { work: () => undefined }, backoffStrategies } as never);
    expect(start('linear')).toThrow(/Expected `backoffStrategies` to be an object of functions/);
    expect(start({ linear: 100 })).toThrow(/Expected `backoffStrategies.linear` to be a function/);
    expect(start({ fixed: linear })).toThrow(/"fixed" is taken/);
    expect(start({ linear: (n: number) => n })).toThrow(/"linear" is already registered on this queue with another function/);
    await expect(drainQueue({ queue: uniqueName(), handlers: {}, backoffStrategies: { exponential: linear } })).rejects.toThrow(/"exponential" is taken/);
    await expect(queue.add('work', { n: 1 }, { backoff: { type: 'linear', jitter: true } as never })).rejects.toThrow(/Unknown option `backoff.jitter` for the backoff strategy "linear"/);
  });
});

describe('the service-worker drain', () => {
  it('computes the retry wait with its own backoffStrategies', async () => {
    const clock = new Clock();
    const name = uniqueName('sw-strategy');
    const page = await openQueue<Jobs>(name, { environment: clock.env, backoffStrategies: { linear } });
    const job = await page.add('work', { n: 1 }, { retries: 2, backoff: { type: 'linear', delay: 400 } });
    // A budget shorter than the wait: the drain ends once the retry is scheduled.
    const result = await drainQueue<Jobs>({ queue: name, handlers: failing, backoffStrategies: { linear }, budget: 300, queueOptions: { environment: clock.env } });
    expect(result.attempts).toBe(1);
    const after = (await page.get(job.id)) as Job;
    expect(after).toMatchObject({ state: 'retrying', attempts: 1 });
    expect(after.runAt - after.updatedAt).toBe(400);
    await page.close();
  });
});
