/**
 * Scenario 6 — main thread: long tasks (over 50 ms, PerformanceObserver 'longtask') on the
 * page while `jobs` no-op jobs run in workers (2 workers × concurrency 8). Observed from
 * `startWorkers` to the last completion; seeding happens before and is not observed.
 */
import { openQueue, startWorkers } from 'jobrail';
import { countEvents, deleteDb, freshName, jobrailDb, noopWorker, now, seed, sleep, type Metrics } from './common.js';

export async function longTasks({ jobs, workers, concurrency }: { jobs: number; workers: number; concurrency: number }): Promise<Metrics> {
  const name = freshName('longtask');
  const queue = await openQueue(name);
  try {
    await seed(queue, jobs, (i) => ({ name: 'noop', data: { i } }));
    await sleep(100); // let the seeding's own tasks drain before observing
    const entries: PerformanceEntry[] = [];
    const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
    observer.observe({ type: 'longtask' });
    const completed = countEvents(queue, 'completed', jobs);
    const t0 = now();
    const runner = startWorkers(queue, { worker: noopWorker, workers, concurrency });
    await completed.all;
    const ms = now() - t0;
    await sleep(100); // long-task entries are delivered after the task ends
    observer.disconnect();
    await runner.stop();
    return summarize(entries, t0, ms);
  } finally {
    await queue.close();
    await deleteDb(jobrailDb(name));
  }
}

/** Long tasks that started within [t0, t0 + ms]: count, longest and total. */
function summarize(entries: PerformanceEntry[], t0: number, ms: number): Metrics {
  const inWindow = entries.filter((e) => e.startTime >= t0 && e.startTime <= t0 + ms);
  return {
    longTasks: inWindow.length,
    longestMs: inWindow.reduce((m, e) => Math.max(m, e.duration), 0),
    totalLongMs: inWindow.reduce((s, e) => s + e.duration, 0),
    ms,
  };
}

/**
 * Control for `longTasks`: the same observer on the same page for `ms` with no queue work.
 * Long tasks here come from the machine (a loaded CPU stretches any task past 50 ms), not
 * from jobrail.
 */
export async function idle({ ms }: { ms: number }): Promise<Metrics> {
  const entries: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
  observer.observe({ type: 'longtask' });
  const t0 = now();
  // A light heartbeat, like a page that is open but idle.
  const timer = setInterval(() => undefined, 16);
  await sleep(ms);
  clearInterval(timer);
  await sleep(100);
  observer.disconnect();
  return summarize(entries, t0, ms);
}
