/**
 * Offline-first (issue 6): `requiresNetwork` jobs wait while offline without using retries,
 * `retryLater` does not count, runners register the Background Sync tag while offline, and
 * the service-worker drain (`jobrail/sw`) runs jobs and stops.
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import { openQueue, requestBackgroundSync, RetryLaterError, startWorkers, syncTag, type HandlerContext, type Job, type Queue, type Runner } from '../src/index.js';
import { Clock, settle } from './helpers/async-clock.js';
import { drainQueue, handleSync, registerSyncHandler, type SyncEventLike } from '../src/sw.js';


type Jobs = { send: { n: number }; local: null };

let seq = 0;
const open: Queue<Jobs>[] = [];
const runners: Runner[] = [];
afterEach(async () => {
  vi.unstubAllGlobals();
  await Promise.all(runners.splice(0).map((r) => r.stop({ timeout: 0 })));
  await Promise.all(open.splice(0).map((q) => q.close()));
});

async function fresh(clock = new Clock(), name = `offline-${String(++seq)}`): Promise<{ clock: Clock; q: Queue<Jobs>; name: string }> {
  const q = await openQueue<Jobs>(name, { environment: clock.env });
  open.push(q);
  return { clock, q, name };
}

function run(q: Queue<Jobs>, send: (data: { n: number }, ctx: HandlerContext<{ n: number }>) => unknown): Runner {
  const r = startWorkers(q, { handlers: { send: send as never, local: () => 'local done' }, concurrency: 2 });
  runners.push(r);
  return r;
}

const state = async (q: Queue<Jobs>, id: string) => {
  const job = (await q.get(id)) as Job;
  return { state: job.state, attempts: job.attempts };
};

describe('requiresNetwork', () => {
  test('jobs wait while offline and keep their retries; they run on reconnect', async () => {
    const { clock, q } = await fresh();
    clock.online = false;
    const calls: number[] = [];
    const net = await q.add('send', { n: 1 }, { requiresNetwork: true, retries: 0 });
    const local = await q.add('local', null);
    await run(q, (data) => calls.push(data.n)).ready;
    // The runner is running: the job without requiresNetwork, added after, completes...
    expect(await q.waitFor(local.id)).toBe('local done');
    await clock.advance(60_000);
    // ...while the network job is passed over, untouched.
    expect(await state(q, net.id)).toEqual({ state: 'pending', attempts: 0 });
    expect(calls).toEqual([]);
    clock.setOnline(true);
    await q.waitFor(net.id);
    expect(await state(q, net.id)).toEqual({ state: 'completed', attempts: 1 });
    expect(calls).toEqual([1]);
  });

  test('an attempt that fails because the network went away does not use a retry and waits for reconnect', async () => {
    const { clock, q } = await fresh();
    let attempt = 0;
    const job = await q.add('send', { n: 1 }, { requiresNetwork: true, retries: 0 });
    run(q, () => {
      attempt += 1;
      if (attempt === 1) {
        clock.setOnline(false);
        throw new TypeError('Failed to fetch');
      }
      return 'sent';
    });
    await vi.waitFor(async () => expect(await state(q, job.id)).toEqual({ state: 'retrying', attempts: 0 }));
    await clock.advance(60_000);
    expect(attempt).toBe(1);
    expect(await state(q, job.id)).toEqual({ state: 'retrying', attempts: 0 });
    clock.setOnline(true);
    expect(await q.waitFor(job.id)).toBe('sent');
    expect(await state(q, job.id)).toEqual({ state: 'completed', attempts: 1 });
  });

  test('any failure while offline is uncounted (the handler could not know), a PermanentError still fails at once', async () => {
    const { clock, q } = await fresh();
    const a = await q.add('send', { n: 1 }, { requiresNetwork: true, retries: 0 });
    const b = await q.add('send', { n: 2 }, { requiresNetwork: true, retries: 3 });
    let started = 0;
    let bothStarted: () => void = () => {};
    const barrier = new Promise<void>((resolve) => (bothStarted = resolve));
    run(q, async (data) => {
      // Both attempts run before the network goes away.
      if (++started === 2) bothStarted();
      await barrier;
      clock.online = false;
      if (data.n === 2) throw Object.assign(new Error('bad request'), { name: 'PermanentError' });
      throw new Error('server said no');
    });
    await vi.waitFor(async () => expect(await state(q, a.id)).toEqual({ state: 'retrying', attempts: 0 }));
    await vi.waitFor(async () => expect((await q.get(b.id))?.state).toBe('failed'));
  });

  test('a fetch TypeError while the browser still reports online (captive portal) does not use a retry', async () => {
    const { clock, q } = await fresh();
    let attempt = 0;
    const job = await q.add('send', { n: 1 }, { requiresNetwork: true, retries: 0 });
    run(q, () => {
      attempt += 1;
      if (attempt === 1) throw new TypeError('Failed to fetch');
      return 'sent';
    });
    await vi.waitFor(async () => expect(await state(q, job.id)).toEqual({ state: 'retrying', attempts: 0 }));
    const waiting = (await q.get(job.id)) as Job;
    expect(waiting.runAt).toBe(clock.t + 1000);
    expect(waiting.error).toMatchObject({ name: 'TypeError', message: 'Failed to fetch' });
    await clock.advance(1000);
    expect(await q.waitFor(job.id)).toBe('sent');
    expect(await state(q, job.id)).toEqual({ state: 'completed', attempts: 1 });
  });
  test('network errors while online stop being free after 5 in a row (1, 2, 4, 8, 16 s apart), so a CORS-like failure ends failed', async () => {
    const { clock, q } = await fresh();
    const job = await q.add('send', { n: 1 }, { requiresNetwork: true, retries: 1, backoff: { type: 'fixed', delay: 500 } });
    run(q, () => {
      throw new TypeError('Failed to fetch');
    });
    const t0 = clock.t;
    const runAts: number[] = [];
    for (const wait of [1000, 2000, 4000, 8000, 16000]) {
      await vi.waitFor(async () => expect(((await q.get(job.id)) as Job).runAt).toBe(clock.t + wait));
      expect(await state(q, job.id)).toEqual({ state: 'retrying', attempts: 0 });
      runAts.push(clock.t + wait - t0);
      await clock.advance(wait);
    }
    // The 6th counts (attempt 1 of 2, fixed backoff), the 7th fails the job.
    await vi.waitFor(async () => expect(await state(q, job.id)).toEqual({ state: 'retrying', attempts: 1 }));
    await clock.advance(500);
    await expect(q.waitFor(job.id)).rejects.toMatchObject({ job: { state: 'failed', attempts: 2, error: { name: 'TypeError' } } });
    expect(runAts).toEqual([1000, 3000, 7000, 15000, 31000]);
  });

  test('retry() of a job that died of network errors gives it its network grace again, and forgets its progress', async () => {
    const { clock, q } = await fresh();
    const job = await q.add('send', { n: 1 }, { requiresNetwork: true, retries: 0 });
    const unreachable = async (_data: unknown, ctx: HandlerContext<{ n: number }>) => {
      await ctx.progress(0.5);
      throw new TypeError('Failed to fetch');
    };
    const first = run(q, unreachable);
    for (const wait of [1000, 2000, 4000, 8000, 16000]) {
      await vi.waitFor(async () => expect(((await q.get(job.id)) as Job).runAt).toBe(clock.t + wait));
      await clock.advance(wait);
    }
    await expect(q.waitFor(job.id)).rejects.toMatchObject({ job: { state: 'failed', attempts: 1, progress: 0.5 } });
    await first.stop();
    await q.retry(job.id);
    expect(await q.get(job.id)).toMatchObject({ state: 'pending', attempts: 0, progress: undefined, error: undefined });
    run(q, unreachable);
    // A fresh run: its first network error is free and 1 s away, as for a new job.
    await vi.waitFor(async () => expect(((await q.get(job.id)) as Job).runAt).toBe(clock.t + 1000));
    expect(await state(q, job.id)).toEqual({ state: 'retrying', attempts: 0 });
  });

  test('any other outcome starts the count of network errors in a row again', async () => {
    const { clock, q } = await fresh();
    const job = await q.add('send', { n: 1 }, { requiresNetwork: true, retries: 1, backoff: { type: 'fixed', delay: 500 } });
    let calls = 0;
    run(q, () => {
      calls += 1;
      if (calls === 5) throw new Error('server said no');
      if (calls <= 6) throw new TypeError('Failed to fetch');
      return 'sent';
    });
    for (const wait of [1000, 2000, 4000, 8000]) {
      await vi.waitFor(async () => expect(((await q.get(job.id)) as Job).runAt).toBe(clock.t + wait));
      await clock.advance(wait);
    }
    // The 5th attempt fails for another reason and counts; the 6th is a network error again,
    // free and 1 s away, not the 16 s of a fifth one in a row.
    await vi.waitFor(async () => expect(await state(q, job.id)).toEqual({ state: 'retrying', attempts: 1 }));
    await clock.advance(500);
    await vi.waitFor(async () => expect(((await q.get(job.id)) as Job).runAt).toBe(clock.t + 1000));
    expect(await state(q, job.id)).toEqual({ state: 'retrying', attempts: 1 });
    await clock.advance(1000);
    expect(await q.waitFor(job.id)).toBe('sent');
    expect(calls).toBe(7);
  });
});

describe('retryLater (HTTP 429 / Retry-After)', () => {
  test('ctx.retryLater(ms) and throw new RetryLaterError(ms) delay the job without using a retry', async () => {
    const { clock, q } = await fresh();
    const t0 = clock.t;
    const runs: [number, number][] = [];
    const viaCtx = await q.add('send', { n: 1 }, { retries: 0 });
    const viaThrow = await q.add('send', { n: 2 }, { retries: 0, requiresNetwork: true });
    run(q, (data, ctx) => {
      runs.push([data.n, clock.t - t0]);
      if (ctx.attempt === 1 && runs.filter(([n]) => n === data.n).length === 1) {
        if (data.n === 1) ctx.retryLater(5000);
        throw new RetryLaterError(2000);
      }
      return `ok ${String(data.n)}`;
    });
    await vi.waitFor(async () => expect(await state(q, viaCtx.id)).toEqual({ state: 'retrying', attempts: 0 }));
    await vi.waitFor(async () => expect(await state(q, viaThrow.id)).toEqual({ state: 'retrying', attempts: 0 }));
    expect((await q.get(viaCtx.id))?.runAt).toBe(t0 + 5000);
    expect((await q.get(viaCtx.id))?.error?.name).toBe('RetryLaterError');
    expect((await q.get(viaThrow.id))?.runAt).toBe(t0 + 2000);
    await clock.advance(1999);
    expect(runs).toHaveLength(2);
    await clock.advance(1);
    expect(await q.waitFor(viaThrow.id)).toBe('ok 2');
    await clock.advance(2999);
    expect(await state(q, viaCtx.id)).toEqual({ state: 'retrying', attempts: 0 });
    await clock.advance(1);
    expect(await q.waitFor(viaCtx.id)).toBe('ok 1');
    expect(runs).toEqual([
      [1, 0],
      [2, 0],
      [2, 2000],
      [1, 5000],
    ]);
    expect(await state(q, viaCtx.id)).toEqual({ state: 'completed', attempts: 1 });
    expect(await state(q, viaThrow.id)).toEqual({ state: 'completed', attempts: 1 });
  });
});

describe('Background Sync, page side', () => {
  function stubServiceWorker(withSync = true) {
    const register = vi.fn(async (_tag: string) => undefined);
    vi.stubGlobal('navigator', { serviceWorker: { getRegistration: async () => (withSync ? { sync: { register } } : {}) } });
    return register;
  }

  test('a runner that finds requiresNetwork jobs waiting while offline registers the tag jobrail:<queue>', async () => {
    const register = stubServiceWorker();
    const { clock, q, name } = await fresh();
    clock.online = false;
    await q.add('send', { n: 1 }, { requiresNetwork: true });
    await run(q, () => 'sent').ready;
    await vi.waitFor(() => expect(register).toHaveBeenCalledWith(`jobrail:${name}`));
    expect(syncTag(name)).toBe(`jobrail:${name}`);
  });

  test('online, or with no network job waiting, nothing is registered', async () => {
    const register = stubServiceWorker();
    const { clock, q } = await fresh();
    await q.add('local', null);
    await run(q, () => 'sent').ready;
    clock.setOnline(false);
    await clock.advance(5000);
    expect(register).not.toHaveBeenCalled();
  });

  test('requestBackgroundSync resolves false where Background Sync or a service worker is missing', async () => {
    const { q } = await fresh();
    expect(await requestBackgroundSync(q)).toBe(false);
    stubServiceWorker(false);
    expect(await requestBackgroundSync(q)).toBe(false);
    const register = stubServiceWorker(true);
    expect(await requestBackgroundSync(q.name)).toBe(true);
    expect(register).toHaveBeenCalledWith(`jobrail:${q.name}`);
    await expect(requestBackgroundSync('' as never)).rejects.toThrow(TypeError);
  });
});

describe('jobrail/sw drain', () => {
  async function offlineOutbox(n: number) {
    const { clock, q, name } = await fresh();
    clock.online = false;
    const jobs = await q.addBulk(Array.from({ length: n }, (_, i) => ({ name: 'send' as const, data: { n: i }, options: { requiresNetwork: true, retries: 0 } })));
    return { clock, q, name, ids: jobs.map((j) => j.id) };
  }

  test('drainQueue runs the waiting jobs with the given handlers, then stops and closes its queue', async () => {
    const { clock, q, name, ids } = await offlineOutbox(3);
    clock.online = true;
    const sent: number[] = [];
    const result = await drainQueue<Jobs>({ queue: name, handlers: { send: (d) => void sent.push(d.n) }, queueOptions: { environment: clock.env } });
    expect(result).toEqual({ reason: 'drained', attempts: 3, remaining: 0 });
    expect(sent.sort()).toEqual([0, 1, 2]);
    for (const id of ids) expect(await state(q, id)).toEqual({ state: 'completed', attempts: 1 });
  });

  test('offline again: the drain stops at once and reports the jobs left', async () => {
    const { clock, name } = await offlineOutbox(2);
    const result = await drainQueue<Jobs>({ queue: name, handlers: { send: () => undefined }, queueOptions: { environment: clock.env } });
    expect(result).toEqual({ reason: 'offline', attempts: 0, remaining: 2 });
  });

  test('a job without a handler in the service worker is left for a page, uncounted, and the drain says which', async () => {
    const { clock, q, name } = await fresh();
    const job = await q.add('local', null, { retries: 0 });
    const result = await drainQueue<Jobs>({ queue: name, handlers: { send: () => undefined }, queueOptions: { environment: clock.env } });
    expect(result).toMatchObject({ reason: 'missing-handler', missingHandler: 'local', attempts: 0, remaining: 1 });
    expect(await state(q, job.id)).toEqual({ state: 'retrying', attempts: 0 });
  });

  test('handleSync answers only its tag, keeps the event alive while draining, and rejects while jobs are left (not on lastChance)', async () => {
    const { clock, name } = await offlineOutbox(1);
    const options = { queue: name, handlers: { send: () => undefined }, queueOptions: { environment: clock.env } };
    const event = (tag: string, lastChance = false) => {
      const promises: Promise<unknown>[] = [];
      const e: SyncEventLike = { tag, lastChance, waitUntil: (p) => void promises.push(p) };
      return { e, promises };
    };
    const other = event('something-else');
    expect(handleSync(other.e, options)).toBe(false);
    expect(other.promises).toHaveLength(0);
    const offline = event(syncTag(name));
    expect(handleSync(offline.e, options)).toBe(true);
    await expect(offline.promises[0]).rejects.toThrow(/1 job\(s\) of queue .* are still waiting \(offline\)/);
    const last = event(syncTag(name), true);
    handleSync(last.e, options);
    await expect(last.promises[0]).resolves.toMatchObject({ reason: 'offline', remaining: 1 });
    clock.online = true;
    const online = event(syncTag(name));
    handleSync(online.e, options);
    await expect(online.promises[0]).resolves.toEqual({ reason: 'drained', attempts: 1, remaining: 0 });
  });

  test('registerSyncHandler listens to sync events of the scope and stops listening', async () => {
    const listeners = new Set<(e: SyncEventLike) => void>();
    const scope = { addEventListener: (_: 'sync', l: (e: SyncEventLike) => void) => void listeners.add(l), removeEventListener: (_: 'sync', l: (e: SyncEventLike) => void) => void listeners.delete(l) };
    const stop = registerSyncHandler({ queue: 'x', handlers: {} }, scope);
    expect(listeners.size).toBe(1);
    stop();
    expect(listeners.size).toBe(0);
    expect(() => registerSyncHandler({ queue: 'x', handlers: { a: 1 } } as never, scope)).toThrow(/handler `a` to be a function/);
  });
});
