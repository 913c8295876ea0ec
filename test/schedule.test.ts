/**
 * Scheduling (issue 6): `queue.schedule / unschedule / schedules`, ticks on an injected
 * clock, catch-up of missed ticks, and one job per tick across several queue objects.
 */
import { afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { JobrailError, openQueue, startWorkers, type Job, type Queue, type Runner } from '../src/index.js';
import { Clock, settle } from './helpers/async-clock.js';
import { loadCron } from '../src/cron.js';
import { STORAGES, storageFor, type Storage } from './helpers/queues.js';
import { LATE_GRACE_MS, MAX_CATCH_UP, planTicks, tickKey } from '../src/schedule.js';


type Jobs = { tick: { n?: number } | undefined; other: string };

let seq = 0;
const open: Queue<Jobs>[] = [];
const runners: Runner[] = [];
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop({ timeout: 0 })));
  await Promise.all(open.splice(0).map((q) => q.close()));
});

async function openOn(clock: Clock, name: string, storage: Storage = 'indexeddb'): Promise<Queue<Jobs>> {
  const q = await openQueue<Jobs>(name, { storage: await storageFor(storage, name), environment: clock.env });
  open.push(q);
  return q;
}

function run(q: Queue<Jobs>, seen: Job[] = []): Runner {
  const r = startWorkers(q, {
    handlers: {
      tick: (_data, ctx) => {
        seen.push(ctx.job);
      },
      other: () => undefined,
    },
    concurrency: 4,
  });
  runners.push(r);
  return r;
}

const tickJobs = async (q: Queue<Jobs>): Promise<Job[]> => (await q.list({ name: 'tick', limit: 1000 })).sort((a, b) => a.runAt - b.runAt);

