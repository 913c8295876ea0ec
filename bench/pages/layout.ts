/**
 * jobrail's storage floor: its claim-and-settle loop written straight against a database
 * jobrail created (schema v3: its stores, indexes and records), without the library. One
 * relaxed transaction per batch settles the batch before (a fenced read of each job, its
 * delete from `active`, its completed record put into `jobs`) and claims the next one
 * (the `ready` index read, each job rewritten as processing), as jobrail's settle batch
 * does. With `checks`, it also makes the reads a correct claim needs and jobrail makes
 * (running jobs counted for the global concurrency, the paused flag and waiting runners
 * read, due and expiring jobs looked up). Beside jobrail in-page at concurrency 8 in the
 * same run, it shows what jobrail's own code costs beyond the requests its layout needs,
 * and beside the one-store raw loop what the layout itself costs. With `workers`, each batch
 * is shared among that many plain Web Workers (one message each way per share, no
 * library), against jobrail's workers: what the trip to a worker costs on this machine.
 */
import { openQueue } from 'jobrail';
import { deleteDb, done, freshName, headTail, jobrailDb, now, request, seed, type Metrics } from './common.js';

type Rec = Record<string, unknown> & { id: string; seq: number; name: string; attempts: number; lease?: string };

const token = (): string => Math.random().toString(36).slice(2);

/** A plain worker that answers each share of a batch with one message (as jobrail's pool does). */
const echoWorker = (): Worker => new Worker(new URL('./echo.worker.ts', import.meta.url), { type: 'module', name: 'jobrail-bench-echo' });

function ask(worker: Worker, share: Rec[]): Promise<unknown> {
  return new Promise((resolve) => {
    worker.onmessage = (event) => resolve(event.data);
    worker.postMessage({ jobs: share.map((job) => ({ id: job.id, data: job.data })) });
  });
}

export async function loop({ jobs, batch, checks, workers = 0 }: { jobs: number; batch: number; checks: boolean; workers?: number }): Promise<Metrics> {
  const pool = Array.from({ length: workers }, echoWorker);
  const name = freshName('layout');
  const queue = await openQueue(name);
  await seed(queue, jobs, (i) => ({ name: 'noop', data: { i } }));
  await queue.close();
  const db = await request(indexedDB.open(jobrailDb(name)));
  try {
    const times: number[] = [];
    let running: Rec[] = [];
    let count = 0;
    const t0 = now();
    for (;;) {
      const tx = db.transaction(['active', 'delayed', 'jobs', 'meta'], 'readwrite', { durability: 'relaxed' });
      const active = tx.objectStore('active');
      const at = Date.now();
      for (const job of running) {
        const get = active.get(job.id);
        get.onsuccess = () => {
          const cur = get.result as Rec;
          if (cur.lease !== job.lease) throw new Error(`lease of ${job.id} lost`);
          const { kReady: _r, ...rest } = cur;
          active.delete(job.id);
          tx.objectStore('jobs').put({ ...rest, state: 'completed', result: undefined, finishedAt: at, updatedAt: at, lease: undefined, owner: undefined, leaseUntil: undefined, kState: ['completed', cur.seq], kStateName: ['completed', cur.name, cur.seq], kFinished: ['completed', at, cur.seq] });
        };
      }
      if (checks) {
        active.index('state').count(IDBKeyRange.bound(['processing'], ['processing', []]));
        const meta = tx.objectStore('meta');
        meta.get('paused');
        meta.get('waiting');
        tx.objectStore('delayed').index('due').getAll(IDBKeyRange.upperBound([at, []]), 256);
        active.index('expiry').openCursor();
        tx.objectStore('delayed').index('expiry').openCursor();
        active.index('ready').getAll(IDBKeyRange.bound([1], [1, []]), batch + 4);
      }
      const ready = active.index('ready').getAll(IDBKeyRange.bound([0], [0, []]), batch + 4);
      const claimed: Rec[] = [];
      ready.onsuccess = () => {
        for (const rec of (ready.result as Rec[]).slice(0, batch)) {
          const { kReady: _r, ...rest } = rec;
          const next: Rec = { ...rest, state: 'processing', attempts: rec.attempts + 1, lease: token(), owner: 'raw', leaseUntil: at + 30_000, updatedAt: at, kState: ['processing', rec.seq], kStateName: ['processing', rec.name, rec.seq] };
          active.put(next);
          claimed.push(next);
        }
      };
      await done(tx);
      const t = now();
      for (let i = 0; i < running.length; i += 1) times.push(t);
      count += running.length;
      if (claimed.length === 0) break;
      if (pool.length > 0) {
        // Each worker gets its share of the batch in one message; the batch settles once every share answered.
        const per = Math.ceil(claimed.length / pool.length);
        await Promise.all(pool.map((w, i) => ask(w, claimed.slice(i * per, (i + 1) * per))));
      } else {
        // The no-op handlers, as the raw loops run them.
        await Promise.all(claimed.map(async () => undefined));
      }
      running = claimed;
    }
    const ms = now() - t0;
    if (count !== jobs) throw new Error(`layout loop ran ${String(count)} of ${String(jobs)} jobs`);
    return { rate: (jobs / ms) * 1000, ms, ...headTail(t0, times) };
  } finally {
    for (const w of pool) w.terminate();
    db.close();
    await deleteDb(jobrailDb(name));
  }
}

/**
 * jobrail's `add` floor: the requests of one add on a database jobrail created, without the
 * library. `meta` reads the enqueue counter and writes it back beside the job, as `add` does
 * (one strict transaction over every store, as jobrail opens it); without it, the job's put
 * alone, into `active` with its three index entries. `bulk` puts every job in one transaction
 * (what `addBulk` needs), else one transaction per job (what an awaited `add` needs).
 */
export async function addFloor({ jobs, meta, bulk }: { jobs: number; meta: boolean; bulk: boolean }): Promise<Metrics> {
  const name = freshName('layout-add');
  const queue = await openQueue(name);
  await queue.add('noop', { i: 0, to: 'user0@example.com' });
  await queue.close();
  const db = await request(indexedDB.open(jobrailDb(name)));
  try {
    const scope = meta ? ['active', 'delayed', 'jobs', 'meta', 'payloads'] : ['active'];
    const template = (await request(db.transaction('active').objectStore('active').get('1'))) as Rec;
    let seq = 1;
    const record = (i: number): Rec => {
      seq += 1;
      const at = Date.now();
      return { ...template, id: String(seq), seq, uid: token(), createdAt: at, updatedAt: at, runAt: at, data: { i, to: `user${String(i)}@example.com` }, kState: ['pending', seq], kStateName: ['pending', 'noop', seq], kReady: [0, 0, seq] };
    };
    const write = async (count: number, first: number): Promise<void> => {
      const tx = db.transaction(scope, 'readwrite', { durability: 'strict' });
      // The counter's read goes out with the puts, as add issues it; its value is not needed here.
      if (meta) tx.objectStore('meta').get('seq');
      for (let i = 0; i < count; i += 1) tx.objectStore('active').put(record(first + i));
      if (meta) tx.objectStore('meta').put(seq, 'seq');
      await done(tx);
    };
    const t0 = now();
    if (bulk) await write(jobs, 1);
    else for (let i = 1; i <= jobs; i += 1) await write(1, i);
    const ms = now() - t0;
    return { rate: (jobs / ms) * 1000, ms, msPerJob: ms / jobs };
  } finally {
    db.close();
    await deleteDb(jobrailDb(name));
  }
}
