import { afterEach, describe, expect, it } from 'vitest';
import { DependencyError, ExpiredError, JobrailError, startWorkers, type HandlerContext, type Job } from '../src/index.js';
import * as workerEntry from '../src/worker.js';
import { prefix } from '../src/store/engine.js';
import { STORAGES, deferred, dump, engineOf, nextDrained, nextEvent, openTest, type Deferred } from './helpers/queues.js';

type Jobs = { step: string; upload: string; message: string };

const live = new Set<{ releaseAll(): void }>();
// Runs before the helper's afterEach closes the queues (hooks run in reverse order): a runner's
// stop waits for attempts in flight, so the ones a test left running are ended first.
afterEach(() => {
  for (const h of live) h.releaseAll();
  live.clear();
});

/** Handlers whose attempts the test ends one by one: `starts` logs `data` in start order. */
function controlled() {
  const starts: string[] = [];
  const running = new Map<string, Deferred<unknown>>();
  const contexts = new Map<string, HandlerContext>();
  const started = new Map<string, Deferred<void>>();
  const startedOf = (d: string) => {
    let s = started.get(d);
    if (!s) started.set(d, (s = deferred()));
    return s;
  };
  let next = deferred<string>();
  const handler = (data: string, ctx: HandlerContext) => {
    starts.push(data);
    next.resolve(data);
    next = deferred<string>();
    contexts.set(data, ctx);
    const done = deferred<unknown>();
    running.set(data, done);
    void done.promise.then(
      () => running.get(data) === done && running.delete(data),
      () => running.get(data) === done && running.delete(data),
    );
    startedOf(data).resolve();
    return done.promise;
  };
  const out = {
    releaseAll() {
      for (const done of running.values()) done.resolve('released');
    },
    starts,
    contexts,
    handlers: { step: handler, upload: handler, message: handler },
    /** Resolves with the data of the next attempt that starts. */
    anyStart: () => next.promise,
    /** Resolves once the attempt of `data` has started. */
    started: (data: string) => startedOf(data).promise,
    finish(data: string, result: unknown = data) {
      started.delete(data);
      running.get(data)?.resolve(result);
    },
    fail(data: string, message = 'boom') {
      started.delete(data);
      running.get(data)?.reject(new Error(message));
    },
    running: () => [...running.keys()],
  };
  live.add(out);
  return out;
}

describe('outbox errors', () => {
  it('exports ExpiredError and DependencyError from both entries, as JobrailErrors with stable names', () => {
    expect(new ExpiredError('x')).toBeInstanceOf(JobrailError);
    expect(new DependencyError('x')).toBeInstanceOf(JobrailError);
    expect(new ExpiredError('x').name).toBe('ExpiredError');
    expect(new DependencyError('x').name).toBe('DependencyError');
    expect(workerEntry.ExpiredError).toBe(ExpiredError);
    expect(workerEntry.DependencyError).toBe(DependencyError);
  });
});