describe.each(STORAGES)('schedule on %s storage', (storage) => {
  const fresh = async () => {
    const clock = new Clock();
    const q = await openOn(clock, `sched-${storage}-${String(++seq)}`, storage);
    return { clock, q, t0: clock.t };
  };

  test('an `every` schedule first fires `every` ms after it is saved, then once per interval, one job per tick', async () => {
    const { clock, q, t0 } = await fresh();
    const info = await q.schedule('heartbeat', { every: 1000 }, 'tick', { n: 1 }, { priority: 3, retries: 2 });
    expect(info).toEqual({ id: 'heartbeat', every: 1000, catchUp: 'one', name: 'tick', data: { n: 1 }, options: { priority: 3, retries: 2 }, nextRunAt: t0 + 1000 });
    const seen: Job[] = [];
    await run(q, seen).ready;
    await clock.advance(999);
    expect(await tickJobs(q)).toHaveLength(0);
    await clock.advance(1);
    await vi.waitFor(async () => expect(await tickJobs(q)).toHaveLength(1));
    await clock.advance(1000);
    await clock.advance(1000);
    await vi.waitFor(async () => expect((await tickJobs(q)).filter((j) => j.state === 'completed')).toHaveLength(3));
    const jobs = await tickJobs(q);
    expect(jobs.map((j) => j.runAt)).toEqual([t0 + 1000, t0 + 2000, t0 + 3000]);
    expect(jobs.map((j) => j.idempotencyKey)).toEqual([1000, 2000, 3000].map((d) => tickKey('heartbeat', t0 + d)));
    expect(jobs.every((j) => j.priority === 3 && j.maxAttempts === 3)).toBe(true);
    expect(seen.map((j) => j.data)).toEqual([{ n: 1 }, { n: 1 }, { n: 1 }]);
    expect((await q.schedules())[0]?.nextRunAt).toBe(t0 + 4000);
  });

  test('schedule() upserts: same timing keeps nextRunAt, new timing recomputes it, new data applies to later ticks', async () => {
    const { clock, q, t0 } = await fresh();
    await q.schedule('s', { every: 10_000 }, 'tick', { n: 1 });
    clock.t += 4000;
    const same = await q.schedule('s', { every: 10_000 }, 'tick', { n: 2 });
    expect(same.nextRunAt).toBe(t0 + 10_000);
    expect(same.data).toEqual({ n: 2 });
    const changed = await q.schedule('s', { every: 3000 }, 'tick', { n: 3 });
    expect(changed.nextRunAt).toBe(t0 + 4000 + 3000);
    expect(await q.schedules()).toHaveLength(1);
    await run(q).ready;
    await clock.advance(3000);
    await vi.waitFor(async () => expect(await tickJobs(q)).toHaveLength(1));
    expect((await tickJobs(q))[0]?.data).toEqual({ n: 3 });
  });

  test('unschedule() removes a schedule: no more ticks; resolves false for an unknown id; schedules() lists the rest', async () => {
    const { clock, q, t0 } = await fresh();
    await q.schedule('a', { every: 1000 }, 'tick');
    await q.schedule('b', { cron: '0 * * * *', tz: 'UTC' }, 'other', 'x', { requiresNetwork: true });
    await run(q).ready;
    await clock.advance(1000);
    await vi.waitFor(async () => expect(await tickJobs(q)).toHaveLength(1));
    expect(await q.unschedule('a')).toBe(true);
    expect(await q.unschedule('a')).toBe(false);
    await clock.advance(5000);
    expect(await tickJobs(q)).toHaveLength(1);
    expect(await q.schedules()).toEqual([
      { id: 'b', cron: '0 * * * *', tz: 'UTC', catchUp: 'one', name: 'other', data: 'x', options: { requiresNetwork: true }, nextRunAt: t0 + 3_600_000 },
    ]);
  });

  test('an invalid spec rejects with a TypeError naming the problem, and nothing is written', async () => {
    const { q } = await fresh();
    const bad: [unknown, RegExp][] = [
      [undefined, /got undefined instead of an object/],
      [{}, /neither `every` nor `cron`/],
      [{ every: 0 }, /`every` must be a whole number of milliseconds ≥ 1, got 0/],
      [{ every: -5 }, /`every`.*got -5/],
      [{ every: 1.5 }, /`every`.*got 1.5/],
      [{ every: '1000' }, /`every`.*got "1000"/],
      [{ every: Number.NaN }, /`every`.*got NaN/],
      [{ every: 1000, cron: '* * * * *' }, /either `every` or `cron`, not both/],
      [{ every: 1000, tz: 'UTC' }, /`tz` goes with `cron`/],
      [{ every: 1000, catchUp: 'some' }, /`catchUp` must be 'one', 'none' or 'all', got "some"/],
      [{ every: 1000, repeat: 3 }, /unknown key `repeat`/],
      [{ cron: 'not a cron' }, /`cron` "not a cron" is not a valid cron expression/],
      [{ cron: '61 * * * *' }, /`cron` "61 \* \* \* \*" is not a valid cron expression/],
      [{ cron: '' }, /`cron` must be a non-empty cron expression/],
      [{ cron: 42 }, /`cron` must be a non-empty cron expression, got 42/],
      [{ cron: '0 0 30 2 *' }, /has no run after now, so it would never fire/],
      [{ cron: '2031-01-01T00:00:00' }, /is a date, not a repeating cron expression/],
      [{ cron: '* * * * *', tz: 'Mars/Olympus_Mons' }, /`tz` "Mars\/Olympus_Mons" is not a time zone/],
    ];
    for (const [spec, message] of bad) {
      const attempt = q.schedule('x', spec as never, 'tick');
      await expect(attempt, JSON.stringify(spec)).rejects.toThrow(TypeError);
      await expect(attempt, JSON.stringify(spec)).rejects.toThrow(message);
    }
    await expect(q.schedule('', { every: 1000 }, 'tick')).rejects.toThrow(/schedule `id`/);
    await expect(q.schedule('x', { every: 1000 }, '' as never)).rejects.toThrow(/`name`/);
    await expect(q.schedule('x', { every: 1000 }, 'tick', undefined, { delay: 5 } as never)).rejects.toThrow(/`delay` cannot be given to schedule\(\)/);
    await expect(q.schedule('x', { every: 1000 }, 'tick', undefined, { idempotencyKey: 'k' } as never)).rejects.toThrow(/`idempotencyKey` cannot be given/);
    await expect(q.schedule('x', { every: 1000 }, 'tick', undefined, { backoff: () => 5 } as never)).rejects.toThrow(/backoff function cannot be stored/);
    await expect(q.schedule('x', { every: 1000 }, 'tick', undefined, { retries: -1 })).rejects.toThrow(RangeError);
    await expect(q.schedule('x', { every: 1000 }, 'tick', { n: (() => 1) as never })).rejects.toThrow(JobrailError);
    expect(await q.schedules()).toEqual([]);
  });

  test('a cron schedule fires at the expression’s times in its time zone', async () => {
    const { clock, q, t0 } = await fresh();
    // t0 is 2030-01-01T00:00:00Z; 09:00 in New York (EST, UTC−5) is 14:00Z.
    const daily = await q.schedule('ny', { cron: '0 9 * * *', tz: 'America/New_York' }, 'other', 'ny');
    expect(daily.nextRunAt).toBe(Date.UTC(2030, 0, 1, 14, 0, 0));
    const info = await q.schedule('tens', { cron: '*/10 * * * * *' }, 'tick');
    expect(info.nextRunAt).toBe(t0 + 10_000);
    await run(q).ready;
    await clock.advance(30_000);
    await vi.waitFor(async () => expect((await tickJobs(q)).map((j) => j.runAt - t0)).toEqual([10_000, 20_000, 30_000]));
  });
});

