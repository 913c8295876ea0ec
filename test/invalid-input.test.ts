import { describe, expect, it } from 'vitest';
import { JobrailError, openQueue, startWorkers, type Queue } from '../src/index.js';
import { STORAGES, dump, engineOf, openTest, storageFor, type Storage } from './helpers/queues.js';

type Jobs = { work: unknown };

interface Ctx {
  queue: Queue<Jobs>;
  name: string;
  storage: Storage;
  pendingId: string;
}

interface Row {
  call: (ctx: Ctx) => unknown;
  error: typeof TypeError | typeof RangeError | typeof JobrailError;
  /** What the message must contain: the option (or id, or queue) it is about. */
  names: string | RegExp | ((ctx: Ctx) => string);
  /** A synchronous API: throws instead of rejecting. */
  sync?: boolean;
  /** Called after the queue object was closed. */
  closed?: boolean;
}

const valid = { name: 'work', data: { ok: true } } as const;
/** The queue as plain JavaScript sees it: any argument goes. */
const anyQueue = (q: Queue<Jobs>) => q as unknown as Record<'add' | 'addBulk' | 'get' | 'clean' | 'waitFor', (...args: unknown[]) => Promise<unknown>>;
const add = (options: unknown, data: unknown = 1) => (c: Ctx) => c.queue.add('work', data, options as never);
const runner = (options: unknown) => (c: Ctx) => startWorkers(c.queue, options as never);
const open = (options: unknown) => async (c: Ctx) => openQueue(c.name, { storage: await storageFor(c.storage, c.name), ...(options as object) });
const closedNames = (c: Ctx) => `Queue "${c.name}" is closed`;

