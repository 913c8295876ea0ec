/**
 * Scenario 4 — scale: claim and complete `jobs` jobs while `size` other jobs are stored,
 * half of them pending far in the future (`delay`) and half completed.
 *
 * All `size` jobs are added through the public `addBulk`, in chunks of 1,000. Running
 * 50,000 jobs to completion just to seed would take minutes on a small machine, so the
 * completed half is then moved to `completed`, a thousand at a time, by raw IndexedDB passes that apply the
 * very transition the core's settle step stores (state, attempts, finishedAt, result, and
 * the index keys recomputed by the core's own `withKeys`). One seeded database serves every
 * repetition of a size: the measured jobs are removed again afterwards (`queue.remove`,
 * not timed), so each repetition sees exactly `size` other jobs.
 */
import { openQueue, startWorkers, type Queue } from 'jobrail';
import { withKeys, type JobRecord } from '../../src/store/record.js';
import { ACTIVE, JOBS, tierOf } from '../../src/store/schema.js';
import { countEvents, deleteDb, done, freshName, jobrailDb, now, request, seed, type Metrics } from './common.js';

const FAR = 30 * 24 * 3600 * 1000; // 30 days

const seeded = new Map<number, { name: string; queue: Queue; seedMs: number }>();

/**
 * Marks the first `count` pending jobs (enqueue order) completed, as a finished attempt would:
 * the record moves from the `active` store to `jobs`, where schema version 3 keeps finished jobs.
 */
async function completeDirectly(queue: string, count: number): Promise<void> {
  const db = await request(indexedDB.open(jobrailDb(queue)));
  try {
    const tx = db.transaction([ACTIVE, JOBS], 'readwrite', { durability: 'relaxed' });
    const cursorReq = tx.objectStore(ACTIVE).index('state').openCursor(IDBKeyRange.bound(['pending'], ['pending', []]));
    let moved = 0;
    const at = Date.now();
    cursorReq.onsuccess = () => {
      const cursor = cursorReq.result;
      if (!cursor || moved >= count) return;
      const rec = cursor.value as JobRecord;
      if (rec.state === 'pending' && rec.ready) {
        const next = withKeys({ ...rec, state: 'completed', ready: false, attempts: 1, updatedAt: at, finishedAt: at, result: null });
        if (tierOf(next) !== JOBS) throw new Error('a completed job belongs in the jobs store');
        tx.objectStore(JOBS).put(next);
        cursor.delete();
        moved += 1;
      }
      cursor.continue();
    };
    await done(tx);
    if (moved !== count) throw new Error(`completed ${String(moved)} of ${String(count)} seeded jobs`);
  } finally {
    db.close();
  }
}

/** Opens (seeding on first use) the database of one size. */
async function storeOf(size: number): Promise<{ queue: Queue; seedMs: number }> {
  const have = seeded.get(size);
  if (have) return have;
  const name = freshName(`scale-${String(size)}`);
  const t0 = now();
  const completed = Math.floor(size / 2);
  {
    const queue = await openQueue(name);
    // A thousand at a time, each moved to `jobs` before the next is added: `active` never holds
    // more than 1,000, as in a queue that drains. Rewriting a record in a big store is what
    // WebKit's in-memory IndexedDB makes slow (issue 12), and seeding 50,000 pending first took
    // over 10 minutes there.
    for (let start = 0; start < completed; start += 1000) {
      const n = Math.min(1000, completed - start);
      await seed(queue, n, (i) => ({ name: 'noop', data: { i: start + i } }));
      await completeDirectly(name, n);
    }
    await seed(queue, size - completed, (i) => ({ name: 'noop', data: { i }, options: { delay: FAR } }));
    await queue.close();
  }
  const queue = await openQueue(name);
  const counts = await queue.counts();
  if (counts.completed !== completed || counts.pending !== size - completed) throw new Error(`seeding went wrong: ${JSON.stringify(counts)}`);
  const entry = { name, queue, seedMs: now() - t0 };
  seeded.set(size, entry);
  return entry;
}

/** Drops the seeded database of one size (called by the driver after its last repetition). */
export async function dispose({ size }: { size: number }): Promise<Metrics> {
  const have = seeded.get(size);
  if (have) {
    seeded.delete(size);
    await have.queue.close();
    await deleteDb(jobrailDb(have.name));
  }
  return {};
}

export async function run({ size, jobs, concurrency }: { size: number; jobs: number; concurrency: number }): Promise<Metrics> {
  const { queue, seedMs } = await storeOf(size);
  const added = await queue.addBulk(Array.from({ length: jobs }, (_, i) => ({ name: 'noop', data: { i } })));
  const started = countEvents(queue, 'active', jobs);
  const completed = countEvents(queue, 'completed', jobs);
  const runner = startWorkers(queue, { handlers: { noop: () => undefined }, concurrency });
  const t1 = await completed.all;
  const ms = t1 - started.first();
  await runner.stop();
  for (const job of added) await queue.remove(job.id);
  const counts = await queue.counts();
  return { ms, rate: (jobs / ms) * 1000, stored: counts.pending + counts.completed, seedMs };
}
