/**
 * Baselines written straight against IndexedDB, with no library: the floor jobrail is
 * measured against. One object store `jobs` (auto-increment key) with one sparse index
 * `ready` over `[-priority, seq]`: a waiting job carries `kReady`, a claimed one does not,
 * so claiming is "first entry of the index". Enqueue is `durability: 'strict'` (like
 * `add`); claim and complete are `'relaxed'` (like jobrail's transitions).
 */
import { deleteDb, done, request } from './common.js';

export interface RawJob {
  id?: number;
  name: string;
  data: unknown;
  state: 'pending' | 'processing' | 'completed';
  priority: number;
  seq: number;
  createdAt: number;
  kReady?: [number, number];
  result?: unknown;
}

export class RawQueue {
  private seq = 0;
  private constructor(readonly name: string, readonly db: IDBDatabase) {}

  static async open(name: string): Promise<RawQueue> {
    await deleteDb(name);
    const req = indexedDB.open(name, 1);
    req.onupgradeneeded = () => {
      const store = req.result.createObjectStore('jobs', { keyPath: 'id', autoIncrement: true });
      store.createIndex('ready', 'kReady', { unique: false });
    };
    return new RawQueue(name, await request(req));
  }

  record(data: unknown, name = 'noop'): RawJob {
    this.seq += 1;
    return { name, data, state: 'pending', priority: 0, seq: this.seq, createdAt: Date.now(), kReady: [0, this.seq] };
  }

  /** One strict transaction holding one put: what an awaited `add` has to do at least. */
  async putOne(data: unknown): Promise<void> {
    const tx = this.db.transaction('jobs', 'readwrite', { durability: 'strict' });
    tx.objectStore('jobs').put(this.record(data));
    await done(tx);
  }

  /** One strict transaction holding every put: what `addBulk` has to do at least. */
  async putMany(datas: unknown[], durability: IDBTransactionDurability = 'strict'): Promise<void> {
    const tx = this.db.transaction('jobs', 'readwrite', { durability });
    const store = tx.objectStore('jobs');
    for (const data of datas) store.put(this.record(data));
    await done(tx);
  }

  /** Claims up to `max` jobs in one relaxed transaction: walk the `ready` index, mark each processing. */
  async claim(max: number): Promise<RawJob[]> {
    const tx = this.db.transaction('jobs', 'readwrite', { durability: 'relaxed' });
    const out: RawJob[] = [];
    const cursorReq = tx.objectStore('jobs').index('ready').openCursor();
    cursorReq.onsuccess = () => {
      const cursor = cursorReq.result;
      if (!cursor) return;
      const job = cursor.value as RawJob;
      delete job.kReady;
      job.state = 'processing';
      cursor.update(job);
      out.push(job);
      if (out.length < max) cursor.continue();
    };
    await done(tx);
    return out;
  }

  /** Records completions in one relaxed transaction (one put each). */
  async complete(jobs: RawJob[]): Promise<void> {
    const tx = this.db.transaction('jobs', 'readwrite', { durability: 'relaxed' });
    const store = tx.objectStore('jobs');
    for (const job of jobs) store.put({ ...job, state: 'completed' });
    await done(tx);
  }

  async destroy(): Promise<void> {
    this.db.close();
    await deleteDb(this.name);
  }
}

/** A no-op "handler" for the raw loops: resolves on the microtask queue like an async handler. */
export const noop = async (_data: unknown): Promise<unknown> => undefined;

/** Claim one, run it, complete it; repeat until the index is empty. Returns jobs done. */
export async function rawLoop(queue: RawQueue, batch: number, times?: number[]): Promise<number> {
  let count = 0;
  for (;;) {
    const jobs = await queue.claim(batch);
    if (jobs.length === 0) return count;
    const results = await Promise.all(jobs.map((j) => noop(j.data)));
    jobs.forEach((j, i) => (j.result = results[i]));
    await queue.complete(jobs);
    count += jobs.length;
    if (times) {
      const t = performance.now();
      for (let i = 0; i < jobs.length; i += 1) times.push(t);
    }
  }
}
