/**
 * Service worker for the workbox-background-sync peer: the Queue runs where it is meant to
 * run (a service worker), and times its own `pushRequest` / `shiftRequest` calls. The page
 * sends `{ op: 'run', name, jobs }` with a MessagePort and gets the timings back on it.
 */
import { Queue } from 'workbox-background-sync';

interface RunMessage {
  op: 'run';
  name: string;
  jobs: number;
}
interface ExtendableMessageEventLike {
  data: RunMessage | { op: 'ping' };
  ports: readonly MessagePort[];
  waitUntil(p: Promise<unknown>): void;
}
interface SwScope {
  addEventListener(type: 'message', fn: (event: ExtendableMessageEventLike) => void): void;
  addEventListener(type: 'install' | 'activate', fn: (event: { waitUntil(p: Promise<unknown>): void }) => void): void;
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void> };
  __WB_DISABLE_DEV_LOGS?: boolean;
}
declare const self: SwScope;

self.__WB_DISABLE_DEV_LOGS = true;
self.addEventListener('install', (event) => event.waitUntil(self.skipWaiting()));
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

async function run({ name, jobs }: RunMessage): Promise<Record<string, number>> {
  // A no-op onSync: a `sync` event fired by the browser must not take entries out under us.
  const queue = new Queue(name, { onSync: async () => {} });
  const t0 = performance.now();
  for (let i = 0; i < jobs; i += 1) {
    await queue.pushRequest({
      request: new Request('/bench/api/job', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ i }) }),
      metadata: { i },
    });
  }
  const t1 = performance.now();
  let taken = 0;
  while (await queue.shiftRequest()) taken += 1;
  const t2 = performance.now();
  if (taken !== jobs) throw new Error(`workbox shifted ${String(taken)} of ${String(jobs)} requests`);
  return { pushMs: t1 - t0, shiftMs: t2 - t1 };
}

self.addEventListener('message', (event) => {
  const port = event.ports[0];
  const msg = event.data;
  if (!port) return;
  if (msg.op === 'ping') {
    port.postMessage({ ok: true, value: {} });
    return;
  }
  event.waitUntil(
    run(msg).then(
      (value) => port.postMessage({ ok: true, value }),
      (error: unknown) => port.postMessage({ ok: false, error: String((error as Error)?.stack ?? error) }),
    ),
  );
});