const rows: Record<string, Row> = {
  // add: the job name and data
  'add with a numeric job name': { call: (c) => anyQueue(c.queue).add(42, 1), error: TypeError, names: '`name`' },
  'add with an empty job name': { call: (c) => c.queue.add('' as 'work', 1), error: RangeError, names: '`name`' },
  'add with a function as data': { call: (c) => c.queue.add('work', () => 1), error: JobrailError, names: 'Data of job "work" cannot be stored' },
  'add with a symbol as data': { call: (c) => c.queue.add('work', Symbol('s')), error: JobrailError, names: 'Data of job "work" cannot be stored' },
  'add with a function deep inside the data': { call: (c) => c.queue.add('work', { a: [{ b: () => 1 }] }), error: JobrailError, names: 'Data of job "work"' },
  'add with data over maxDataBytes': { call: (c) => c.queue.add('work', 'x'.repeat(5000)), error: RangeError, names: '`maxDataBytes`' },
  // add: job options
  'add with options that are not an object': { call: add('fast'), error: TypeError, names: '`options`' },
  'add with an unknown option': { call: add({ prio: 1 }), error: TypeError, names: '`prio`' },
  'add with negative retries': { call: add({ retries: -1 }), error: RangeError, names: '`retries`' },
  'add with non-integer retries': { call: add({ retries: 1.5 }), error: RangeError, names: '`retries`' },
  'add with retries as a string': { call: add({ retries: '3' }), error: TypeError, names: '`retries`' },
  'add with a NaN delay': { call: add({ delay: Number.NaN }), error: RangeError, names: '`delay`' },
  'add with a negative delay': { call: add({ delay: -5 }), error: RangeError, names: '`delay`' },
  'add with both delay and runAt': { call: add({ delay: 5, runAt: Date.now() }), error: TypeError, names: /`delay`.*`runAt`/ },
  'add with an invalid runAt Date': { call: add({ runAt: new Date('nope') }), error: RangeError, names: '`runAt`' },
  'add with runAt as a string': { call: add({ runAt: 'tomorrow' }), error: TypeError, names: '`runAt`' },
  'add with a non-integer priority': { call: add({ priority: 1.5 }), error: RangeError, names: '`priority`' },
  'add with priority as a string': { call: add({ priority: 'high' }), error: TypeError, names: '`priority`' },
  'add with an unknown backoff type': { call: add({ backoff: { type: 'linear', delay: 5 } }), error: TypeError, names: '`backoff.type`' },
  'add with backoff as a string': { call: add({ backoff: 'exponential' }), error: TypeError, names: '`backoff`' },
  'add with a negative backoff delay': { call: add({ backoff: { type: 'exponential', delay: -1 } }), error: RangeError, names: '`backoff.delay`' },
  'add with a fixed backoff without delay': { call: add({ backoff: { type: 'fixed' } }), error: TypeError, names: '`backoff.delay`' },
  'add with a NaN backoff maxDelay': { call: add({ backoff: { type: 'exponential', maxDelay: Number.NaN } }), error: RangeError, names: '`backoff.maxDelay`' },
  'add with a non-boolean backoff jitter': { call: add({ backoff: { type: 'exponential', jitter: 'yes' } }), error: TypeError, names: '`backoff.jitter`' },
  'add with an unknown backoff key': { call: add({ backoff: { type: 'exponential', factor: 3 } }), error: TypeError, names: '`backoff.factor`' },
  'add with maxDelay on a fixed backoff': { call: add({ backoff: { type: 'fixed', delay: 1, maxDelay: 5 } }), error: TypeError, names: '`backoff.maxDelay`' },
  'add with a zero timeout': { call: add({ timeout: 0 }), error: RangeError, names: '`timeout`' },
  'add with an infinite timeout': { call: add({ timeout: Infinity }), error: RangeError, names: '`timeout`' },
  'add with a numeric idempotencyKey': { call: add({ idempotencyKey: 42 }), error: TypeError, names: '`idempotencyKey`' },
  'add with an empty idempotencyKey': { call: add({ idempotencyKey: '' }), error: RangeError, names: '`idempotencyKey`' },
  'add with a non-boolean requiresNetwork': { call: add({ requiresNetwork: 'yes' }), error: TypeError, names: '`requiresNetwork`' },
  'add with removeOnComplete as a string': { call: add({ removeOnComplete: 'yes' }), error: TypeError, names: '`removeOnComplete`' },
  'add with a negative removeOnComplete age': { call: add({ removeOnComplete: { age: -1 } }), error: RangeError, names: '`removeOnComplete.age`' },
  'add with a non-integer removeOnComplete count': { call: add({ removeOnComplete: { count: 1.5 } }), error: RangeError, names: '`removeOnComplete.count`' },
  'add with both removeOnComplete age and count': { call: add({ removeOnComplete: { age: 1, count: 2 } }), error: TypeError, names: '`removeOnComplete`' },
  // addBulk: all or nothing
  'addBulk with something other than an array': { call: (c) => anyQueue(c.queue).addBulk('jobs'), error: TypeError, names: '`items`' },
  'addBulk with an item that is not an object': { call: (c) => anyQueue(c.queue).addBulk([valid, null]), error: TypeError, names: 'item 1' },
  'addBulk with a bad option in its second item': { call: (c) => c.queue.addBulk([valid, { name: 'work', data: 1, options: { retries: -1 } }]), error: RangeError, names: '`retries`' },
  'addBulk with data that cannot be stored in its second item': { call: (c) => c.queue.addBulk([valid, { name: 'work', data: () => 1 }]), error: JobrailError, names: 'Data of job "work"' },
  'addBulk with an empty name in its last item': { call: (c) => c.queue.addBulk([valid, valid, { name: '' as 'work', data: 1 }]), error: RangeError, names: '`name`' },
  // openQueue
  'openQueue with a numeric name': { call: () => openQueue(42 as unknown as string), error: TypeError, names: 'queue `name`' },
  'openQueue with an empty name': { call: () => openQueue(''), error: RangeError, names: 'queue `name`' },
  'openQueue with a name over 200 characters': { call: () => openQueue('q'.repeat(201)), error: RangeError, names: 'queue `name`' },
  'openQueue with an unknown storage': { call: open({ storage: 'disk' }), error: TypeError, names: '`storage`' },
  'openQueue with an unknown option': { call: open({ store: 'memory' }), error: TypeError, names: '`store`' },
  'openQueue with options that are not an object': { call: (c) => openQueue(c.name, 'memory' as never), error: TypeError, names: '`options`' },
  'openQueue with a zero maxDataBytes': { call: open({ maxDataBytes: 0 }), error: RangeError, names: '`maxDataBytes`' },
  'openQueue with bad defaults': { call: open({ defaults: { retries: -1 } }), error: RangeError, names: '`retries`' },
  'openQueue with an unknown default option': { call: open({ defaults: { colour: 'red' } }), error: TypeError, names: /`colour` in defaults/ },
  'openQueue with a non-object environment': { call: open({ environment: 5 }), error: TypeError, names: '`environment`' },
  'openQueue with an idempotencyKey default': { call: open({ defaults: { idempotencyKey: 'same' } }), error: TypeError, names: '`idempotencyKey` cannot be a default' },
  'openQueue with a runAt default': { call: open({ defaults: { runAt: 5 } }), error: TypeError, names: '`runAt` cannot be a default' },
  // startWorkers
  'startWorkers without handlers or worker': { call: runner({}), error: TypeError, names: '`handlers`', sync: true },
  'startWorkers with both handlers and worker': { call: runner({ handlers: {}, worker: () => null }), error: TypeError, names: '`worker`', sync: true },
  'startWorkers with a handler that is not a function': { call: runner({ handlers: { work: 'run' } }), error: TypeError, names: 'handler `work`', sync: true },
  'startWorkers with handlers that are not an object': { call: runner({ handlers: 'work' }), error: TypeError, names: '`handlers`', sync: true },
  'startWorkers with a zero concurrency': { call: runner({ handlers: {}, concurrency: 0 }), error: RangeError, names: '`concurrency`', sync: true },
  'startWorkers with a non-integer concurrency': { call: runner({ handlers: {}, concurrency: 1.5 }), error: RangeError, names: '`concurrency`', sync: true },
  'startWorkers with an unknown option': { call: runner({ handlers: {}, threads: 2 }), error: TypeError, names: '`threads`', sync: true },
  'startWorkers with workers next to handlers': { call: runner({ handlers: {}, workers: 2 }), error: TypeError, names: '`workers`', sync: true },
  'startWorkers with a worker that is not a function': { call: runner({ worker: 'jobs.js' }), error: TypeError, names: '`worker`', sync: true },
  'startWorkers with a zero limiter.max': { call: runner({ handlers: {}, limiter: { max: 0, duration: 1000 } }), error: RangeError, names: '`limiter.max`', sync: true },
  'startWorkers with a zero limiter.duration': { call: runner({ handlers: {}, limiter: { max: 1, duration: 0 } }), error: RangeError, names: '`limiter.duration`', sync: true },
  'startWorkers with a limiter that is not an object': { call: runner({ handlers: {}, limiter: 5 }), error: TypeError, names: '`limiter`', sync: true },
  'startWorkers with a zero leaseMs': { call: runner({ handlers: {}, leaseMs: 0 }), error: RangeError, names: '`leaseMs`', sync: true },
  'startWorkers with a zero maxCrashes': { call: runner({ handlers: {}, maxCrashes: 0 }), error: RangeError, names: '`maxCrashes`', sync: true },
  'startWorkers with a negative gracePeriod': { call: runner({ handlers: {}, gracePeriod: -1 }), error: RangeError, names: '`gracePeriod`', sync: true },
  'startWorkers with options that are not an object': { call: runner(null), error: TypeError, names: '`options`', sync: true },
  'startWorkers with something that is not a queue': { call: () => startWorkers({} as never, { handlers: {} }), error: TypeError, names: '`queue`', sync: true },
  // list and clean
  'list with an unknown state': { call: (c) => c.queue.list({ state: 'done' as never }), error: TypeError, names: '`state`' },
  'list with a negative limit': { call: (c) => c.queue.list({ limit: -1 }), error: RangeError, names: '`limit`' },
  'list with a non-integer offset': { call: (c) => c.queue.list({ offset: 1.5 }), error: RangeError, names: '`offset`' },
  'list with an unknown option': { call: (c) => c.queue.list({ sort: 'asc' } as never), error: TypeError, names: '`sort`' },
  'list with options that are not an object': { call: (c) => c.queue.list('pending' as never), error: TypeError, names: '`options`' },
  'list with an empty name': { call: (c) => c.queue.list({ name: '' as never }), error: RangeError, names: '`name`' },
  'clean with a state that is not finished': { call: (c) => c.queue.clean({ state: 'pending' as never }), error: TypeError, names: '`state`' },
  'clean with a negative olderThan': { call: (c) => c.queue.clean({ state: 'completed', olderThan: -1 }), error: RangeError, names: '`olderThan`' },
  'clean with a NaN limit': { call: (c) => c.queue.clean({ state: 'completed', limit: Number.NaN }), error: RangeError, names: '`limit`' },
  'clean with an unknown option': { call: (c) => c.queue.clean({ state: 'completed', age: 5 } as never), error: TypeError, names: '`age`' },
  'clean without options': { call: (c) => anyQueue(c.queue).clean(), error: TypeError, names: '`options`' },
  // ids and events
  'get with a numeric id': { call: (c) => anyQueue(c.queue).get(42), error: TypeError, names: '`id`' },
  'remove with an empty id': { call: (c) => c.queue.remove(''), error: TypeError, names: '`id`' },
  'retry of an id no job has': { call: (c) => c.queue.retry('no-such-id'), error: JobrailError, names: '"no-such-id"' },
  'retry of a job that is not failed': { call: (c) => c.queue.retry(c.pendingId), error: JobrailError, names: 'is pending' },
  'waitFor of an id no job has': { call: (c) => c.queue.waitFor('no-such-id'), error: JobrailError, names: '"no-such-id"' },
  'waitFor with a numeric id': { call: (c) => anyQueue(c.queue).waitFor(42), error: TypeError, names: '`id`' },
  'on with an unknown event': { call: (c) => c.queue.on('finished' as 'added', () => undefined), error: TypeError, names: '"finished"', sync: true },
  'on with a listener that is not a function': { call: (c) => c.queue.on('added', 'log' as never), error: TypeError, names: '`listener`', sync: true },
  // calls after close()
  'add after close': { call: (c) => c.queue.add('work', 1), error: JobrailError, names: closedNames, closed: true },
  'addBulk after close': { call: (c) => c.queue.addBulk([valid]), error: JobrailError, names: closedNames, closed: true },
  'get after close': { call: (c) => c.queue.get(c.pendingId), error: JobrailError, names: closedNames, closed: true },
  'list after close': { call: (c) => c.queue.list(), error: JobrailError, names: closedNames, closed: true },
  'counts after close': { call: (c) => c.queue.counts(), error: JobrailError, names: closedNames, closed: true },
  'waitFor after close': { call: (c) => c.queue.waitFor(c.pendingId), error: JobrailError, names: closedNames, closed: true },
  'retry after close': { call: (c) => c.queue.retry(c.pendingId), error: JobrailError, names: closedNames, closed: true },
  'retryFailed after close': { call: (c) => c.queue.retryFailed(), error: JobrailError, names: closedNames, closed: true },
  'remove after close': { call: (c) => c.queue.remove(c.pendingId), error: JobrailError, names: closedNames, closed: true },
  'clean after close': { call: (c) => c.queue.clean({ state: 'completed' }), error: JobrailError, names: closedNames, closed: true },
  'pause after close': { call: (c) => c.queue.pause(), error: JobrailError, names: closedNames, closed: true },
  'resume after close': { call: (c) => c.queue.resume(), error: JobrailError, names: closedNames, closed: true },
  'isPaused after close': { call: (c) => c.queue.isPaused(), error: JobrailError, names: closedNames, closed: true },
  'on after close': { call: (c) => c.queue.on('added', () => undefined), error: JobrailError, names: closedNames, closed: true, sync: true },
  'startWorkers after close': { call: (c) => startWorkers(c.queue, { handlers: {} }), error: JobrailError, names: closedNames, closed: true, sync: true },
};