describe('catch-up of ticks missed while no runner was open', () => {
  async function missed(spec: Parameters<Queue<Jobs>['schedule']>[1], gone: number) {
    const clock = new Clock();
    const name = `catchup-${String(++seq)}`;
    const first = await openOn(clock, name);
    const t0 = clock.t;
    await first.schedule('s', spec, 'tick');
    await first.close();
    // Every tab closed; time passes; a tab opens the queue and starts a runner.
    clock.t += gone;
    const q = await openOn(clock, name);
    await run(q).ready;
    await settle();
    return { q, t0, clock };
  }

  test("catchUp 'one' (default): one job for however many ticks were missed, keyed by the latest", async () => {
    const { q, t0 } = await missed({ every: 3_600_000 }, 5.5 * 3_600_000);
    await vi.waitFor(async () => expect(await tickJobs(q)).toHaveLength(1));
    const [job] = await tickJobs(q);
    expect(job?.runAt).toBe(t0 + 5 * 3_600_000);
    expect(job?.idempotencyKey).toBe(tickKey('s', t0 + 5 * 3_600_000));
    expect((await q.schedules())[0]?.nextRunAt).toBe(t0 + 6 * 3_600_000);
  });

  test("catchUp 'none': no job for missed ticks; the schedule resumes at its next tick", async () => {
    const { q, t0, clock } = await missed({ every: 3_600_000, catchUp: 'none' }, 5.5 * 3_600_000);
    await vi.waitFor(async () => expect((await q.schedules())[0]?.nextRunAt).toBe(t0 + 6 * 3_600_000));
    expect(await tickJobs(q)).toHaveLength(0);
    await clock.advance(0.5 * 3_600_000);
    await vi.waitFor(async () => expect(await tickJobs(q)).toHaveLength(1));
  });

  test("catchUp 'all': one job per missed tick, oldest first, at most 100", async () => {
    const few = await missed({ every: 3_600_000, catchUp: 'all' }, 5.5 * 3_600_000);
    await vi.waitFor(async () => expect(await tickJobs(few.q)).toHaveLength(5));
    expect((await tickJobs(few.q)).map((j) => (j.runAt - few.t0) / 3_600_000)).toEqual([1, 2, 3, 4, 5]);

    const many = await missed({ every: 1000, catchUp: 'all' }, 1_000_000);
    await vi.waitFor(async () => expect(await tickJobs(many.q)).toHaveLength(MAX_CATCH_UP));
    const runAts = (await tickJobs(many.q)).map((j) => (j.runAt - many.t0) / 1000);
    expect(runAts[0]).toBe(901);
    expect(runAts.at(-1)).toBe(1000);
  });

  test('a cron schedule catches up the same way', async () => {
    const { q, t0 } = await missed({ cron: '0 * * * *', tz: 'UTC', catchUp: 'all' }, 3.5 * 3_600_000);
    await vi.waitFor(async () => expect((await tickJobs(q)).map((j) => (j.runAt - t0) / 3_600_000)).toEqual([1, 2, 3]));
    expect((await q.schedules())[0]?.nextRunAt).toBe(t0 + 4 * 3_600_000);
  });

  test('saving the same schedule again at start-up (as apps do) keeps the missed ticks for catch-up', async () => {
    const clock = new Clock();
    const name = `resave-${String(++seq)}`;
    const first = await openOn(clock, name);
    const t0 = clock.t;
    await first.schedule('s', { every: 60_000 }, 'tick');
    await first.close();
    clock.t += 10 * 60_000 + 5;
    const q = await openOn(clock, name);
    await q.schedule('s', { every: 60_000 }, 'tick');
    await run(q).ready;
    await vi.waitFor(async () => expect(await tickJobs(q)).toHaveLength(1));
    expect((await tickJobs(q))[0]?.runAt).toBe(t0 + 10 * 60_000);
  });
});

