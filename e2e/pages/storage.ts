/**
 * e2e page for storage in every engine (issue 12): Blob and File data where IndexedDB refuses
 * Blobs (WebKit's private mode), lost connections, and persistence. Driven through
 * `window.st` by Playwright or a WebDriver session; every result is plain JSON.
 */
import { openQueue, startWorkers, type Queue, type StorageStatus } from 'jobrail';
import { describeBlobs, type SeenBlob } from './storage-describe.js';

export interface BlobCase {
  /** What the handler saw (page or worker), by path in the data. */
  handler: Record<string, SeenBlob | string>;
  /** What `queue.get(id)` returns after the job completed. */
  stored: Record<string, SeenBlob | string>;
  /** The handler's result, a Blob made by the handler, read back from the completed job. */
  result: Record<string, SeenBlob | string>;
  state: string;
}

export interface StorageApi {
  /** Whether this browser's IndexedDB stores a Blob here (false in WebKit's private mode). */
  nativeBlobs(): Promise<boolean | string>;
  status(name: string): Promise<StorageStatus>;
  persist(name: string): Promise<StorageStatus>;
  /** Adds one job of Blob/File data and runs it in the page or in a worker. */
  blobs(name: string, where: 'page' | 'worker'): Promise<BlobCase>;
  /**
   * Starts adds one after the other (job `i` holds `{ i }`) on a queue watched by a raw
   * connection of its own, whose `close` event tells that the browser dropped the connections;
   * they go on until 20 more have settled after that (at most `max` in all).
   */
  startAdds(name: string, max: number): Promise<void>;
  /** How many of those adds have settled so far. */
  addsSettled(): number;
  /** Once every add settled: their outcomes, how many had settled when the watcher was closed, and the stored jobs' `i`. */
  addsResult(): Promise<{ settled: number; resolved: number; rejected: string[]; settledAtClose: number | undefined; stored: number[] }>;
  /** Runs every stored job in the page; returns the `i` of each handler call. */
  runAll(name: string, n: number): Promise<number[]>;
}

let adds: { settled: number; resolved: number; rejected: string[]; settledAtClose: number | undefined; done: Promise<void>; queue: Queue } | undefined;

/** The data every blob case stores: a File, a typed Blob, an empty Blob, nested beside other binary data. */
export function blobData(): unknown {
  return {
    file: new File(['hello file'], 'note.txt', { type: 'text/plain', lastModified: 1_700_000_000_000 }),
    nested: { list: [new Blob([new Uint8Array([0, 1, 2, 255])], { type: 'application/octet-stream' }), new Blob([])] },
    map: new Map([['k', new Blob(['in a map'], { type: 'text/x-map' })]]),
    buf: new Uint8Array([9, 8, 7]).buffer,
    when: new Date(1_234_567),
    plain: 'text',
  };
}

const opened = new Map<string, Queue>();
async function queue(name: string): Promise<Queue> {
  let q = opened.get(name);
  if (!q) {
    q = await openQueue(name, { storage: 'indexeddb' });
    opened.set(name, q);
  }
  return q;
}

const st: StorageApi = {
  async nativeBlobs() {
    const name = `blob-probe-${String(Math.random())}`;
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open(name, 1);
      r.onupgradeneeded = () => r.result.createObjectStore('s');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    try {
      return await new Promise<boolean | string>((resolve) => {
        const tx = db.transaction('s', 'readwrite');
        tx.objectStore('s').put(new Blob(['x']), 'k');
        tx.oncomplete = () => resolve(true);
        tx.onabort = () => resolve(`${tx.error?.name ?? ''}: ${tx.error?.message ?? ''}`);
      });
    } finally {
      db.close();
      indexedDB.deleteDatabase(name);
    }
  },
  async status(name) {
    return (await queue(name)).storageStatus();
  },
  async persist(name) {
    return (await queue(name)).persist();
  },
  async blobs(name, where) {
    const q = await queue(name);
    let handler: Record<string, SeenBlob | string> = {};
    const runner =
      where === 'page'
        ? startWorkers(q, {
            handlers: {
              inspect: async (data: unknown) => {
                handler = await describeBlobs(data);
                return new File(['made by the handler'], 'out.bin', { type: 'application/x-out', lastModified: 42 });
              },
            },
          })
        : startWorkers(q, { worker: () => new Worker(new URL('./storage-blob.worker.ts', import.meta.url), { type: 'module' }) });
    try {
      const job = await q.add('inspect', blobData());
      const result = await q.waitFor(job.id);
      if (where === 'worker') handler = result as Record<string, SeenBlob | string>;
      const after = await q.get(job.id);
      return { handler, stored: await describeBlobs(after?.data), result: await describeBlobs(after?.result), state: after?.state ?? 'missing' };
    } finally {
      await runner.stop();
    }
  },
  async startAdds(name, max) {
    const q = await queue(name);
    const watcher = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open(`jobrail:${name}`);
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const state = { settled: 0, resolved: 0, rejected: [] as string[], settledAtClose: undefined as number | undefined, done: Promise.resolve(), queue: q };
    watcher.onclose = () => {
      state.settledAtClose = state.settled;
    };
    state.done = (async () => {
      for (let i = 0; i < max && (state.settledAtClose === undefined || state.settled < state.settledAtClose + 20); i++) {
        try {
          await q.add('count', { i });
          state.resolved += 1;
        } catch (error) {
          state.rejected.push(`${String(error)} (cause: ${String((error as Error).cause)})`);
        }
        state.settled += 1;
      }
    })();
    adds = state;
  },
  addsSettled() {
    return adds?.settled ?? 0;
  },
  async addsResult() {
    if (!adds) throw new Error('startAdds() first');
    await adds.done;
    const jobs = await adds.queue.list({ limit: 10_000 });
    const stored = jobs.map((j) => (j.data as { i: number }).i).sort((a, b) => a - b);
    return { settled: adds.settled, resolved: adds.resolved, rejected: adds.rejected, settledAtClose: adds.settledAtClose, stored };
  },
  async runAll(name, n) {
    const q = await queue(name);
    const seen: number[] = [];
    const runner = startWorkers(q, {
      handlers: {
        count: (data: unknown) => {
          seen.push((data as { i: number }).i);
        },
      },
    });
    try {
      const ids = (await q.list({ limit: 10_000 })).map((j) => j.id);
      if (ids.length !== n) throw new Error(`${String(ids.length)} jobs stored, ${String(n)} expected`);
      await Promise.all(ids.map((id) => q.waitFor(id)));
    } finally {
      await runner.stop();
    }
    return seen.sort((a, b) => a - b);
  },
};

(window as unknown as { st: StorageApi }).st = st;
document.querySelector('#status')!.textContent = 'ready';
