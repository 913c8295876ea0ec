/**
 * Scenario 7 — peers doing the same enqueue and take-out:
 * - workbox-background-sync's `Queue` in a real (module) service worker: `pushRequest` N
 *   requests one at a time, then `shiftRequest` until empty;
 * - a naive Dexie queue (compound index `[priority+seq]`): `add` N one at a time (strict),
 *   then claim → run → complete one job per transaction pair (relaxed).
 */
import Dexie, { type Table } from 'dexie';
import { deleteDb, freshName, now, type Metrics } from './common.js';
import { noop } from './raw.js';

// ---------- workbox-background-sync, in a service worker ----------

let registration: Promise<ServiceWorker> | undefined;

function serviceWorker(): Promise<ServiceWorker> {
  registration ??= (async () => {
    const url = new URL('./workbox.sw.ts', import.meta.url);
    // Scope = this directory (computed from location: Vite rewrites `new URL('./', import.meta.url)`).
    const scope = location.pathname.replace(/[^/]*$/, '');
    const reg = await navigator.serviceWorker.register(url, { type: 'module', scope });
    const ready = await navigator.serviceWorker.ready;
    const sw = ready.active ?? reg.active;
    if (!sw) throw new Error('the workbox service worker did not activate');
    return sw;
  })();
  return registration;
}

function ask(sw: ServiceWorker, message: unknown, timeoutMs = 300_000): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => reject(new Error('the workbox service worker did not answer')), timeoutMs);
    channel.port1.onmessage = (event: MessageEvent<{ ok: boolean; value?: Record<string, number>; error?: string }>) => {
      clearTimeout(timer);
      if (event.data.ok) resolve(event.data.value ?? {});
      else reject(new Error(`in the service worker: ${event.data.error ?? 'unknown error'}`));
    };
    sw.postMessage(message, [channel.port2]);
  });
}

export async function workbox({ jobs }: { jobs: number }): Promise<Metrics> {
  const sw = await serviceWorker();
  await ask(sw, { op: 'ping' });
  const { pushMs = NaN, shiftMs = NaN } = await ask(sw, { op: 'run', name: freshName('wb'), jobs });
  return {
    pushRate: (jobs / pushMs) * 1000,
    shiftRate: (jobs / shiftMs) * 1000,
    perJobRate: (jobs / (pushMs + shiftMs)) * 1000,
  };
}

// ---------- naive Dexie queue ----------

interface DexieJob {
  id?: number;
  name: string;
  data: unknown;
  state: 'pending' | 'processing' | 'completed';
  /** `-priority`, present only while waiting, so the compound index holds waiting jobs only. */
  priority?: number;
  seq: number;
  result?: unknown;
}

class DexieQueue extends Dexie {
  jobs!: Table<DexieJob, number>;
  private seq = 0;
  constructor(name: string, durability: 'strict' | 'relaxed') {
    super(name, { chromeTransactionDurability: durability });
    this.version(1).stores({ jobs: '++id, [priority+seq]' });
  }

  add(name: string, data: unknown, priority = 0): Promise<number> {
    this.seq += 1;
    return this.jobs.add({ name, data, state: 'pending', priority: -priority, seq: this.seq });
  }

  claim(): Promise<DexieJob | undefined> {
    return this.transaction('rw', this.jobs, async () => {
      const job = await this.jobs.orderBy('[priority+seq]').first();
      if (!job) return undefined;
      const claimed: DexieJob = { ...job, state: 'processing' };
      delete claimed.priority;
      await this.jobs.put(claimed);
      return claimed;
    });
  }

  async complete(job: DexieJob, result: unknown): Promise<void> {
    await this.jobs.put({ ...job, state: 'completed', result });
  }
}

export async function dexie({ jobs }: { jobs: number }): Promise<Metrics> {
  const name = freshName('dexie');
  // Enqueue strict (durable, like `add`), take out relaxed (like jobrail's transitions).
  const writer = new DexieQueue(name, 'strict');
  await writer.open();
  const t0 = now();
  for (let i = 0; i < jobs; i += 1) await writer.add('noop', { i });
  const t1 = now();
  writer.close();
  const worker = new DexieQueue(name, 'relaxed');
  await worker.open();
  let taken = 0;
  for (let job = await worker.claim(); job; job = await worker.claim()) {
    await worker.complete(job, await noop(job.data));
    taken += 1;
  }
  const t2 = now();
  worker.close();
  await deleteDb(name);
  if (taken !== jobs) throw new Error(`dexie took ${String(taken)} of ${String(jobs)} jobs`);
  return {
    addRate: (jobs / (t1 - t0)) * 1000,
    takeRate: (jobs / (t2 - t1)) * 1000,
    perJobRate: (jobs / (t2 - t0)) * 1000,
  };
}
