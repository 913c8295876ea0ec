import { describe, expect, it, vi } from 'vitest';
import { nextDueAt, type ClaimRequest } from '../src/claim.js';
import { JobrailError, startWorkers } from '../src/index.js';
import { reclaimOrphans, releaseJob } from '../src/reclaim.js';
import { recordProgress, renewLease } from '../src/settle.js';
import { claimNext, settleAttempt } from './helpers/transitions.js';
import { fakeLocks } from './helpers/locks.js';
import { STORAGES, deferred, engineOf, nextEvent, openTest } from './helpers/queues.js';

type Jobs = { work: number };

const request = (owner: string, lease: string, now: number, extra: Partial<ClaimRequest> = {}): ClaimRequest => ({
  now,
  owner,
  lease,
  leaseUntil: now + 1000,
  concurrency: 10,
  online: true,
  limiter: undefined,
  ...extra,
});
const settleCtx = (now: number) => ({ now, random: 0, maxCrashes: 2, backoffFn: undefined, strategies: new Map() });

describe.each(STORAGES)('leases, fencing and reclaim (%s storage)', (storage) => {
  describe('fencing (claim and settle on the store)', () => {
    it('refuses the complete, fail, progress, renewal and release of a runner whose lease was taken over', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      const engine = engineOf(queue);
      const job = await queue.add('work', 1);
      const t0 = clock.now();
      const first = await claimNext(engine, request('r1', 'L1', t0));
      expect(first.job).toMatchObject({ id: job.id, state: 'processing', attempts: 1, owner: 'r1', lease: 'L1', leaseUntil: t0 + 1000 });

      // r1 stops renewing: once its lease ran out, r2 takes the job over
      expect(await reclaimOrphans(engine, t0 + 1000, undefined)).toEqual([]);
      const reclaimed = await reclaimOrphans(engine, t0 + 1001, undefined);
      expect(reclaimed.map((r) => [r.id, r.state, r.attempts])).toEqual([[job.id, 'retrying', 1]]);
      const second = await claimNext(engine, request('r2', 'L2', t0 + 1001));
      expect(second.job).toMatchObject({ id: job.id, attempts: 2, lease: 'L2' });

      const t1 = t0 + 1500;
      const error = { name: 'Error', message: 'stale' };
      expect(await settleAttempt(engine, job.id, 'L1', { type: 'completed', result: 'stale' }, settleCtx(t1))).toMatchObject({ ok: false });
      expect(await settleAttempt(engine, job.id, 'L1', { type: 'failed', error, permanent: true }, settleCtx(t1))).toMatchObject({ ok: false });
      expect(await recordProgress(engine, job.id, 'L1', 0.9, t1)).toMatchObject({ ok: false });
      expect(await renewLease(engine, job.id, 'L1', t1 + 1000)).toMatchObject({ ok: false });
      expect(await releaseJob(engine, job.id, 'L1', t1)).toBeUndefined();
      expect(await queue.get(job.id)).toMatchObject({ state: 'processing', attempts: 2, result: undefined, progress: undefined });

      // the holder of the current lease can write
      expect(await recordProgress(engine, job.id, 'L2', 1, t1)).toMatchObject({ ok: true, value: { progress: 1 } });
      expect(await renewLease(engine, job.id, 'L2', t1 + 1000)).toMatchObject({ ok: true, value: { leaseUntil: t1 + 1000 } });
      const done = await settleAttempt(engine, job.id, 'L2', { type: 'completed', result: 'fresh' }, settleCtx(t1));
      expect(done).toMatchObject({ ok: true, value: { job: { state: 'completed', result: 'fresh', lease: undefined, finishedAt: t1 }, removed: false } });

      // a completed job takes no more writes and is never claimed again
      expect(await settleAttempt(engine, job.id, 'L2', { type: 'failed', error }, settleCtx(t1))).toMatchObject({ ok: false });
      expect(await claimNext(engine, request('r3', 'L3', t1 + 10_000))).toMatchObject({ reason: 'empty' });
      expect(await queue.get(job.id)).toMatchObject({ state: 'completed', result: 'fresh', attempts: 2 });
    });

    it('refuses writes for a job that was removed', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      const engine = engineOf(queue);
      const job = await queue.add('work', 1);
      await claimNext(engine, request('r1', 'L1', clock.now()));
      await queue.remove(job.id);
      expect(await settleAttempt(engine, job.id, 'L1', { type: 'completed', result: 1 }, settleCtx(clock.now()))).toEqual({ ok: false, current: undefined });
      expect(await queue.get(job.id)).toBeUndefined();
    });
  });

  describe('claiming', () => {
    it('claims by priority, then enqueue order, only jobs whose time has come', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      const engine = engineOf(queue);
      const t0 = clock.now();
      const low = await queue.add('work', 1);
      const delayedHigh = await queue.add('work', 2, { priority: 9, delay: 100 });
      const high = await queue.add('work', 3, { priority: 5 });
      const high2 = await queue.add('work', 4, { priority: 5 });
      const order: string[] = [];
      for (let i = 0; i < 3; i++) order.push((await claimNext(engine, request('r', `L${String(i)}`, t0 + 99))).job?.id ?? 'none');
      expect(order).toEqual([high.id, high2.id, low.id]);
      expect(await claimNext(engine, request('r', 'L', t0 + 99))).toMatchObject({ reason: 'empty', processing: 3 });
      expect(await nextDueAt(engine)).toBe(t0 + 100);
      expect((await claimNext(engine, request('r', 'L9', t0 + 100))).job?.id).toBe(delayedHigh.id);
      expect(await nextDueAt(engine)).toBeUndefined();
    });

    it('claims nothing while paused or while `concurrency` jobs are processing', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      const engine = engineOf(queue);
      await queue.addBulk([1, 2].map((n) => ({ name: 'work' as const, data: n })));
      await queue.pause();
      expect(await claimNext(engine, request('r', 'L1', clock.now()))).toEqual({ reason: 'paused', processing: 0 });
      await queue.resume();
      expect((await claimNext(engine, request('r', 'L1', clock.now(), { concurrency: 1 }))).job).toBeDefined();
      expect(await claimNext(engine, request('r', 'L2', clock.now(), { concurrency: 1 }))).toEqual({ reason: 'busy', processing: 1 });
    });

    it('passes requiresNetwork jobs over while offline, keeping priority order among the rest', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      const engine = engineOf(queue);
      const net = await queue.add('work', 1, { requiresNetwork: true, priority: 5 });
      const local = await queue.add('work', 2);
      expect((await claimNext(engine, request('r', 'L1', clock.now(), { online: false }))).job?.id).toBe(local.id);
      expect(await claimNext(engine, request('r', 'L2', clock.now(), { online: false }))).toMatchObject({ reason: 'empty' });
      expect((await claimNext(engine, request('r', 'L3', clock.now()))).job?.id).toBe(net.id);
    });

    it('picks the better of a networked and a local job when online', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      const engine = engineOf(queue);
      const local = await queue.add('work', 1);
      const net = await queue.add('work', 2, { requiresNetwork: true });
      const netHigh = await queue.add('work', 3, { requiresNetwork: true, priority: 1 });
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await claimNext(engine, request('r', `L${String(i)}`, clock.now()))).job?.id as string);
      expect(ids).toEqual([netHigh.id, local.id, net.id]);
    });

    it('shares a limiter window between claims and says when the next slot opens', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      const engine = engineOf(queue);
      await queue.addBulk([1, 2, 3].map((n) => ({ name: 'work' as const, data: n })));
      const t0 = clock.now();
      const limiter = { max: 2, duration: 1000 };
      expect((await claimNext(engine, request('a', 'L1', t0, { limiter }))).job).toBeDefined();
      expect((await claimNext(engine, request('b', 'L2', t0 + 10, { limiter }))).job).toBeDefined();
      expect(await claimNext(engine, request('a', 'L3', t0 + 999, { limiter }))).toEqual({ reason: 'limited', until: t0 + 1000, processing: 2 });
      expect((await claimNext(engine, request('a', 'L3', t0 + 1000, { limiter }))).job).toBeDefined();
    });
  });

  describe('runners losing their lease', () => {
    it('aborts a handler whose lease renewal is refused and keeps its late result out of the store', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      const engine = engineOf(queue);
      const started = deferred();
      const aborted = deferred<unknown>();
      const gate = deferred();
      const runner = startWorkers(queue, {
        leaseMs: 3000,
        handlers: {
          work: async (_n, ctx) => {
            started.resolve();
            ctx.signal.addEventListener('abort', () => aborted.resolve(ctx.signal.reason));
            await gate.promise;
            return 'late';
          },
        },
      });
      const job = await queue.add('work', 1);
      await started.promise;
      // another tab took the job over, as if this runner had stopped renewing
      const t0 = clock.now();
      await reclaimOrphans(engine, t0 + 3001, undefined);
      const other = await claimNext(engine, request('other', 'L-other', t0 + 3001));
      expect(other.job?.id).toBe(job.id);
      clock.advance(1000); // the runner renews at a third of leaseMs, and is refused
      const reason = await aborted.promise;
      expect(reason).toBeInstanceOf(JobrailError);
      expect((reason as Error).message).toMatch(/[Ll]ease .* lost/);
      gate.resolve();
      await runner.stop();
      expect(await queue.get(job.id)).toMatchObject({ state: 'processing', attempts: 2, result: undefined });
      expect((await engine.read((tx) => tx.get(job.id)))?.lease).toBe('L-other');
    });

    it('renews the time lease of a long attempt so that nobody takes it over', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      const engine = engineOf(queue);
      const started = deferred();
      const gate = deferred();
      startWorkers(queue, {
        leaseMs: 3000,
        handlers: {
          work: async () => {
            started.resolve();
            await gate.promise;
            return 'mine';
          },
        },
      });
      const job = await queue.add('work', 1);
      await started.promise;
      const t0 = clock.now();
      for (let i = 1; i <= 4; i++) {
        clock.advance(1000); // renewal at a third of leaseMs; the next is set once it is stored
        await clock.timerAt(t0 + 1000 * (i + 1));
      }
      // 4 s in, well past the first 3 s lease: still held, by a renewed lease
      expect((await engine.read((tx) => tx.get(job.id)))?.leaseUntil).toBe(t0 + 4000 + 3000);
      expect(await reclaimOrphans(engine, clock.now() + 2999, undefined)).toEqual([]);
      gate.resolve();
      expect(await queue.waitFor(job.id)).toBe('mine');
      expect(await queue.get(job.id)).toMatchObject({ state: 'completed', attempts: 1 });
    });

    it('stops renewing once an attempt ends, even when a renewal was under way as it ended', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      const started = deferred();
      const gate = deferred();
      let signal: AbortSignal | undefined;
      startWorkers(queue, {
        leaseMs: 300,
        handlers: {
          work: async (_n, ctx) => {
            signal = ctx.signal;
            started.resolve();
            await gate.promise;
            return 'done';
          },
        },
      });
      const job = await queue.add('work', 1);
      await started.promise;
      clock.advance(100); // a renewal starts…
      gate.resolve(); // …and the handler returns before it is stored
      expect(await queue.waitFor(job.id)).toBe('done');
      clock.advance(1000);
      // let any late renewal reach the store and come back
      for (let i = 0; i < 3; i++) await queue.get(job.id);
      expect(signal?.aborted).toBe(false);
      expect(await queue.get(job.id)).toMatchObject({ state: 'completed', result: 'done' });
    });

    it('aborts a handler whose progress write is refused', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      const engine = engineOf(queue);
      const started = deferred();
      const stolen = deferred();
      let signalReason: unknown;
      const runner = startWorkers(queue, {
        handlers: {
          work: async (_n, ctx) => {
            started.resolve();
            await stolen.promise;
            await ctx.progress(0.5);
            signalReason = ctx.signal.reason;
            await ctx.progress(0.7); // ignored once the lease is lost
            return 'late';
          },
        },
      });
      const job = await queue.add('work', 1);
      await started.promise;
      await reclaimOrphans(engine, clock.now() + 20_000, undefined);
      await claimNext(engine, request('other', 'L-other', clock.now() + 20_000));
      stolen.resolve();
      await runner.stop();
      expect(signalReason).toBeInstanceOf(JobrailError);
      expect(await queue.get(job.id)).toMatchObject({ state: 'processing', progress: undefined, result: undefined });
    });
  });

  describe('reclaiming jobs whose runner is gone', () => {
    it('takes over a job once the time lease of its dead runner runs out; the cut-off attempt counts', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      const engine = engineOf(queue);
      const job = await queue.add('work', 1);
      const t0 = clock.now();
      await claimNext(engine, request('dead-runner', 'L-dead', t0, { leaseUntil: t0 + 10_000 }));
      const attempts: number[] = [];
      const runner = startWorkers(queue, { handlers: { work: (_n, ctx) => attempts.push(ctx.attempt) } });
      await runner.ready; // its first reclaim pass left the job alone: the lease still runs
      expect(await queue.get(job.id)).toMatchObject({ state: 'processing', attempts: 1 });
      const retrying = nextEvent(queue, 'retrying');
      const done = queue.waitFor(job.id);
      clock.advance(10_001);
      expect(await retrying).toMatchObject({ id: job.id, state: 'retrying', attempts: 1, error: { message: expect.stringMatching(/cut off/) } });
      await done;
      expect(attempts).toEqual([2]);
      expect(await queue.get(job.id)).toMatchObject({ state: 'completed', attempts: 2 });
    });

    it('fails a cut-off job that had no attempts left', async () => {
      const { queue, clock } = await openTest<Jobs>(storage);
      const engine = engineOf(queue);
      const job = await queue.add('work', 1, { retries: 0 });
      await claimNext(engine, request('dead-runner', 'L-dead', clock.now()));
      clock.advance(5000);
      const failed = nextEvent(queue, 'failed');
      startWorkers(queue, { handlers: { work: () => 'never' } });
      expect(await failed).toMatchObject({ id: job.id, state: 'failed', attempts: 1, finishedAt: clock.now(), error: { name: 'JobrailError', message: expect.stringMatching(/cut off/) } });
    });

    // A SQLite file is shared by processes, and Web Locks (Node 24, Deno) are process-local:
    // there a runner must never trust them (see the sqlite tests below).
    if (storage !== 'sqlite') {
      it('with Web Locks, takes over at once a job whose runner lock is gone, without waiting for its lease', async () => {
        const locks = fakeLocks();
        const { queue, clock } = await openTest<Jobs>(storage, { environment: { locks } });
        const engine = engineOf(queue);
        const job = await queue.add('work', 1);
        await claimNext(engine, request('crashed-tab', 'L-dead', clock.now(), { leaseUntil: clock.now() + 3_600_000 }));
        clock.advance(1);
        const runner = startWorkers(queue, { handlers: { work: (_n, ctx) => ctx.attempt } });
        expect(await queue.waitFor(job.id)).toBe(2);
        expect(locks.heldNames()).toHaveLength(1); // the runner's own lock
        await runner.stop();
        expect(locks.heldNames()).toEqual([]);
      });

      it('with Web Locks, leaves the jobs of a live runner alone and takes them over when its tab dies', async () => {
        const locks = fakeLocks();
        const t = await openTest<Jobs>(storage, { environment: { locks } });
        const tabA = t.queue;
        const tabB = await t.another();
        const started = deferred();
        const gate = deferred();
        const runnerA = startWorkers(tabA, {
          handlers: {
            work: async (_n, ctx) => {
              if (ctx.attempt > 1) return 'from A, again';
              started.resolve();
              await gate.promise;
              return 'from A';
            },
          },
        });
        const job = await tabA.add('work', 1);
        await started.promise;
        const [lockA] = locks.heldNames();
        t.clock.advance(1);
        const runnerB = startWorkers(tabB, { handlers: { work: () => 'from B' } });
        await runnerB.ready; // B's first reclaim pass saw A's lock held
        expect(await tabB.get(job.id)).toMatchObject({ state: 'processing', attempts: 1 });
        // The browser drops A's lock (its tab crashed). Here A's code still runs: it sees its lock
        // gone too and starts again under a new one, so either tab may run the next attempt.
        locks.drop(lockA as string);
        const done = tabB.waitFor(job.id);
        t.clock.advance(1000); // runners look at the lock table every second
        expect(['from B', 'from A, again']).toContain(await done);
        // A's first handler finally returns: its late write is refused
        gate.resolve();
        await runnerA.stop();
        await runnerB.stop();
        expect(await tabB.get(job.id)).toMatchObject({ state: 'completed', result: await done, attempts: 2 });
      });
    } else {
      it('takes no Web Lock even where the environment has them, and takes over only once the time lease ran out', async () => {
        const locks = fakeLocks();
        const { queue, clock } = await openTest<Jobs>(storage, { environment: { locks } });
        const engine = engineOf(queue);
        const job = await queue.add('work', 1);
        const t0 = clock.now();
        // "another process" claimed it: its runner holds no lock this process could see
        await claimNext(engine, request('other-process', 'L-other', clock.now(), { leaseUntil: clock.now() + 5000 }));
        const runner = startWorkers(queue, { handlers: { work: (_n, ctx) => ctx.attempt }, leaseMs: 3000 });
        await runner.ready;
        expect(locks.heldNames()).toEqual([]);
        clock.advance(4000);
        expect(await engine.read((tx) => tx.head(job.id))).toMatchObject({ state: 'processing', owner: 'other-process', attempts: 1 });
        const taken = nextEvent(queue, 'retrying');
        // runners look for expired leases every half lease (1.5 s here)
        await vi.waitFor(async () => {
          clock.advance(250);
          expect(await queue.get(job.id)).toMatchObject({ state: 'completed', attempts: 2 });
        });
        expect((await taken).updatedAt).toBeGreaterThan(t0 + 5000);
        expect(locks.heldNames()).toEqual([]);
        await runner.stop();
      });
    }
  });
  describe('Web Locks held by runners', () => {
    it('releases the runner lock when the runner stops before the browser granted it', async () => {
      const locks = fakeLocks({ manual: true });
      const { queue } = await openTest<Jobs>(storage, { environment: { locks } });
      const runner = startWorkers(queue, { handlers: { work: (n) => n } });
      await runner.stop();
      await locks.grantAll(); // the browser grants the request only now
      await runner.ready;
      expect(locks.heldNames()).toEqual([]);
    });

    // Web Locks tests: a runner on a SQLite store takes none (see above).
    if (storage !== 'sqlite') {
      it('a runner whose lock the browser let go behind its back gives its attempts up and starts again under a new lock', async () => {
        // WebKit restores a page from the back/forward cache without the locks its code still
        // awaits: other tabs then see the runner dead and take its jobs over.
        const locks = fakeLocks();
        const t = await openTest<Jobs>(storage, { environment: { locks, onSuspend: () => () => {} } });
        const signals: AbortSignal[] = [];
        const started = deferred();
        const runner = startWorkers(t.queue, {
          gracePeriod: 0,
          handlers: {
            work: async (_n, ctx) => {
              signals.push(ctx.signal);
              if (ctx.attempt > 1) return ctx.attempt;
              started.resolve();
              return new Promise<number>(() => {}); // runs until cut off
            },
          },
        });
        const job = await t.queue.add('work', 1);
        await started.promise;
        const [before] = locks.heldNames();
        locks.drop(`jobrail:${t.name}:runner:`);
        const done = t.queue.waitFor(job.id);
        t.clock.advance(1000); // the runner reads the lock table every second
        expect(await done).toBe(2);
        expect(signals[0]?.aborted).toBe(true);
        expect(locks.heldNames()).toHaveLength(1);
        expect(locks.heldNames()[0]).not.toBe(before);
        await runner.stop();
        expect(locks.heldNames()).toEqual([]);
        expect(await t.queue.get(job.id)).toMatchObject({ state: 'completed', attempts: 2, result: 2 });
      });

      it('a page frozen or put in the back/forward cache lets its lock and jobs go at once; back, it runs jobs again under a new lock', async () => {
        const locks = fakeLocks();
        let lifecycle: ((suspended: boolean) => void) | undefined;
        const onSuspend = (listener: (suspended: boolean) => void) => {
          lifecycle = listener;
          return () => {
            lifecycle = undefined;
          };
        };
        const t = await openTest<Jobs>(storage, { environment: { locks, onSuspend } });
        const tabB = await t.another({ environment: { locks, onSuspend: () => () => {} } });
        const started = deferred();
        const runnerA = startWorkers(t.queue, {
          gracePeriod: 0,
          handlers: {
            work: async (n, ctx) => {
              if (n === 1 && ctx.attempt === 1) {
                started.resolve();
                return new Promise<string>(() => {});
              }
              return `A:${String(ctx.attempt)}`;
            },
          },
        });
        const job = await t.queue.add('work', 1);
        await started.promise;
        const before = locks.heldNames();
        lifecycle?.(true); // pagehide (persisted) or freeze
        await new Promise((resolve) => setImmediate(resolve)); // the lock manager's callbacks
        expect(locks.heldNames()).toEqual([]);
        t.clock.advance(1);
        const runnerB = startWorkers(tabB, { handlers: { work: (_n, ctx) => `B:${String(ctx.attempt)}` } });
        expect(await tabB.waitFor(job.id)).toBe('B:2');
        lifecycle?.(false); // pageshow (persisted) or resume
        await runnerB.stop();
        const next = await t.queue.add('work', 2);
        expect(await t.queue.waitFor(next.id)).toBe('A:1');
        expect(locks.heldNames()).toHaveLength(1);
        expect(before).not.toContain(locks.heldNames()[0]);
        await runnerA.stop();
        expect(lifecycle).toBeUndefined(); // stop unsubscribes
        expect(locks.heldNames()).toEqual([]);
      });

      it('releases the runner lock when its queue closes', async () => {
        const locks = fakeLocks();
        const { queue } = await openTest<Jobs>(storage, { environment: { locks } });
        const runner = startWorkers(queue, { handlers: { work: (n) => n } });
        await runner.ready;
        expect(locks.heldNames()).toHaveLength(1);
        await queue.close();
        expect(locks.heldNames()).toEqual([]);
      });
    }
  });
});
