/**
 * e2e page for offline-first work, rate limits and schedules (issue 6), driven by
 * Playwright through `window.off`. Handlers do real fetches to the Vite server.
 */
import { openQueue, requestBackgroundSync, startWorkers, type Job, type JobOptions, type Queue, type Runner, type ScheduleInfo, type ScheduleSpec } from 'jobrail';

export type Jobs = {
  /** GET a page of the dev server; fails while the network is down. */
  fetch: { n: number };
  /** Waits for `release(n)` before it fetches: lets a test cut the network mid-attempt. */
  gated: { n: number };
  /** GETs /e2e/api/polite (vite.config.ts: 429 + Retry-After the first time per key) → ctx.retryLater. */
  polite: { key: string };
  /** Records when the limiter let it start. */
  limited: { n: number };
  /** A scheduled tick. */
  tick: null;
};

export interface LogEntry {
  name: string;
  id: string;
  attempt: number;
  kind: 'start' | 'ok' | 'error' | 'retry-later';
  /** Epoch ms (page clock). */
  t: number;
  /** The job's `updatedAt` when claimed: the time the limiter counted. */
  claimedAt: number;
  status?: number;
  error?: string;
}

export interface OffApi {
  queue?: Queue<Jobs>;
  runner?: Runner;
  log: LogEntry[];
  open(name: string): Promise<void>;
  start(options?: { concurrency?: number; limiter?: { max: number; duration: number } }): Promise<void>;
  stop(): Promise<void>;
  add(name: keyof Jobs, data: unknown, options?: JobOptions): Promise<Job>;
  get(id: string): Promise<Job | undefined>;
  list(name: keyof Jobs): Promise<Job[]>;
  counts(): Promise<Record<string, number>>;
  waitFor(id: string): Promise<unknown>;
  release(n: number): void;
  started(n: number): boolean;
  schedule(id: string, spec: ScheduleSpec, name: keyof Jobs): Promise<ScheduleInfo>;
  unschedule(id: string): Promise<boolean>;
  requestSync(): Promise<boolean>;
  registerServiceWorker(url: string): Promise<{ scope: string; active: boolean }>;
  syncTags(): Promise<string[]>;
  /** What the e2e service worker reported after each `sync` drain. */
  swReports: { tag: string; ok: boolean; result?: unknown; error?: string }[];
}

const gates = new Map<number, () => void>();
const gateWaits = new Map<number, Promise<void>>();
const startedGates = new Set<number>();
function gate(n: number): Promise<void> {
  let wait = gateWaits.get(n);
  if (!wait) {
    wait = new Promise<void>((resolve) => gates.set(n, resolve));
    gateWaits.set(n, wait);
  }
  return wait;
}

const now = () => performance.timeOrigin + performance.now();

const off: OffApi = {
  log: [],
  swReports: [],
  async open(name) {
    off.queue = await openQueue<Jobs>(name);
  },
  async start(options = {}) {
    const q = off.queue as Queue<Jobs>;
    const entry = (job: Job, attempt: number, kind: LogEntry['kind'], extra: Partial<LogEntry> = {}) =>
      off.log.push({ name: job.name, id: job.id, attempt, kind, t: now(), claimedAt: job.updatedAt, ...extra });
    const get = async (job: Job, attempt: number, url: string, signal: AbortSignal): Promise<Response> => {
      entry(job, attempt, 'start');
      try {
        return await fetch(url, { cache: 'no-store', signal });
      } catch (error) {
        entry(job, attempt, 'error', { error: `${(error as Error).name}: ${(error as Error).message}` });
        throw error;
      }
    };
    off.runner = startWorkers(q, {
      concurrency: options.concurrency ?? 2,
      ...(options.limiter ? { limiter: options.limiter } : {}),
      handlers: {
        fetch: async (data, ctx) => {
          const res = await get(ctx.job, ctx.attempt, `/e2e/pages/blank.html?job=${String(data.n)}`, ctx.signal);
          entry(ctx.job, ctx.attempt, 'ok', { status: res.status });
          return res.status;
        },
        gated: async (data, ctx) => {
          startedGates.add(data.n);
          await gate(data.n);
          const res = await get(ctx.job, ctx.attempt, `/e2e/pages/blank.html?gated=${String(data.n)}`, ctx.signal);
          entry(ctx.job, ctx.attempt, 'ok', { status: res.status });
          return res.status;
        },
        polite: async (data, ctx) => {
          const res = await get(ctx.job, ctx.attempt, `/e2e/api/polite?key=${encodeURIComponent(data.key)}`, ctx.signal);
          if (res.status === 429) {
            const ms = Number(res.headers.get('Retry-After') ?? '1') * 1000;
            entry(ctx.job, ctx.attempt, 'retry-later', { status: 429 });
            ctx.retryLater(ms);
          }
          entry(ctx.job, ctx.attempt, 'ok', { status: res.status });
          return res.status;
        },
        limited: (_data, ctx) => {
          entry(ctx.job, ctx.attempt, 'ok');
        },
        tick: (_data, ctx) => {
          entry(ctx.job, ctx.attempt, 'ok');
        },
      },
    });
    await off.runner.ready;
  },
  stop: async () => off.runner?.stop(),
  add: (name, data, options) => (off.queue as Queue<Jobs>).add(name, data as never, options),
  get: (id) => (off.queue as Queue<Jobs>).get(id),
  list: (name) => (off.queue as Queue<Jobs>).list({ name, limit: 1000 }),
  counts: () => (off.queue as Queue<Jobs>).counts(),
  waitFor: (id) => (off.queue as Queue<Jobs>).waitFor(id),
  release(n) {
    void gate(n);
    gates.get(n)?.();
  },
  started: (n) => startedGates.has(n),
  schedule: (id, spec, name) => (off.queue as Queue<Jobs>).schedule(id, spec, name, null as never),
  unschedule: (id) => (off.queue as Queue<Jobs>).unschedule(id),
  requestSync: () => requestBackgroundSync(off.queue as Queue<Jobs>),
  async registerServiceWorker(url) {
    const registration = await navigator.serviceWorker.register(url, { type: 'module', scope: '/e2e/pages/' });
    await navigator.serviceWorker.ready;
    return { scope: registration.scope, active: registration.active !== null };
  },
  async syncTags() {
    const registration = (await navigator.serviceWorker.getRegistration()) as (ServiceWorkerRegistration & { sync?: { getTags(): Promise<string[]> } }) | undefined;
    return (await registration?.sync?.getTags()) ?? [];
  },
};

(window as unknown as { off: OffApi }).off = off;
new BroadcastChannel('jobrail-e2e-sw').onmessage = (event: MessageEvent<OffApi['swReports'][number]>) => off.swReports.push(event.data);

const params = new URLSearchParams(location.search);
const status = document.getElementById('status') as HTMLElement;
async function boot(): Promise<void> {
  const name = params.get('queue');
  if (name) {
    await off.open(name);
    if (params.get('start') === '1') await off.start({ concurrency: Number(params.get('concurrency') ?? 2) });
  }
  status.textContent = 'ready';
}
boot().catch((error: unknown) => {
  status.textContent = `error: ${(error as Error).message}`;
});