describe.each(STORAGES)('outbox options (%s storage)', (storage) => {
  it.each([
    [{ group: 3 }, TypeError, /`group`/],
    [{ group: '' }, RangeError, /`group`/],
    [{ onDuplicate: 'merge' }, TypeError, /`onDuplicate`/],
    [{ expiresAt: 5, expiresIn: 5 }, TypeError, /`expiresAt` or `expiresIn`/],
    [{ expiresIn: -1 }, RangeError, /`expiresIn`/],
    [{ expiresIn: Number.NaN }, RangeError, /`expiresIn`/],
    [{ expiresIn: '5' }, TypeError, /`expiresIn`/],
    [{ expiresAt: new Date(Number.NaN) }, RangeError, /`expiresAt`/],
    [{ expiresAt: 'tomorrow' }, TypeError, /`expiresAt`/],
    [{ expiresIn: 500, delay: 1000 }, RangeError, /`expiresAt` to be later than the job's run time/],
    [{ dependsOn: '1' }, TypeError, /`dependsOn`/],
    [{ dependsOn: [''] }, RangeError, /`dependsOn\[0\]`/],
    [{ dependsOn: [{}] }, TypeError, /`dependsOn\[0\]`/],
    [{ dependsOn: ['1', -1] }, RangeError, /`dependsOn\[1\]`/],
    [{ dependsOn: [0] }, TypeError, /only in addBulk/],
  ])('refuses %o with the error naming the option, and writes nothing', async (options, kind, message) => {
    const { queue } = await openTest<Jobs>(storage);
    await queue.add('step', 'before');
    const before = await dump(engineOf(queue));
    const error = await queue.add('step', 'x', options as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(kind);
    expect((error as Error).message).toMatch(message);
    expect(await dump(engineOf(queue))).toEqual(before);
  });

  it('refuses a dependsOn id that names no stored job with a JobrailError, writing nothing', async () => {
    const { queue } = await openTest<Jobs>(storage);
    const a = await queue.add('step', 'a');
    const before = await dump(engineOf(queue));
    const error = await queue.add('step', 'b', { dependsOn: [a.id, '999'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobrailError);
    expect((error as Error).message).toMatch(/names job 999, which is not stored/);
    const bulk = await queue.addBulk([{ name: 'step', data: 'c' }, { name: 'step', data: 'd', options: { dependsOn: [0, 'nope'] } }]).catch((e: unknown) => e);
    expect(bulk).toBeInstanceOf(JobrailError);
    expect(await dump(engineOf(queue))).toEqual(before);
  });

  it('refuses an addBulk item that depends on itself or a later item (no cycles), writing nothing', async () => {
    const { queue } = await openTest<Jobs>(storage);
    const before = await dump(engineOf(queue));
    for (const deps of [[0], [1]]) {
      const error = await queue
        .addBulk([
          { name: 'step', data: 'a', options: { dependsOn: deps } },
          { name: 'step', data: 'b', options: { dependsOn: [0] } },
        ])
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JobrailError);
      expect((error as Error).message).toMatch(/only on an earlier item/);
    }
    expect(await dump(engineOf(queue))).toEqual(before);
  });

  it('refuses expiresAt and dependsOn as queue defaults; accepts group and expiresIn', async () => {
    await expect(openTest(storage, { defaults: { expiresAt: Date.now() + 1000 } })).rejects.toThrow(TypeError);
    await expect(openTest(storage, { defaults: { dependsOn: ['1'] } })).rejects.toThrow(TypeError);
    const { queue, clock } = await openTest<Jobs>(storage, { defaults: { group: 'all', expiresIn: 5000 } });
    expect(await queue.add('step', 'x')).toMatchObject({ group: 'all', expiresAt: clock.now() + 5000 });
  });

  it('lets a schedule give its ticks a group and an expiry, and refuses the options that name one job', async () => {
    const { queue } = await openTest<Jobs>(storage);
    const info = await queue.schedule('sync', { every: 60_000 }, 'step', 'tick', { group: 'sync', expiresIn: 30_000 });
    expect(info.options).toEqual({ group: 'sync', expiresIn: 30_000 });
    for (const bad of [{ dependsOn: ['1'] }, { onDuplicate: 'replace' }, { expiresAt: Date.now() + 1000 }]) {
      await expect(queue.schedule('bad', { every: 60_000 }, 'step', 'x', bad as never)).rejects.toThrow(TypeError);
    }
    expect((await queue.schedules()).map((s) => s.id)).toEqual(['sync']);
  });

  it('shows group, expiry, dependencies and what a job waits for in its snapshot', async () => {
    const { queue, clock } = await openTest<Jobs>(storage);
    const a = await queue.add('step', 'a', { group: 'g' });
    const b = await queue.add('step', 'b', { group: 'g', expiresAt: new Date(clock.now() + 10_000) });
    const c = await queue.add('step', 'c', { dependsOn: [a.id, b.id, a.id] });
    expect(a).toMatchObject({ group: 'g', waitingFor: [], dependsOn: [], expiresAt: undefined });
    expect(b).toMatchObject({ state: 'pending', group: 'g', waitingFor: [a.id], expiresAt: clock.now() + 10_000 });
    expect(c).toMatchObject({ state: 'pending', group: undefined, dependsOn: [a.id, b.id], waitingFor: [a.id, b.id] });
    expect(await queue.get(c.id)).toEqual(c);
  });
});

describe.each(STORAGES)('ordered groups (%s storage)', (storage) => {
  it('runs the jobs of a group one at a time in enqueue order, other groups and ungrouped jobs beside them', async () => {
    const { queue } = await openTest<Jobs>(storage);
    const h = controlled();
    // Priority orders only between groups: a2's higher priority does not let it pass a1.
    await queue.add('step', 'a1', { group: 'a' });
    await queue.add('step', 'a2', { group: 'a', priority: 10 });
    await queue.add('step', 'a3', { group: 'a' });
    await queue.add('step', 'b1', { group: 'b' });
    await queue.add('step', 'free');
    startWorkers(queue, { handlers: h.handlers, concurrency: 4 });
    await Promise.all([h.started('a1'), h.started('b1'), h.started('free')]);
    expect(h.starts.sort()).toEqual(['a1', 'b1', 'free']);
    expect((await queue.get('2'))?.waitingFor).toEqual(['1']);
    h.finish('b1');
    h.finish('free');
    const a2 = h.started('a2');
    h.finish('a1');
    await a2;
    expect(h.running().filter((d) => d.startsWith('a'))).toContain('a2');
    const a3 = h.started('a3');
    h.finish('a2');
    await a3;
    const done = nextEvent(queue, 'completed', (j) => j.data === 'a3');
    h.finish('a3');
    await done;
    expect(h.starts.filter((d) => d.startsWith('a'))).toEqual(['a1', 'a2', 'a3']);
  });

  it('holds a group while its job is retrying, and lets every other group run meanwhile', async () => {
    const { queue, clock } = await openTest<Jobs>(storage);
    const h = controlled();
    await queue.add('step', 'a1', { group: 'a', backoff: { type: 'fixed', delay: 1000 } });
    await queue.add('step', 'a2', { group: 'a' });
    startWorkers(queue, { handlers: h.handlers, concurrency: 4 });
    await h.started('a1');
    const retrying = nextEvent(queue, 'retrying');
    h.fail('a1');
    expect((await retrying).data).toBe('a1');
    for (const g of ['b', 'c']) await queue.add('step', g, { group: g });
    await Promise.all([h.started('b'), h.started('c')]);
    h.finish('b');
    h.finish('c');
    await nextEvent(queue, 'completed', (j) => j.data === 'c');
    expect(h.starts).toEqual(['a1', 'b', 'c']);
    expect((await queue.get('2'))?.state).toBe('pending');
    const again = h.started('a1');
    clock.advance(1000);
    await again;
    const a2 = h.started('a2');
    h.finish('a1');
    await a2;
    expect(h.starts).toEqual(['a1', 'b', 'c', 'a1', 'a2']);
  });

  it('lets the next job start when the previous one ends failed or is removed', async () => {
    const { queue } = await openTest<Jobs>(storage);
    const h = controlled();
    await queue.add('step', 'a1', { group: 'a', retries: 0 });
    const a2 = await queue.add('step', 'a2', { group: 'a' });
    const a3 = await queue.add('step', 'a3', { group: 'a' });
    const a4 = await queue.add('step', 'a4', { group: 'a' });
    expect((await queue.get(a4.id))?.waitingFor).toEqual([a3.id]);
    await queue.remove(a3.id);
    // The job ahead of a4 is now a2.
    expect((await queue.get(a4.id))?.waitingFor).toEqual([a2.id]);
    startWorkers(queue, { handlers: h.handlers, concurrency: 4 });
    await h.started('a1');
    const next = h.started('a2');
    h.fail('a1');
    await next;
    const last = h.started('a4');
    await queue.remove(a2.id);
    await last;
    expect(h.starts).toEqual(['a1', 'a2', 'a4']);
  });

  it('keeps blocked jobs out of the ready index, so a claim never walks past them', async () => {
    const { queue } = await openTest<Jobs>(storage);
    const h = controlled();
    await queue.add('step', 'head', { group: 'g' });
    startWorkers(queue, { handlers: h.handlers, concurrency: 2 });
    await h.started('head');
    await queue.addBulk(Array.from({ length: 200 }, (_, i) => ({ name: 'step' as const, data: `behind-${String(i)}`, options: { group: 'g' } })));
    const free = h.started('free');
    await queue.add('step', 'free');
    await free;
    const counts = await engineOf(queue).read(async (tx) => ({ ready: await tx.count('ready'), due: await tx.count('due'), group: await tx.count('group', prefix('g')) }));
    expect(counts).toEqual({ ready: 0, due: 0, group: 201 });
  });

  it('puts a retried failed job of a group at the back of its group', async () => {
    const { queue } = await openTest<Jobs>(storage);
    const h = controlled();
    const a1 = await queue.add('step', 'a1', { group: 'a', retries: 0 });
    await queue.add('step', 'a2', { group: 'a' });
    startWorkers(queue, { handlers: h.handlers });
    await h.started('a1');
    const a2 = h.started('a2');
    h.fail('a1');
    await a2;
    await queue.retry(a1.id);
    expect((await queue.get(a1.id))?.waitingFor).toEqual(['2']);
    const again = h.started('a1');
    h.finish('a2');
    await again;
    expect(h.starts).toEqual(['a1', 'a2', 'a1']);
  });

  it('keeps order across two tabs on one queue', async () => {
    const { queue, another } = await openTest<Jobs>(storage);
    const other = await another();
    const h = controlled();
    startWorkers(queue, { handlers: h.handlers, concurrency: 2 });
    startWorkers(other, { handlers: h.handlers, concurrency: 2 });
    for (let i = 0; i < 5; i++) await (i % 2 ? other : queue).add('step', `x${String(i)}`, { group: 'x' });
    for (let i = 0; i < 5; i++) {
      await h.started(`x${String(i)}`);
      expect(h.running()).toEqual([`x${String(i)}`]);
      h.finish(`x${String(i)}`);
    }
    expect(h.starts).toEqual(['x0', 'x1', 'x2', 'x3', 'x4']);
  });
});

describe.each(STORAGES)('replace by key (%s storage)', (storage) => {
  it('replaces the data of a job that has not started, and moves its run time (debounce)', async () => {
    const { queue, clock } = await openTest<Jobs>(storage);
    const h = controlled();
    const first = await queue.add('step', 'v1', { idempotencyKey: 'note:1', onDuplicate: 'replace', delay: 1000 });
    startWorkers(queue, { handlers: h.handlers });
    clock.advance(600);
    const second = await queue.add('step', 'v2', { idempotencyKey: 'note:1', onDuplicate: 'replace', delay: 1000, priority: 3 });
    expect(second).toMatchObject({ id: first.id, data: 'v2', priority: 3, runAt: clock.now() + 1000, state: 'pending', idempotencyKey: 'note:1' });
    expect(await queue.get(first.id)).toEqual(second);
    await clock.timerAt(second.runAt);
    clock.advance(400);
    expect(h.starts).toEqual([]);
    const ran = h.started('v2');
    clock.advance(600);
    await ran;
    expect(h.starts).toEqual(['v2']);
    expect((await queue.counts()).pending).toBe(0);
  });

  it("keeps the stored job unchanged with onDuplicate: 'keep' (the default)", async () => {
    const { queue } = await openTest<Jobs>(storage);
    const first = await queue.add('step', 'v1', { idempotencyKey: 'k' });
    expect(await queue.add('step', 'v2', { idempotencyKey: 'k', onDuplicate: 'keep' })).toEqual(first);
    expect(await queue.add('step', 'v3', { idempotencyKey: 'k' })).toEqual(first);
  });

  it('gives a retrying job the new data for its next attempt', async () => {
    const { queue, clock } = await openTest<Jobs>(storage);
    const h = controlled();
    const job = await queue.add('step', 'v1', { idempotencyKey: 'k', backoff: { type: 'fixed', delay: 1000 } });
    startWorkers(queue, { handlers: h.handlers });
    await h.started('v1');
    const retrying = nextEvent(queue, 'retrying');
    h.fail('v1');
    await retrying;
    const replaced = await queue.add('step', 'v2', { idempotencyKey: 'k', onDuplicate: 'replace' });
    expect(replaced).toMatchObject({ id: job.id, state: 'retrying', data: 'v2', attempts: 1 });
    const again = h.started('v2');
    clock.advance(1000);
    await again;
    expect(h.starts).toEqual(['v1', 'v2']);
  });

  it('runs the newest data once after a running job, however many replaces came meanwhile', async () => {
    const { queue } = await openTest<Jobs>(storage);
    const h = controlled();
    const job = await queue.add('step', 'v1', { idempotencyKey: 'k', onDuplicate: 'replace' });
    startWorkers(queue, { handlers: h.handlers, concurrency: 4 });
    await h.started('v1');
    const next = await queue.add('step', 'v2', { idempotencyKey: 'k', onDuplicate: 'replace' });
    expect(next).toMatchObject({ state: 'pending', data: 'v2', idempotencyKey: 'k', waitingFor: [job.id] });
    expect(next.id).not.toBe(job.id);
    const later = await queue.add('step', 'v3', { idempotencyKey: 'k', onDuplicate: 'replace' });
    expect(later).toMatchObject({ id: next.id, data: 'v3' });
    expect(h.contexts.get('v1')?.signal.aborted).toBe(false);
    const v3 = h.started('v3');
    h.finish('v1');
    await v3;
    expect(h.contexts.get('v3')?.idempotencyKey).toBe('k');
    const done = nextEvent(queue, 'completed', (j) => j.id === next.id);
    h.finish('v3');
    await done;
    expect(h.starts).toEqual(['v1', 'v3']);
    // The newest job holds the key now; a replace finds it finished and adds a new job.
    const fresh = await queue.add('step', 'v4', { idempotencyKey: 'k', onDuplicate: 'replace' });
    expect(fresh.id).not.toBe(next.id);
    expect(await queue.get(job.id)).toMatchObject({ state: 'completed', idempotencyKey: 'k' });
    // The new job starts (sooner on some engines than others): let it end, or closing the
    // queue would wait for it on a clock that never moves.
    await h.started('v4');
    h.finish('v4');
  });

  it('adds a new job when the key is held by a finished job that is still stored', async () => {
    const { queue } = await openTest<Jobs>(storage);
    const h = controlled();
    const job = await queue.add('step', 'v1', { idempotencyKey: 'k', retries: 0 });
    startWorkers(queue, { handlers: h.handlers });
    await h.started('v1');
    const failed = nextEvent(queue, 'failed');
    h.fail('v1');
    await failed;
    const fresh = await queue.add('step', 'v2', { idempotencyKey: 'k', onDuplicate: 'replace' });
    expect(fresh).toMatchObject({ state: 'pending', data: 'v2', idempotencyKey: 'k' });
    expect(fresh.id).not.toBe(job.id);
    expect(await queue.get(job.id)).toMatchObject({ state: 'failed', data: 'v1' });
    // The key belongs to the new job: a keep-add returns it.
    expect((await queue.add('step', 'v3', { idempotencyKey: 'k' })).id).toBe(fresh.id);
  });

  it('refuses a replace that would move the job to another group, writing nothing', async () => {
    const { queue } = await openTest<Jobs>(storage);
    await queue.add('step', 'v1', { idempotencyKey: 'k', group: 'a' });
    const before = await dump(engineOf(queue));
    await expect(queue.add('step', 'v2', { idempotencyKey: 'k', group: 'b', onDuplicate: 'replace' })).rejects.toThrow(JobrailError);
    expect(await dump(engineOf(queue))).toEqual(before);
  });

  it('replaces atomically against a claim from another tab: the job runs once, with old or new data whole', async () => {
    const { queue, another } = await openTest<Jobs>(storage);
    const other = await another();
    const h = controlled();
    const job = await queue.add('step', 'v1', { idempotencyKey: 'k' });
    const firstStart = h.anyStart();
    // The other tab's runner claims while this tab replaces: either may come first.
    startWorkers(other, { handlers: h.handlers });
    const replaced = await queue.add('step', 'v2', { idempotencyKey: 'k', onDuplicate: 'replace' });
    const first = await firstStart;
    expect(['v1', 'v2']).toContain(first);
    if (first === 'v1') {
      // Claimed before the replace: the new data runs once after it.
      expect(replaced.id).not.toBe(job.id);
      const v2 = h.started('v2');
      h.finish('v1');
      await v2;
      expect(h.starts).toEqual(['v1', 'v2']);
    } else {
      expect(replaced.id).toBe(job.id);
      h.finish('v2');
      await nextEvent(queue, 'completed');
      expect(h.starts).toEqual(['v2']);
    }
  });
});

describe.each(STORAGES)('expiry (%s storage)', (storage) => {
  it('fails a waiting job with ExpiredError at its expiry through the runner timer, while paused, and never runs it', async () => {
    const { queue, clock } = await openTest<Jobs>(storage);
    const h = controlled();
    await queue.pause();
    const runner = startWorkers(queue, { handlers: h.handlers });
    await runner.ready;
    const t0 = clock.now();
    const job = await queue.add('step', 'stale', { expiresIn: 5000 });
    await clock.timerAt(t0 + 5000);
    const failed = nextEvent(queue, 'failed');
    clock.advance(5000);
    const snapshot = await failed;
    expect(snapshot).toMatchObject({ id: job.id, state: 'failed', finishedAt: t0 + 5000, error: { name: 'ExpiredError' } });
    await queue.resume();
    await nextDrained(queue);
    expect(h.starts).toEqual([]);
  });

  it('expires a job that waits behind its group, and lets the group go on', async () => {
    const { queue, clock } = await openTest<Jobs>(storage);
    const h = controlled();
    await queue.add('step', 'a1', { group: 'a' });
    const a2 = await queue.add('step', 'a2', { group: 'a', expiresIn: 1000 });
    await queue.add('step', 'a3', { group: 'a' });
    const runner = startWorkers(queue, { handlers: h.handlers });
    await h.started('a1');
    await runner.ready;
    await clock.timerAt(clock.now() + 1000);
    const failed = nextEvent(queue, 'failed', (j) => j.id === a2.id);
    clock.advance(1000);
    expect((await failed).error?.name).toBe('ExpiredError');
    const a3 = h.started('a3');
    h.finish('a1');
    await a3;
    expect(h.starts).toEqual(['a1', 'a3']);
  });

  it('never starts a job found expired when a runner starts, and does not cut off an attempt already running', async () => {
    const { queue, clock } = await openTest<Jobs>(storage);
    const h = controlled();
    const late = await queue.add('step', 'late', { expiresIn: 100 });
    const running = await queue.add('step', 'running', { expiresIn: 1000 });
    clock.advance(100);
    const failed = nextEvent(queue, 'failed', (j) => j.id === late.id);
    startWorkers(queue, { handlers: h.handlers });
    expect((await failed).error?.name).toBe('ExpiredError');
    await h.started('running');
    // Past its expiry while it runs (within its time lease).
    clock.advance(2000);
    const done = nextEvent(queue, 'completed');
    h.finish('running');
    expect((await done).id).toBe(running.id);
    expect(h.starts).toEqual(['running']);
  });

  it('expires a retrying job during its backoff', async () => {
    const { queue, clock } = await openTest<Jobs>(storage);
    const h = controlled();
    const job = await queue.add('step', 'x', { expiresIn: 2000, backoff: { type: 'fixed', delay: 5000 } });
    startWorkers(queue, { handlers: h.handlers });
    await h.started('x');
    const retrying = nextEvent(queue, 'retrying');
    h.fail('x');
    await retrying;
    const failed = nextEvent(queue, 'failed');
    clock.advance(2000);
    expect(await failed).toMatchObject({ id: job.id, attempts: 1, error: { name: 'ExpiredError' } });
  });
});

describe.each(STORAGES)('dependencies (%s storage)', (storage) => {
  it('runs a job after its dependencies complete, with their results in ctx.dependencies ({} without dependsOn)', async () => {
    const { queue } = await openTest<Jobs>(storage);
    const h = controlled();
    const [photo, message] = await queue.addBulk([
      { name: 'upload', data: 'photo' },
      { name: 'message', data: 'hello', options: { dependsOn: [0] } },
    ]);
    expect(message).toMatchObject({ state: 'pending', dependsOn: [photo?.id], waitingFor: [photo?.id] });
    startWorkers(queue, { handlers: h.handlers, concurrency: 4 });
    await h.started('photo');
    expect(h.contexts.get('photo')?.dependencies).toEqual({});
    expect(h.starts).toEqual(['photo']);
    const next = h.started('hello');
    h.finish('photo', { url: 'https://cdn/p.jpg' });
    await next;
    expect(h.contexts.get('hello')?.dependencies).toEqual({ [photo?.id as string]: { url: 'https://cdn/p.jpg' } });
  });

  it('gives the result of a dependency that completed and was removed by removeOnComplete', async () => {
    const { queue } = await openTest<Jobs>(storage);
    const h = controlled();
    const dep = await queue.add('upload', 'photo', { removeOnComplete: true });
    const job = await queue.add('message', 'hello', { dependsOn: [dep.id] });
    startWorkers(queue, { handlers: h.handlers });
    await h.started('photo');
    const next = h.started('hello');
    h.finish('photo', 'url');
    await next;
    expect(await queue.get(dep.id)).toBeUndefined();
    expect(h.contexts.get('hello')?.dependencies).toEqual({ [dep.id]: 'url' });
    expect((await queue.get(job.id))?.state).toBe('processing');
  });

  it('runs at once a job whose dependencies already completed', async () => {
    const { queue } = await openTest<Jobs>(storage);
    const h = controlled();
    startWorkers(queue, { handlers: h.handlers });
    const dep = await queue.add('upload', 'photo');
    await h.started('photo');
    const done = nextEvent(queue, 'completed');
    h.finish('photo', 42);
    await done;
    const job = await queue.add('message', 'hello', { dependsOn: [dep.id] });
    expect(job.waitingFor).toEqual([]);
    await h.started('hello');
    expect(h.contexts.get('hello')?.dependencies).toEqual({ [dep.id]: 42 });
  });

  it('fails the dependents of a failed job with DependencyError, transitively, without running them', async () => {
    const { queue } = await openTest<Jobs>(storage);
    const h = controlled();
    const [a, b, c] = await queue.addBulk([
      { name: 'upload', data: 'a', options: { retries: 0 } },
      { name: 'step', data: 'b', options: { dependsOn: [0] } },
      { name: 'step', data: 'c', options: { dependsOn: [1] } },
    ]);
    const failedIds: string[] = [];
    queue.on('failed', (j: Job) => failedIds.push(j.id));
    startWorkers(queue, { handlers: h.handlers });
    await h.started('a');
    const cFailed = nextEvent(queue, 'failed', (j) => j.id === c?.id);
    h.fail('a');
    const snapshot = await cFailed;
    expect(snapshot.error?.name).toBe('DependencyError');
    expect(snapshot.error?.message).toContain(`${b?.id as string} (step), failed`);
    expect(await queue.get(b?.id as string)).toMatchObject({ state: 'failed', attempts: 0, error: { name: 'DependencyError' } });
    expect(failedIds.sort()).toEqual([a?.id, b?.id, c?.id].sort());
    expect(h.starts).toEqual(['a']);
    // A job added on a dependency that has already failed fails at once.
    expect(await queue.add('step', 'd', { dependsOn: [a?.id as string] })).toMatchObject({ state: 'failed', error: { name: 'DependencyError' } });
  });

  it('fails the dependents of a removed job', async () => {
    const { queue } = await openTest<Jobs>(storage);
    const a = await queue.add('upload', 'a', { delay: 60_000 });
    const b = await queue.add('step', 'b', { dependsOn: [a.id] });
    const failed = nextEvent(queue, 'failed');
    await queue.remove(a.id);
    expect(await failed).toMatchObject({ id: b.id, error: { name: 'DependencyError' } });
    expect((await queue.get(b.id))?.error?.message).toContain('was removed');
  });

  it('waits for every dependency, across tabs', async () => {
    const { queue, another } = await openTest<Jobs>(storage);
    const other = await another();
    const h = controlled();
    const a = await queue.add('upload', 'a');
    const b = await other.add('upload', 'b');
    const c = await queue.add('message', 'c', { dependsOn: [a.id, b.id] });
    startWorkers(other, { handlers: h.handlers, concurrency: 3 });
    await Promise.all([h.started('a'), h.started('b')]);
    h.finish('a', 1);
    await nextEvent(queue, 'completed', (j) => j.id === a.id);
    expect((await queue.get(c.id))?.waitingFor).toEqual([b.id]);
    const started = h.started('c');
    h.finish('b', 2);
    await started;
    expect(h.contexts.get('c')?.dependencies).toEqual({ [a.id]: 1, [b.id]: 2 });
  });
});