describe.each(STORAGES)('invalid input (%s storage)', (storage) => {
  it('has a table of at least 30 bad inputs', () => {
    expect(Object.keys(rows).length).toBeGreaterThanOrEqual(30);
  });

  it.each(Object.entries(rows))('refuses %s with the right error class and message, writing nothing', async (_label, row) => {
    const t = await openTest<Jobs>(storage, { maxDataBytes: 4096 });
    const observer = await t.another(); // a second tab, still open when the first closes
    const seeded = await t.queue.add('work', { seeded: true }, { idempotencyKey: 'seed' });
    await t.queue.add('work', 2, { delay: 60_000 });
    const ctx: Ctx = { queue: t.queue, name: t.name, storage, pendingId: seeded.id };
    const before = await dump(engineOf(observer));
    if (row.closed) await t.queue.close();

    let error: unknown;
    if (row.sync) {
      try {
        row.call(ctx);
      } catch (e) {
        error = e;
      }
    } else {
      let result: unknown;
      // promise-returning calls reject; they never throw synchronously
      expect(() => (result = row.call(ctx))).not.toThrow();
      expect(result).toBeInstanceOf(Promise);
      error = await (result as Promise<unknown>).then(
        (value) => {
          if (value && typeof (value as Queue).close === 'function') void (value as Queue).close();
          return undefined;
        },
        (e: unknown) => e,
      );
    }

    expect(error, 'the call should have failed').toBeDefined();
    expect((error as Error).constructor).toBe(row.error);
    const names = typeof row.names === 'function' ? row.names(ctx) : row.names;
    if (names instanceof RegExp) expect((error as Error).message).toMatch(names);
    else expect((error as Error).message).toContain(names);
    expect(await dump(engineOf(observer))).toEqual(before);
    expect(await observer.counts()).toEqual({ pending: 2, processing: 0, completed: 0, retrying: 0, failed: 0 });
  });
});
