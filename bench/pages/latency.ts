/**
 * Scenario 3 — latency on an idle queue: `add` → handler start, one job at a time, the
 * runner idle before each add. In the page and in a worker, vs the raw cost of one strict
 * put followed by one claim transaction.
 */
import { openQueue, startWorkers, type Queue } from 'jobrail';
import { deleteDb, freshName, jobrailDb, noopWorker, now, percentile, sleep, stamp, type Metrics } from './common.js';
import { RawQueue } from './raw.js';

/** Resolves on the next `drained` event. */
function drainedOnce(queue: Queue): Promise<void> {
  return new Promise((resolve) => {
    const off = queue.on('drained', () => {
      off();
      resolve();
    });
  });
}

function summary(samples: number[]): Metrics {
  return {
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
    max: Math.max(...samples),
  };
}

export async function jobrail({ jobs, worker }: { jobs: number; worker: boolean }): Promise<Metrics> {
  const name = freshName(worker ? 'lat-worker' : 'lat-page');
  const queue = await openQueue(name);
  const runner = worker
    ? startWorkers(queue, { worker: noopWorker, workers: 1, concurrency: 1 })
    : startWorkers(queue, { handlers: { stamp: () => stamp() }, concurrency: 1 });
  const samples: number[] = [];
  try {
    await runner.ready;
    await sleep(50);
    // Handler start stamps by job id, from the `completed` event (its result).
    const results = new Map<string, number>();
    let waiting: { id: string; resolve: (v: number) => void } | undefined;
    const off = queue.on('completed', (job) => {
      results.set(job.id, job.result as number);
      if (waiting?.id === job.id) waiting.resolve(job.result as number);
    });
    for (let i = 0; i < jobs; i += 1) {
      // Completion is announced before the runner's follow-up claim pass; `drained` comes
      // after it. A short pause then leaves the runner truly idle (no pass in progress).
      const drained = drainedOnce(queue);
      const t0 = stamp();
      const job = await queue.add('stamp', { i });
      const started = results.get(job.id) ?? (await new Promise<number>((resolve) => (waiting = { id: job.id, resolve })));
      samples.push(started - t0);
      await drained;
      await sleep(2);
    }
    off();
    return summary(samples);
  } finally {
    await runner.stop();
    await queue.close();
    await deleteDb(jobrailDb(name));
  }
}

export async function raw({ jobs }: { jobs: number }): Promise<Metrics> {
  const queue = await RawQueue.open(freshName('lat-raw'));
  const samples: number[] = [];
  try {
    for (let i = 0; i < jobs; i += 1) {
      const t0 = now();
      await queue.putOne({ i });
      const [job] = await queue.claim(1);
      samples.push(now() - t0);
      if (!job) throw new Error('raw claim found nothing');
      await queue.complete([job]);
      await sleep(2);
    }
    return summary(samples);
  } finally {
    await queue.destroy();
  }
}
