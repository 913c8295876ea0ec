/**
 * Rate limits (issue 6): `startWorkers(queue, { limiter: { max, duration } })` counts starts
 * in the queue's own storage, so the limit holds across queue objects (tabs) and runners.
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import { openQueue, startWorkers, type Queue, type Runner } from '../src/index.js';
import { Clock, settle } from './helpers/async-clock.js';
import { STORAGES, storageFor, type Storage } from './helpers/queues.js';




type Jobs = { call: { n: number } };

let seq = 0;
const open: Queue<Jobs>[] = [];
const runners: Runner[] = [];
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop({ timeout: 0 })));
  await Promise.all(open.splice(0).map((q) => q.close()));
});

/** Claim times (ctx.job.updatedAt is the time the limiter counted) and who ran each job. */
interface Start {
  n: number;
  at: number;
  runner: string;
}

/** In every window of `duration` ms, at most `max` starts. */
function windowHolds(starts: Start[], max: number, duration: number): boolean {
  const times = starts.map((s) => s.at).sort((a, b) => a - b);
  return times.every((t, i) => i + max >= times.length || (times[i + max] as number) - t >= duration);
}

describe.each(STORAGES)('limiter on %s storage', (storage) => {
  test('{ max: 2, duration: 1000 } holds across two queue objects, each with its own runner', async () => {
    const clock = new Clock();
    const t0 = clock.t;
    const name = `limit-${storage}-${String(++seq)}`;
    const a = await openQueue<Jobs>(name, { storage: await storageFor(storage, name), environment: clock.env });
    const b = await openQueue<Jobs>(name, { storage: await storageFor(storage, name), environment: clock.env });
    open.push(a, b);
    const starts: Start[] = [];
    const start = (q: Queue<Jobs>, runner: string) => {
      const r = startWorkers(q, {
        handlers: { call: (data, ctx) => void starts.push({ n: data.n, at: ctx.job.updatedAt, runner }) },
        concurrency: 10,
        limiter: { max: 2, duration: 1000 },
      });
      runners.push(r);
      return r.ready;
    };
    await Promise.all([start(a, 'a'), start(b, 'b')]);
    await a.addBulk(Array.from({ length: 7 }, (_, n) => ({ name: 'call' as const, data: { n } })));
    await vi.waitFor(() => expect(starts).toHaveLength(2));
    await clock.advance(999);
    expect(starts).toHaveLength(2);
    await clock.advance(1);
    await vi.waitFor(() => expect(starts).toHaveLength(4));
    await clock.advance(1000);
    await vi.waitFor(() => expect(starts).toHaveLength(6));
    await clock.advance(1000);
    await vi.waitFor(() => expect(starts).toHaveLength(7));
    await vi.waitFor(async () => expect((await a.counts()).completed).toBe(7));
    expect(starts.map((s) => s.at - t0)).toEqual([0, 0, 1000, 1000, 2000, 2000, 3000]);
    expect(windowHolds(starts, 2, 1000)).toBe(true);
    expect(new Set(starts.map((s) => s.n)).size).toBe(7);
  });

  test('a second runner started later sees the starts the first one already counted', async () => {
    const clock = new Clock();
    const name = `limit-late-${storage}-${String(++seq)}`;
    const a = await openQueue<Jobs>(name, { storage: await storageFor(storage, name), environment: clock.env });
    const b = await openQueue<Jobs>(name, { storage: await storageFor(storage, name), environment: clock.env });
    open.push(a, b);
    const starts: Start[] = [];
    const handlers = (runner: string) => ({ call: (data: { n: number }, ctx: { job: { updatedAt: number } }) => void starts.push({ n: data.n, at: ctx.job.updatedAt, runner }) });
    await a.addBulk(Array.from({ length: 6 }, (_, n) => ({ name: 'call' as const, data: { n } })));
    const ra = startWorkers(a, { handlers: handlers('a'), concurrency: 10, limiter: { max: 3, duration: 60_000 } });
    runners.push(ra);
    await vi.waitFor(() => expect(starts).toHaveLength(3));
    const rb = startWorkers(b, { handlers: handlers('b'), concurrency: 10, limiter: { max: 3, duration: 60_000 } });
    runners.push(rb);
    await rb.ready;
    await clock.advance(59_999);
    expect(starts).toHaveLength(3);
    await clock.advance(1);
    await vi.waitFor(() => expect(starts).toHaveLength(6));
    expect(windowHolds(starts, 3, 60_000)).toBe(true);
  });
});
