/**
 * Whether the browser may evict the queue's storage, and how much of its quota it uses.
 * Everything here asks `navigator.storage` (the StorageManager, injected through the
 * environment); where it or one of its calls is missing (WebKit's automation sessions,
 * older Safari, non-browser runtimes) the answer is "unknown", never an exception.
 */

/** The part of `navigator.storage` jobrail uses; each call may be missing. */
export interface StorageManagerLike {
  persist?(): Promise<boolean>;
  persisted?(): Promise<boolean>;
  estimate?(): Promise<{ usage?: number; quota?: number }>;
}

/** How long the browser keeps the queue's jobs, as far as it tells. */
export interface StorageStatus {
  /**
   * `true`: the browser will not evict this origin's storage on its own (only the user can
   * clear it). `false`: it is best-effort storage, which the browser may evict under storage
   * pressure or, in Safari, after seven days without a visit (see the README's "Storage that
   * lasts"). `'unknown'`: the browser does not say (no `navigator.storage.persisted`, e.g.
   * WebKit automation and some private modes). A `storage: 'memory'` queue is always `false`.
   */
  persisted: boolean | 'unknown';
  /**
   * Bytes this origin stores (every queue and everything else on the origin, not only this
   * queue), from `navigator.storage.estimate()`; `undefined` where the browser does not tell.
   * Browsers round or pad it on purpose.
   */
  usage: number | undefined;
  /** Bytes this origin may store, from `navigator.storage.estimate()`; `undefined` where the browser does not tell. */
  quota: number | undefined;
}

/** `navigator.storage`, or undefined where it is missing. */
export function browserStorageManager(): StorageManagerLike | undefined {
  const nav = (globalThis as { navigator?: { storage?: StorageManagerLike } }).navigator;
  return nav?.storage ?? undefined;
}

const has = <K extends keyof StorageManagerLike>(sm: StorageManagerLike | undefined, key: K): sm is StorageManagerLike & Required<Pick<StorageManagerLike, K>> =>
  typeof sm?.[key] === 'function';

/** A call that may reject (e.g. a SecurityError in an opaque origin) counts as not telling. */
async function ask<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch {
    return undefined;
  }
}

/** Reads the status; never throws. `durable` false (a memory queue) is never persisted. */
export async function readStorageStatus(sm: StorageManagerLike | undefined, durable: boolean): Promise<StorageStatus> {
  const [persisted, estimate] = await Promise.all([
    durable && has(sm, 'persisted') ? ask(() => sm.persisted()) : undefined,
    has(sm, 'estimate') ? ask(() => sm.estimate()) : undefined,
  ]);
  return {
    persisted: !durable ? false : typeof persisted === 'boolean' ? persisted : 'unknown',
    usage: typeof estimate?.usage === 'number' ? estimate.usage : undefined,
    quota: typeof estimate?.quota === 'number' ? estimate.quota : undefined,
  };
}

/**
 * Asks the browser to keep the origin's storage (`navigator.storage.persist()`), then reads
 * the status. Chromium decides without asking the user (granted to sites the user engages
 * with, installed or bookmarked); Firefox shows a permission prompt; where `persist` is
 * missing nothing is asked. A refusal is not an error: `persisted` is then `false`.
 */
export async function requestPersistence(sm: StorageManagerLike | undefined, durable: boolean): Promise<StorageStatus> {
  if (!durable) return readStorageStatus(sm, durable);
  const granted = has(sm, 'persist') ? await ask(() => sm.persist()) : undefined;
  const status = await readStorageStatus(sm, durable);
  // Where `persisted()` is missing but `persist()` answered, its answer is the status.
  if (status.persisted === 'unknown' && typeof granted === 'boolean') return { ...status, persisted: granted };
  return status;
}
