/**
 * The e2e harness: a page that opens a queue and runs it, driven by Playwright through
 * `window.h`. Query parameters start it without a round trip, so a reload resumes by itself:
 * `?queue=q&mode=worker&workers=2&concurrency=4&start=1` (also `leaseMs`, `maxCrashes`,
 * `gracePeriod` and `nolocks=1`).
 */
import { openQueue, startWorkers, type Job, type Queue, type Runner, type RunnerOptions } from 'jobrail';
import { handlers, readLog, tabId, type LogEntry, type WorkData } from './harness-handlers.js';

type Jobs = { work: WorkData };

/** What the harness page exposes as `window.h`; e2e/global.d.ts types it for the specs. */
export interface Harness {
  queue?: Queue<Jobs>;
  runner?: Runner;
  events: { event: string; id: string; state: string; t: number }[];
  open(name: string, options?: { noLocks?: boolean }): Promise<void>;
  start(options?: { mode?: 'page' | 'worker' | 'bad-worker'; workers?: number; concurrency?: number; maxCrashes?: number; leaseMs?: number; gracePeriod?: number }): Promise<void>;
  stop(): Promise<void>;
  add(data: WorkData, options?: Record<string, unknown>): Promise<Job>;
  addMany(n: number, data: WorkData, options?: Record<string, unknown>): Promise<string[]>;
  /** Adds jobs each with its own data and options, in one transaction; resolves to their ids in order. */
  addJobs(specs: { data: WorkData; options?: Record<string, unknown> }[]): Promise<string[]>;
  /** `queue.list(filter)`. */
  list(filter?: { state?: string; limit?: number; offset?: number }): Promise<Job[]>;
  /** Attempts the runner of this tab has in flight (0 without a runner). */
  inFlight(): number;
  counts(): Promise<Record<string, number>>;
  get(id: string): Promise<Job | undefined>;
  remove(id: string): Promise<boolean>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  waitFor(id: string): Promise<unknown>;
  log(): Promise<LogEntry[]>;
  startError?: string;
}

const h: Harness = {
  events: [],
  async open(name, options = {}) {
    h.queue = await openQueue<Jobs>(name, options.noLocks ? { environment: { locks: undefined } } : undefined);
    for (const event of ['added', 'active', 'completed', 'retrying', 'failed', 'removed'] as const) {
      h.queue.on(event, (job) => h.events.push({ event, id: job.id, state: job.state, t: performance.timeOrigin + performance.now() }));
    }
    h.queue.on('drained', () => h.events.push({ event: 'drained', id: '', state: '', t: performance.timeOrigin + performance.now() }));
  },
  async start(options = {}) {
    const q = h.queue as Queue<Jobs>;
    const common: RunnerOptions<Jobs> = {
      concurrency: options.concurrency ?? 2,
      maxCrashes: options.maxCrashes ?? 2,
      gracePeriod: options.gracePeriod ?? 300,
    };
    if (options.leaseMs !== undefined) common.leaseMs = options.leaseMs;
    const mode = options.mode ?? 'worker';
    if (mode === 'page') h.runner = startWorkers(q, { ...common, handlers });
    else {
      const url = mode === 'bad-worker' ? new URL('./not-a-jobrail.worker.ts', import.meta.url) : new URL('./harness.worker.ts', import.meta.url);
      h.runner = startWorkers(q, { ...common, workers: options.workers ?? 1, worker: () => new Worker(url, { type: 'module', name: tabId }) });
    }
    try {
      await h.runner.ready;
    } catch (error) {
      h.startError = (error as Error).message;
      throw error;
    }
  },
  stop: async () => h.runner?.stop(),
  add: (data, options) => (h.queue as Queue<Jobs>).add('work', data, options),
  async addMany(n, data, options) {
    const jobs = await (h.queue as Queue<Jobs>).addBulk(Array.from({ length: n }, () => ({ name: 'work' as const, data, options: options ?? {} })));
    return jobs.map((j) => j.id);
  },
  async addJobs(specs) {
    const jobs = await (h.queue as Queue<Jobs>).addBulk(specs.map((s) => ({ name: 'work' as const, data: s.data, options: s.options ?? {} })));
    return jobs.map((j) => j.id);
  },
  list: (filter) => (h.queue as Queue<Jobs>).list(filter as Parameters<Queue<Jobs>['list']>[0]),
  inFlight: () => h.runner?.inFlight ?? 0,
  counts: () => (h.queue as Queue<Jobs>).counts(),
  get: (id) => (h.queue as Queue<Jobs>).get(id),
  remove: (id) => (h.queue as Queue<Jobs>).remove(id),
  pause: () => (h.queue as Queue<Jobs>).pause(),
  resume: () => (h.queue as Queue<Jobs>).resume(),
  waitFor: (id) => (h.queue as Queue<Jobs>).waitFor(id),
  log: readLog,
};

(window as unknown as { h: Harness }).h = h;

const params = new URLSearchParams(location.search);
const status = document.getElementById('status') as HTMLElement;
async function boot(): Promise<void> {
  const name = params.get('queue');
  if (name) {
    await h.open(name, { noLocks: params.get('nolocks') === '1' });
    if (params.get('start') === '1') {
      await h.start({
        mode: (params.get('mode') as 'page' | 'worker' | null) ?? 'worker',
        workers: Number(params.get('workers') ?? 1),
        concurrency: Number(params.get('concurrency') ?? 2),
        ...(params.get('leaseMs') ? { leaseMs: Number(params.get('leaseMs')) } : {}),
        ...(params.get('maxCrashes') ? { maxCrashes: Number(params.get('maxCrashes')) } : {}),
        ...(params.get('gracePeriod') ? { gracePeriod: Number(params.get('gracePeriod')) } : {}),
      });
    }
  }
  status.textContent = 'ready';
}
boot().catch((error: unknown) => {
  status.textContent = `error: ${(error as Error).message}`;
});
