/**
 * Scenario 5 — memory: JS heap (after gc) with one open queue and a started runner, over
 * an empty database and over `stored` jobs (pending far in the future, added through
 * `addBulk` in chunks). Growth = full − empty. The full database is seeded once per page
 * (first call) and reopened by a fresh queue object in every repetition.
 */
import { openQueue, startWorkers } from 'jobrail';
import { deleteDb, freshName, heapAfterGc, jobrailDb, seed, sleep, type Metrics } from './common.js';

const FAR = 30 * 24 * 3600 * 1000;
const seeded = new Map<number, string>();

async function databaseWith(stored: number): Promise<string> {
  const have = seeded.get(stored);
  if (have) return have;
  const name = freshName(`mem-${String(stored)}`);
  const queue = await openQueue(name);
  await seed(queue, stored, (i) => ({ name: 'noop', data: { i, to: `user${String(i)}@example.com` }, options: { delay: FAR } }));
  await queue.close();
  seeded.set(stored, name);
  return name;
}

/** Heap with a queue open on `name` and a runner started on it (after a few claim passes). */
async function heapOn(name: string): Promise<number> {
  const queue = await openQueue(name);
  try {
    const runner = startWorkers(queue, { handlers: { noop: () => undefined }, concurrency: 8 });
    await runner.ready;
    await sleep(300); // claim passes done, due timer armed, reclaim timer running
    const heap = await heapAfterGc();
    await runner.stop();
    return heap;
  } finally {
    await queue.close();
  }
}

export async function growth({ stored }: { stored: number }): Promise<Metrics> {
  const full = await databaseWith(stored);
  const emptyName = freshName('mem-empty');
  // Empty, full, empty: the mean of the two empties cancels drift of the page's own heap.
  const empty1 = await heapOn(emptyName);
  const fullHeap = await heapOn(full);
  const empty2 = await heapOn(emptyName);
  await deleteDb(jobrailDb(emptyName));
  const empty = (empty1 + empty2) / 2;
  const MB = 1024 * 1024;
  return { growthMB: (fullHeap - empty) / MB, emptyMB: empty / MB, fullMB: fullHeap / MB };
}

export async function dispose({ stored }: { stored: number }): Promise<Metrics> {
  const name = seeded.get(stored);
  if (name) {
    seeded.delete(stored);
    await deleteDb(jobrailDb(name));
  }
  return {};
}
