/** Helpers shared by the in-page benchmark scenarios. */
import type { Queue } from 'jobrail';

/** A metric set returned by one run of one case: name → number. */
export type Metrics = Record<string, number>;

export const now = (): number => performance.now();

/** Free-text findings of a case (e.g. diagnostics); the driver prints and stores them. */
export const notes: string[] = [];

/** Absolute high-resolution time, comparable between the page and its workers. */
export const stamp = (): number => performance.timeOrigin + performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let counter = 0;
/** A queue / database name nobody used before in this browser profile. */
export function freshName(prefix: string): string {
  counter += 1;
  return `bench-${prefix}-${Date.now().toString(36)}-${String(counter)}`;
}

/** Deletes a database; resolves even when blocked (a connection not yet closed), after it goes through. */
export function deleteDb(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error ?? new Error(`deleteDatabase(${name}) failed`));
  });
}

export const jobrailDb = (queue: string): string => `jobrail:${queue}`;

/** Resolves when a transaction commits. */
export function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
  });
}

export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('request failed'));
  });
}

/** Percentile (0..100) of unsorted samples, nearest-rank. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Adds `count` jobs through the public `addBulk`, `chunk` at a time (one strict transaction each). */
export async function seed(
  queue: Queue,
  count: number,
  make: (i: number) => { name: string; data: unknown; options?: Record<string, unknown> },
  chunk = 1000,
): Promise<void> {
  for (let start = 0; start < count; start += chunk) {
    const items = [];
    for (let i = start; i < Math.min(count, start + chunk); i += 1) items.push(make(i));
    await queue.addBulk(items as never);
  }
}

/**
 * Resolves after `n` events named `event` on `queue` with the time of the last; `first()`
 * is the time of the first, `times` every event's time (for head and tail rates).
 */
export function countEvents(queue: Queue, event: 'completed' | 'active', n: number): { first: () => number; times: number[]; all: Promise<number> } {
  const times: number[] = [];
  let unsubscribe = () => {};
  const all = new Promise<number>((resolve) => {
    unsubscribe = queue.on(event, () => {
      times.push(now());
      if (times.length === n) {
        unsubscribe();
        resolve(now());
      }
    });
  });
  return { first: () => times[0] ?? NaN, times, all };
}

/**
 * Jobs per second over the first and the last tenth of a run, from the start time and each
 * completion time: shows whether the per-job cost grows as finished jobs pile up.
 */
export function headTail(t0: number, times: number[]): { headRate: number; tailRate: number } {
  const n = times.length;
  const k = Math.max(1, Math.floor(n / 10));
  const head = (times[k - 1] as number) - t0;
  const tail = (times[n - 1] as number) - (times[n - 1 - k] as number);
  return { headRate: (k / head) * 1000, tailRate: (k / tail) * 1000 };
}

type WithGc = typeof globalThis & { gc?: () => void };
type WithMemory = Performance & { memory?: { usedJSHeapSize: number } };

/** Collects garbage (Chromium started with --js-flags=--expose-gc) and reads the JS heap in bytes. */
export async function heapAfterGc(): Promise<number> {
  const g = globalThis as WithGc;
  if (typeof g.gc !== 'function') throw new Error('gc() is not exposed: start Chromium with --js-flags=--expose-gc');
  // Let pending promise jobs and timers settle, then collect several times (weak refs, finalizers).
  for (let i = 0; i < 4; i += 1) {
    await sleep(50);
    g.gc();
  }
  const mem = (performance as WithMemory).memory;
  if (!mem) throw new Error('performance.memory is missing: start Chromium with --enable-precise-memory-info');
  return mem.usedJSHeapSize;
}

/** A module Web Worker serving the no-op handlers (bench/pages/noop.worker.ts). */
export const noopWorker = (): Worker => new Worker(new URL('./noop.worker.ts', import.meta.url), { type: 'module', name: 'jobrail-bench-noop' });

/**
 * Counts IndexedDB transactions the page opens from now until `stop()` (a wrapper around
 * `IDBDatabase.prototype.transaction`, nothing else patched: it costs a counter per
 * transaction). Worker handlers open none, so this is every transaction of the run.
 */
export function countTransactions(): { stop(): number } {
  const proto = IDBDatabase.prototype as unknown as { transaction: (...a: unknown[]) => unknown };
  const orig = proto.transaction;
  let n = 0;
  proto.transaction = function (this: IDBDatabase, ...args: unknown[]) {
    n += 1;
    return orig.apply(this, args);
  };
  return {
    stop() {
      proto.transaction = orig;
      return n;
    },
  };
}
