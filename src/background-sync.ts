/**
 * The page side of Background Sync: while offline, a queue with `requiresNetwork` jobs
 * waiting registers the sync tag `jobrail:<queue>`, so the service worker (see
 * `jobrail/sw`) can run them once the browser is back online, even with no tab open.
 * Where Background Sync or a service worker is missing, all of this does nothing: the jobs
 * wait in IndexedDB and run when a tab with a runner is open and online.
 */
import { prefix } from './store/engine.js';
import type { Engine } from './store/engine.js';
import type { Environment } from './environment.js';

/** The Background Sync tag of a queue: `jobrail:<queue name>`. */
export const syncTag = (queue: string): string => `jobrail:${queue}`;

interface SyncRegistrationLike {
  sync?: { register(tag: string): Promise<void> };
}

function containerOf(): { getRegistration(): Promise<SyncRegistrationLike | undefined> } | undefined {
  const nav = (globalThis as { navigator?: { serviceWorker?: { getRegistration?: unknown } } }).navigator;
  const sw = nav?.serviceWorker;
  if (!sw || typeof sw.getRegistration !== 'function') return undefined;
  return sw as { getRegistration(): Promise<SyncRegistrationLike | undefined> };
}

/**
 * Registers the queue's sync tag with this page's service worker registration. Resolves
 * true once registered; false where Background Sync, a service worker registration or the
 * permission is missing (nothing breaks then).
 */
async function registerSyncTag(queue: string): Promise<boolean> {
  const container = containerOf();
  if (!container) return false;
  try {
    const registration = await container.getRegistration();
    if (!registration?.sync || typeof registration.sync.register !== 'function') return false;
    await registration.sync.register(syncTag(queue));
    return true;
  } catch {
    // No active worker yet, permission denied, or an unsupported browser: not an error for the queue.
    return false;
  }
}

const lastAsked = new WeakMap<object, number>();

/** At most one look per queue object per this many ms while a runner keeps finding nothing to run offline. */
const THROTTLE_MS = 1000;

/**
 * Called by a runner that found nothing it may run while offline: if `requiresNetwork`
 * jobs are waiting, registers the sync tag. Cheap where service workers are missing.
 */
export async function syncIfNetworkJobsWait(q: { name: string; engine: Engine; env: Environment }): Promise<boolean> {
  if (!containerOf()) return false;
  const now = q.env.now();
  const last = lastAsked.get(q);
  if (last !== undefined && now - last < THROTTLE_MS) return false;
  lastAsked.set(q, now);
  try {
    const waiting = await q.engine.read((tx) => tx.first('ready', prefix(1)));
    if (!waiting) return false;
  } catch {
    return false;
  }
  return registerSyncTag(q.name);
}

/**
 * Asks the browser to wake the service worker (event `sync`, tag `jobrail:<queue>`) once it
 * is online, so `requiresNetwork` jobs run even if every tab is closed by then. Runners call
 * this by themselves while offline; call it after `add` in a page that runs no runner.
 * Resolves false where Background Sync or a service worker registration is missing; the
 * jobs then run the next time a tab with a runner is open and online.
 *
 * @example
 * await queue.add('upload', data, { requiresNetwork: true });
 * if (!navigator.onLine) await requestBackgroundSync(queue);
 */
export function requestBackgroundSync(queue: { readonly name: string } | string): Promise<boolean> {
  const name = typeof queue === 'string' ? queue : queue?.name;
  if (typeof name !== 'string' || name.length === 0) {
    return Promise.reject(new TypeError('Expected `queue` of requestBackgroundSync to be a queue from openQueue() or its name'));
  }
  return registerSyncTag(name);
}
