import { describe, expect, it } from 'vitest';
import { startWorkers, type Backoff, type Job, type QueueOptions } from '../src/index.js';
import { FakeClock } from './helpers/clock.js';
import { STORAGES, nextEvent, openTest } from './helpers/queues.js';

type Jobs = { work: null; probe: null };

describe.each(STORAGES)('backoff between retries, on an injected clock (%s storage)', (storage) => {
  /**
   * Runs a job that always fails through all its retries. Before each retry is due, a probe
   * job makes the runner look at the queue one millisecond early: the failing job must
   * not start then (probes draw from `random` too). Returns the waits announced by `retrying` events and the attempt times.
   */
  async function failThrough(retries: number, backoff: Backoff | undefined, options: QueueOptions = {}, clock = new FakeClock(), probe = true) {
    const { queue } = await openTest<Jobs>(storage, options, clock);
    const t0 = clock.now();
    const attempts: number[] = [];
    startWorkers(queue, {
      handlers: {
        work: () => {
          attempts.push(clock.now() - t0);
          throw new Error('still down');
        },
        probe: () => null,
      },
    });
    const waits: number[] = [];
    queue.on('retrying', (job) => waits.push(job.runAt - job.updatedAt));
    const failed = nextEvent(queue, 'failed');
    let next: Promise<Job> = nextEvent(queue, 'retrying');
    await queue.add('work', null, backoff === undefined ? { retries } : { retries, backoff });
    for (let i = 0; i < retries; i++) {
      const retrying = await next;
      await clock.timerAt(retrying.runAt);
      const seen = attempts.length;
      if (probe && retrying.runAt - clock.now() >= 1) {
        clock.advance(retrying.runAt - clock.now() - 1);
        const probe = await queue.add('probe', null);
        await queue.waitFor(probe.id);
        expect(attempts).toHaveLength(seen); // not started a millisecond early
      }
      next = i < retries - 1 ? nextEvent(queue, 'retrying') : failed;
      clock.advance(retrying.runAt - clock.now());
    }
    const last = await failed;
    return { waits, attempts, last };
  }

  it('waits 1 s, 2 s, 4 s, 8 s before retries 1 to 4 of an exponential backoff without jitter', async () => {
    const { waits, attempts, last } = await failThrough(4, { type: 'exponential', delay: 1000, jitter: false });
    expect(waits).toEqual([1000, 2000, 4000, 8000]);
    expect(attempts).toEqual([0, 1000, 3000, 7000, 15000]);
    expect(last).toMatchObject({ state: 'failed', attempts: 5, maxAttempts: 5 });
  });

  it('caps the exponential wait at maxDelay', async () => {
    const { waits } = await failThrough(5, { type: 'exponential', delay: 1000, maxDelay: 3000, jitter: false });
    expect(waits).toEqual([1000, 2000, 3000, 3000, 3000]);
  });

  it('draws each jittered wait from [wait/2, wait] with the injected random source', async () => {
    const clock = new FakeClock();
    const draws = [0, 0.5, 0.999];
    clock.random = () => draws.shift() ?? 0;
    // the default backoff (1 s exponential, jitter on); no probe jobs, so every draw is a retry's
    const { waits } = await failThrough(3, undefined, {}, clock, false);
    expect(waits[0]).toBe(500); // 1000 drawn at 0
    expect(waits[1]).toBe(1500); // 2000 drawn at 0.5
    expect(waits[2]).toBeGreaterThanOrEqual(3990); // 4000 drawn at 0.999
    expect(waits[2]).toBeLessThanOrEqual(4000);
  });

  it('keeps every default-jittered wait within [wait/2, wait]', async () => {
    const clock = new FakeClock();
    clock.random = Math.random;
    const { waits } = await failThrough(4, undefined, {}, clock);
    waits.forEach((wait, i) => {
      const full = 1000 * 2 ** i;
      expect(wait).toBeGreaterThanOrEqual(full / 2);
      expect(wait).toBeLessThanOrEqual(full);
    });
  });

  it('waits the same delay before every retry of a fixed backoff', async () => {
    const { waits } = await failThrough(3, { type: 'fixed', delay: 750 });
    expect(waits).toEqual([750, 750, 750]);
  });

  it('asks a backoff function for each wait, with the retry number and the error', async () => {
    const calls: [number, string][] = [];
    const { waits } = await failThrough(3, (attempt, error) => {
      calls.push([attempt, error.message]);
      return attempt * 300;
    });
    expect(waits).toEqual([300, 600, 900]);
    expect(calls).toEqual([
      [1, 'still down'],
      [2, 'still down'],
      [3, 'still down'],
    ]);
  });

  it('uses a backoff function given in the queue defaults', async () => {
    const { waits } = await failThrough(2, undefined, { defaults: { backoff: () => 4321 } });
    expect(waits).toEqual([4321, 4321]);
  });
});
