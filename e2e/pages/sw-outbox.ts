/**
 * e2e service worker: drains the queue named in its URL (`?queue=…`) on Background Sync,
 * with a handler that does a real fetch. Outcomes land in the queue's IndexedDB; each
 * drain's result is also posted on the BroadcastChannel `jobrail-e2e-sw` for the test.
 */
import { handleSync, type DrainOptions, type SyncEventLike } from 'jobrail/sw';

interface SwScope {
  location: Location;
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void> };
  addEventListener(type: 'install' | 'activate', listener: (event: { waitUntil(p: Promise<unknown>): void }) => void): void;
  addEventListener(type: 'sync', listener: (event: SyncEventLike) => void): void;
}
const sw = globalThis as unknown as SwScope;

const queue = new URLSearchParams(sw.location.search).get('queue') ?? 'sw-outbox';
const options: DrainOptions<{ fetch: { n: number } }> = {
  queue,
  concurrency: 2,
  handlers: {
    fetch: async (data, ctx) => {
      const res = await fetch(`/e2e/pages/blank.html?sw=${String(data.n)}`, { cache: 'no-store', signal: ctx.signal });
      return { status: res.status, where: 'service-worker' };
    },
  },
};

const reports = new BroadcastChannel('jobrail-e2e-sw');
sw.addEventListener('sync', (event) => {
  handleSync(
    {
      tag: event.tag,
      lastChance: event.lastChance === true,
      waitUntil(promise) {
        event.waitUntil(promise);
        promise.then(
          (result) => reports.postMessage({ tag: event.tag, ok: true, result }),
          (error: unknown) => reports.postMessage({ tag: event.tag, ok: false, error: (error as Error).message }),
        );
      },
    },
    options,
  );
});

sw.addEventListener('install', (event) => event.waitUntil(sw.skipWaiting()));
sw.addEventListener('activate', (event) => event.waitUntil(sw.clients.claim()));
