/**
 * Scenario 2 — end-to-end throughput: N stored no-op jobs, from the first job start to the
 * last completion. jobrail in the page (concurrency 1 and 8) and in workers (2 × 8), vs raw
 * IndexedDB claim/complete loops (1 and 16 jobs per transaction) and p-queue (memory only).
 */
import { openQueue, startWorkers } from 'jobrail';
import PQueue from 'p-queue';
import { countEvents, countTransactions, deleteDb, freshName, headTail, jobrailDb, noopWorker, now, seed, type Metrics } from './common.js';
import { RawQueue, noop, rawLoop } from './raw.js';

const payload = (i: number) => ({ i });

export async function jobrail({ jobs, concurrency, workers }: { jobs: number; concurrency: number; workers?: number }): Promise<Metrics> {
  const name = freshName('e2e');
  const queue = await openQueue(name);
  try {
    await seed(queue, jobs, (i) => ({ name: 'noop', data: payload(i) }));
    const started = countEvents(queue, 'active', jobs);
    const completed = countEvents(queue, 'completed', jobs);
    const transactions = countTransactions();
    const runner = workers
      ? startWorkers(queue, { worker: noopWorker, workers, concurrency })
      : startWorkers(queue, { handlers: { noop: () => undefined }, concurrency });
    const t1 = await completed.all;
    const ms = t1 - started.first();
    const txPerJob = transactions.stop() / jobs;
    await runner.stop();
    return { rate: (jobs / ms) * 1000, ms, txPerJob, ...headTail(started.first(), completed.times) };
  } finally {
    await queue.close();
    await deleteDb(jobrailDb(name));
  }
}

export async function raw({ jobs, batch }: { jobs: number; batch: number }): Promise<Metrics> {
  const queue = await RawQueue.open(freshName('e2e-raw'));
  try {
    await queue.putMany(Array.from({ length: jobs }, (_, i) => payload(i)), 'relaxed');
    const times: number[] = [];
    const t0 = now();
    const count = await rawLoop(queue, batch, times);
    const ms = now() - t0;
    if (count !== jobs) throw new Error(`raw loop ran ${String(count)} of ${String(jobs)} jobs`);
    return { rate: (jobs / ms) * 1000, ms, ...headTail(t0, times) };
  } finally {
    await queue.destroy();
  }
}

export async function pQueue({ jobs, concurrency }: { jobs: number; concurrency: number }): Promise<Metrics> {
  const queue = new PQueue({ concurrency });
  const t0 = now();
  for (let i = 0; i < jobs; i += 1) void queue.add(() => noop(payload(i)));
  await queue.onIdle();
  const ms = now() - t0;
  return { rate: (jobs / ms) * 1000, ms };
}
