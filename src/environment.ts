import { browserStorageManager, type StorageManagerLike } from './persistence.js';

/**
 * Everything jobrail takes from its surroundings, injected so tests can use fake clocks,
 * a fake network state and no Web Locks without patching globals.
 */
export interface Environment {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Uniform in [0, 1): used for jitter and lease tokens. */
  random(): number;
  /** Whether the network is reachable now. */
  isOnline(): boolean;
  /** Calls `listener` on every change of `isOnline()`; returns the unsubscribe. */
  onOnlineChange(listener: (online: boolean) => void): () => void;
  /** `navigator.locks`, or `undefined` where Web Locks are missing (time-based leases then). */
  locks: LockManager | undefined;
  /** Opens a cross-tab channel, or `undefined` where BroadcastChannel is missing. */
  channel(name: string): BroadcastChannel | undefined;
  /** `navigator.storage` (persistence and quota), or `undefined` where it is missing. */
  storage: StorageManagerLike | undefined;
  /**
   * Calls `listener(true)` when the page is frozen or enters the back/forward cache, and
   * `listener(false)` when it comes back; returns the unsubscribe.
   */
  onSuspend(listener: (suspended: boolean) => void): () => void;
  /** Whether the page is hidden now (a background tab: the browser throttles its timers). */
  isHidden(): boolean;
  /** Calls `listener` whenever the page is shown or hidden; returns the unsubscribe. */
  onVisibilityChange(listener: () => void): () => void;
}

const pageDocument = (): Document | undefined => (globalThis as { document?: Document }).document;

function browserVisibilityChange(listener: () => void): () => void {
  const doc = pageDocument();
  if (!doc) return () => {};
  doc.addEventListener('visibilitychange', listener);
  return () => doc.removeEventListener('visibilitychange', listener);
}

/**
 * `pagehide`/`pageshow` with `persisted` (the back/forward cache) and `freeze`/`resume`
 * (Chromium's page lifecycle). WebKit keeps a page holding Web Locks in the back/forward
 * cache, drops the page's own locks and keeps its workers' (see README, Browser support).
 */
function browserSuspend(listener: (suspended: boolean) => void): () => void {
  const doc = (globalThis as { document?: Document }).document;
  if (typeof globalThis.addEventListener !== 'function' || !doc) return () => {};
  const hide = (e: Event) => {
    if ((e as PageTransitionEvent).persisted) listener(true);
  };
  const show = (e: Event) => {
    if ((e as PageTransitionEvent).persisted) listener(false);
  };
  const freeze = () => listener(true);
  const resume = () => listener(false);
  globalThis.addEventListener('pagehide', hide);
  globalThis.addEventListener('pageshow', show);
  doc.addEventListener('freeze', freeze);
  doc.addEventListener('resume', resume);
  return () => {
    globalThis.removeEventListener('pagehide', hide);
    globalThis.removeEventListener('pageshow', show);
    doc.removeEventListener('freeze', freeze);
    doc.removeEventListener('resume', resume);
  };
}

function browserOnlineChange(listener: (online: boolean) => void): () => void {
  if (typeof globalThis.addEventListener !== 'function') return () => {};
  const on = () => listener(true);
  const off = () => listener(false);
  globalThis.addEventListener('online', on);
  globalThis.addEventListener('offline', off);
  return () => {
    globalThis.removeEventListener('online', on);
    globalThis.removeEventListener('offline', off);
  };
}

function defaultEnvironment(): Environment {
  const nav = (globalThis as { navigator?: Navigator }).navigator;
  return {
    now: () => Date.now(),
    setTimeout: (fn, ms) => globalThis.setTimeout(fn, Math.min(ms, 2_147_483_647)),
    clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
    random: () => Math.random(),
    isOnline: () => (nav && typeof nav.onLine === 'boolean' ? nav.onLine : true),
    onOnlineChange: browserOnlineChange,
    locks: nav && 'locks' in nav && nav.locks ? nav.locks : undefined,
    channel: (name) => (typeof BroadcastChannel === 'function' ? new BroadcastChannel(name) : undefined),
    storage: browserStorageManager(),
    onSuspend: browserSuspend,
    isHidden: () => pageDocument()?.visibilityState === 'hidden',
    onVisibilityChange: browserVisibilityChange,
  };
}

export function resolveEnvironment(partial: Partial<Environment> | undefined): Environment {
  return { ...defaultEnvironment(), ...partial };
}

/** A random token for leases and runner ids. */
export function randomToken(env: Environment): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return Math.floor(env.random() * 2 ** 52).toString(36) + Math.floor(env.random() * 2 ** 52).toString(36);
}

export { nextTask } from './next-task.js';

let unloading: boolean | undefined;

/**
 * Whether this page is being unloaded for good (`pagehide` not into the back/forward cache).
 * A worker that fails to load then is the browser tearing the page down, not a broken script:
 * Firefox reports it as a bare `error` event, as it does for a worker URL that answers 404. The
 * first call starts listening (before any worker is created, so before any such failure).
 */
export function pageUnloading(): boolean {
  if (unloading === undefined) {
    unloading = false;
    if (typeof globalThis.addEventListener === 'function' && (globalThis as { document?: unknown }).document) {
      globalThis.addEventListener('pagehide', (e) => {
        if (!(e as PageTransitionEvent).persisted) unloading = true;
      });
    }
  }
  return unloading;
}
