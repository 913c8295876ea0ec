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
}

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
};

(window as unknown as { st: StorageApi }).st = st;
document.querySelector('#status')!.textContent = 'ready';