describe('several tabs', () => {
  test('two queue objects (two tabs) running one schedule produce exactly one job per tick', async () => {
    const clock = new Clock();
    const name = `two-tabs-${String(++seq)}`;
    const a = await openOn(clock, name);
    const b = await openOn(clock, name);
    const t0 = clock.t;
    const seenA: Job[] = [];
    const seenB: Job[] = [];
    await Promise.all([run(a, seenA).ready, run(b, seenB).ready]);
    await a.schedule('s', { every: 1000 }, 'tick');
    // Tab b learns of the schedule through the channel: both tabs arm a timer for the tick.
    await vi.waitFor(() => expect(clock.timersAt(t0 + 1000)).toBe(2));
    for (let i = 0; i < 5; i++) await clock.advance(1000);
    await vi.waitFor(async () => expect((await tickJobs(a)).filter((j) => j.state === 'completed')).toHaveLength(5));
    const jobs = await tickJobs(b);
    expect(jobs.map((j) => j.runAt - t0)).toEqual([1000, 2000, 3000, 4000, 5000]);
    expect(new Set(jobs.map((j) => j.idempotencyKey)).size).toBe(5);
    expect(seenA.length + seenB.length).toBe(5);
  });

  test('two tabs firing the same due tick at the same moment create one job', async () => {
    const clock = new Clock();
    const name = `race-${String(++seq)}`;
    const a = await openOn(clock, name);
    const b = await openOn(clock, name);
    await a.schedule('s', { every: 1000, catchUp: 'all' }, 'tick');
    clock.t += 10_500;
    // Both runners start at once and both see ten ticks due.
    await Promise.all([run(a).ready, run(b).ready]);
    await vi.waitFor(async () => expect(await tickJobs(a)).toHaveLength(10));
    await settle();
    expect(await tickJobs(b)).toHaveLength(10);
  });
});

describe('planTicks (pure)', () => {
  const hour = 3_600_000;
  beforeAll(() => loadCron());
  test('every: due ticks, next tick, and the catch-up policies', () => {
    expect(planTicks({ every: 1000 }, 'one', 5000, 4999)).toEqual({ ticks: [], next: 5000 });
    expect(planTicks({ every: 1000 }, 'one', 5000, 5000)).toEqual({ ticks: [5000], next: 6000 });
    expect(planTicks({ every: 1000 }, 'one', 5000, 7500)).toEqual({ ticks: [7000], next: 8000 });
    expect(planTicks({ every: 1000 }, 'all', 5000, 7500)).toEqual({ ticks: [5000, 6000, 7000], next: 8000 });
    expect(planTicks({ every: 1000 }, 'none', 5000, 7500)).toEqual({ ticks: [7000], next: 8000 });
    expect(planTicks({ every: hour }, 'none', hour, 3.5 * hour)).toEqual({ ticks: [], next: 4 * hour });
    expect(planTicks({ every: hour }, 'none', hour, 3 * hour + LATE_GRACE_MS)).toEqual({ ticks: [3 * hour], next: 4 * hour });
    const huge = planTicks({ every: 1 }, 'all', 0, 1e12);
    expect(huge.ticks).toHaveLength(MAX_CATCH_UP);
    expect(huge.ticks.at(-1)).toBe(1e12);
    expect(huge.next).toBe(1e12 + 1);
  });

  test('cron: same rules at the expression’s times', () => {
    const t = Date.UTC(2030, 0, 1);
    expect(planTicks({ cron: '0 * * * *', tz: 'UTC' }, 'one', t + hour, t + hour)).toEqual({ ticks: [t + hour], next: t + 2 * hour });
    expect(planTicks({ cron: '0 * * * *', tz: 'UTC' }, 'all', t + hour, t + 3.5 * hour)).toEqual({ ticks: [t + hour, t + 2 * hour, t + 3 * hour], next: t + 4 * hour });
    expect(planTicks({ cron: '0 * * * *', tz: 'UTC' }, 'none', t + hour, t + 3.5 * hour)).toEqual({ ticks: [], next: t + 4 * hour });
  });
});
