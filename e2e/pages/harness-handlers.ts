/**
 * Handlers shared by the e2e harness page and its worker. Each execution writes what it did
 * into a separate IndexedDB database (`jobrail-e2e-log`), so tests judge the queue by the
 * handlers' own record, not by the queue's.
 */
import { PermanentError, type Handlers } from 'jobrail/worker';

export interface WorkData {
  /** How long the handler works, in ms. */
  ms?: number;
  /** On this attempt the worker dies: 'close' calls self.close(), 'throw' throws from a timer. */
  crashOnAttempt?: number;
  crashMode?: 'close' | 'throw';
  /** Crash on every attempt (a poison job). */
  crashAlways?: boolean;
  /** Ignore the abort signal and never return (busy-wait in a worker). */
  hang?: boolean;
  /** Hang like `hang`, but only on this attempt (give the job a `timeout`). */
  hangOnAttempt?: number;
  /**
   * How `hang`/`hangOnAttempt` hang: 'busy' (default) blocks the thread, ignoring the signal;
   * 'async' awaits forever, ignoring the signal; 'signal' waits 60 s but gives up when the
   * signal aborts (a slow handler that honours its timeout).
   */
  hangMode?: 'busy' | 'async' | 'signal';
  /** Fail attempts up to this number (then succeed). */
  failUntil?: number;
  permanent?: boolean;
  /** Fail each attempt with this probability (0…1). */
  failRate?: number;
  /** A version number, logged with each start (replace tests). */
  v?: number;
}

export type LogKind = 'start' | 'end' | 'fail' | 'abort' | 'overlap' | 'after-complete';
export interface LogEntry {
  job: string;
  queue: string;
  attempt: number;
  kind: LogKind;
  t: number;
  where: string;
  /** The tab that ran it: workers are named after their tab. */
  tab: string;
  /** Which JavaScript realm ran it (one id per worker, or per page load). */
  realm?: string;
  /** The job data's `v`. */
  v?: number;
}

/** Identifies this tab (page side); workers get it as their name. */
export const tabId = Math.random().toString(36).slice(2, 8);
/** Identifies this realm: each worker of a pool (and each page load) gets its own. */
const realmId = Math.random().toString(36).slice(2, 8);

let logDb: Promise<IDBDatabase> | undefined;
function openLog(): Promise<IDBDatabase> {
  logDb ??= new Promise((resolve, reject) => {
    const req = indexedDB.open('jobrail-e2e-log', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('events', { autoIncrement: true });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return logDb;
}

export async function log(entry: Omit<LogEntry, 't' | 'where' | 'tab' | 'realm'>): Promise<void> {
  const db = await openLog();
  const where = typeof document === 'undefined' ? 'worker' : 'page';
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction('events', 'readwrite', { durability: 'strict' });
    const tab = typeof document === 'undefined' ? (globalThis as { name?: string }).name ?? '' : tabId;
    tx.objectStore('events').add({ ...entry, t: performance.timeOrigin + performance.now(), where, tab, realm: realmId });
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
}

export async function readLog(): Promise<LogEntry[]> {
  const db = await openLog();
  return new Promise((resolve, reject) => {
    const req = db.transaction('events').objectStore('events').getAll();
    req.onsuccess = () => resolve(req.result as LogEntry[]);
    req.onerror = () => reject(req.error);
  });
}

/** Reads the job's state straight from jobrail's database: a run after `completed` is a violation. */
function storedState(queue: string, id: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = indexedDB.open(`jobrail:${queue}`);
    req.onsuccess = () => {
      const db = req.result;
      // Schema version 3 keeps a job in one of three stores, by tier.
      const stores = ['active', 'delayed', 'jobs'].filter((s) => db.objectStoreNames.contains(s));
      const tx = db.transaction(stores);
      const found: (string | undefined)[] = [];
      for (const name of stores) {
        const get = tx.objectStore(name).get(id);
        get.onsuccess = () => found.push((get.result as { state?: string } | undefined)?.state);
      }
      tx.oncomplete = () => {
        resolve(found.find((state) => state !== undefined));
        db.close();
      };
      tx.onerror = tx.onabort = () => {
        resolve(undefined);
        db.close();
      };
    };
    req.onerror = () => resolve(undefined);
  });
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });

export const handlers: Handlers<{ work: WorkData }> = {
  async work(data, ctx) {
    const { id, queue } = ctx.job;
    const base = { job: id, queue, attempt: ctx.attempt, ...(data.v === undefined ? {} : { v: data.v }) };
    // Holding a lock named after the job proves no two executions overlap: a second one
    // finds it taken. The browser frees it when the holder dies.
    const locks = navigator.locks;
    return locks.request(`e2e-exec:${queue}:${id}`, { ifAvailable: true }, async (lock) => {
      if (!lock) {
        await log({ ...base, kind: 'overlap' });
        throw new Error('overlap');
      }
      if ((await storedState(queue, id)) === 'completed') await log({ ...base, kind: 'after-complete' });
      await log({ ...base, kind: 'start' });
      ctx.signal.addEventListener('abort', () => void log({ ...base, kind: 'abort' }), { once: true });
      if (data.crashAlways || data.crashOnAttempt === ctx.attempt) {
        if (data.crashMode === 'throw') {
          setTimeout(() => {
            throw new Error('worker crash from a timer');
          });
          await new Promise(() => {});
        }
        (globalThis as unknown as { close(): void }).close();
        await new Promise(() => {});
      }
      if (data.hang || data.hangOnAttempt === ctx.attempt) {
        if (data.hangMode === 'async') await new Promise(() => {});
        if (data.hangMode === 'signal') await sleep(60_000, ctx.signal);
        const until = Date.now() + 60_000;
        while (Date.now() < until) {
          // busy: ignores the signal
        }
      }
      await sleep(data.ms ?? 0, ctx.signal);
      if (data.permanent) throw new PermanentError('permanent failure');
      if ((data.failUntil !== undefined && ctx.attempt <= data.failUntil) || (data.failRate !== undefined && Math.random() < data.failRate)) {
        await log({ ...base, kind: 'fail' });
        throw new Error(`failing attempt ${String(ctx.attempt)}`);
      }
      await log({ ...base, kind: 'end' });
      // The results of `dependsOn` jobs, passed on (the dependency-chain e2e reads them back).
      return Object.keys(ctx.dependencies).length > 0 ? { ok: true, attempt: ctx.attempt, dependencies: ctx.dependencies } : { ok: true, attempt: ctx.attempt };
    });
  },
};
