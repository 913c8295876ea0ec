import type { StorageStatus } from '../persistence.js';
import { openQueue, type Queue } from '../queue.js';
import type { Job, JobState, ListOptions } from '../types.js';
import { SlidingCounter } from './throughput.js';

/** Any queue from `openQueue`, whatever its job map. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyQueue = Queue<any>;

/** The state filter of the job list: one state, or every job. */
export type StateFilter = JobState | 'all';

/** The dashboard re-reads the store at most this often while events stream in. */
export const REFRESH_INTERVAL_MS = 250;
/** The throughput window. */
export const THROUGHPUT_WINDOW_MS = 60_000;
const MAX_NAMES = 100;
/** `navigator.storage.estimate()` moves slowly: the storage line is re-read at most this often. */
export const STORAGE_INTERVAL_MS = 10_000;

/** Which page of which jobs to read. */
export interface Query {
  state: StateFilter;
  name: string;
  page: number;
  pageSize: number;
}

/** One read of the store, with the query it answers. */
export interface Loaded {
  query: Query;
  counts: Record<JobState, number>;
  /** At most `query.pageSize` jobs. */
  jobs: Job[];
  hasNext: boolean;
}

/** What the controller needs from the element that owns it. */
export interface ControllerHost {
  /** Something the view shows changed: render (batched). */
  requestUpdate(): void;
  /** A read or open failed. */
  report(action: string, error: unknown): void;
  /** A queue is now shown (given, or opened). */
  attached(): void;
  /** The query the view wants now. */
  query(): Query;
  /** The controller stepped back a page because the page it read had emptied. */
  setPage(page: number): void;
}

export function isQueue(value: unknown): value is AnyQueue {
  if (!value || typeof value !== 'object') return false;
  const q = value as Record<string, unknown>;
  return ['list', 'counts', 'on', 'isPaused', 'runners', 'pause', 'resume', 'retry', 'retryFailed', 'remove', 'clean'].every((m) => typeof q[m] === 'function');
}

/** Total jobs the query can page through, when counts tell (not with a name filter). */
export function knownTotal(query: Pick<Query, 'state' | 'name'>, counts: Record<JobState, number> | undefined): number | undefined {
  if (!counts || query.name !== '') return undefined;
  return query.state === 'all' ? Object.values(counts).reduce((sum, n) => sum + n, 0) : counts[query.state];
}

/**
 * The dashboard's link to its queue: opens it (or uses a given one), listens to its public
 * events from every tab, and re-reads counts, the paused flag and one page of jobs — at most
 * every {@link REFRESH_INTERVAL_MS} ms while events stream in, never while the page is hidden.
 * Every read carries a call id; a result that a newer call, a new query or a new queue made
 * stale is dropped, so the view never shows an old page after a newer one.
 */
export class QueueController {
  /** The queue in use (given or opened), once it is usable. */
  queue: AnyQueue | undefined;
  /** The last read that answered the current call, if any. */
  loaded: Loaded | undefined;
  /** From the last read, then kept current by `paused`/`resumed` events. */
  paused: boolean | undefined;
  /** Runners of the queue in every tab (`queue.runners()`), re-read with every read and every tick. */
  runners: number | undefined;
  /** The browser's network state (`navigator.onLine`, then its `online`/`offline` events). */
  online = true;
  /** `queue.storageStatus()`: persisted or best-effort, usage and quota, where the browser tells. */
  storage: StorageStatus | undefined;
  /** Job names seen, for the name filter's suggestions (at most 100). */
  readonly names = new Set<string>();
  readonly completions = new SlidingCounter(THROUGHPUT_WINDOW_MS);
  /** How many times a page of jobs was read from the store (for tests and tuning). */
  loads = 0;

  private owned: AnyQueue | undefined;
  /** Bumped by every stop: a queue opened for an earlier start is closed, not shown. */
  private generation = 0;
  private unsubscribers: (() => void)[] = [];
  /** Bumped by every read, new query and new queue: a result whose call is not the latest is dropped. */
  private call = 0;
  private dirty = false;
  private urgent = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private refreshing: Promise<void> | undefined;
  private lastRefreshAt = 0;
  private countingRunners = false;
  private storageAt = -Infinity;

  constructor(private readonly host: ControllerHost) {}

  /** Re-reads the storage status when the last read is older than {@link STORAGE_INTERVAL_MS}. */
  pollStorage(): void {
    const q = this.queue;
    const now = Date.now();
    if (!q || typeof q.storageStatus !== 'function' || now - this.storageAt < STORAGE_INTERVAL_MS) return;
    this.storageAt = now;
    const generation = this.generation;
    q.storageStatus().then(
      (status) => {
        if (generation !== this.generation) return;
        this.storage = status;
        this.host.requestUpdate();
      },
      () => undefined, // it never rejects for the browser's sake; a closed queue is reported by reads
    );
  }

  /** Re-reads how many runners run the queue (a Web Locks query, no store read). */
  pollRunners(): void {
    const q = this.queue;
    if (!q || this.countingRunners) return;
    const generation = this.generation;
    this.countingRunners = true;
    q.runners().then(
      (n) => {
        this.countingRunners = false;
        if (generation !== this.generation || n === this.runners) return;
        this.runners = n;
        this.host.requestUpdate();
      },
      () => {
        // Reported by the next read if the queue itself fails; a count is not worth an error.
        this.countingRunners = false;
      },
    );
  }

  /** Shows `q` (never closed by the controller). */
  use(q: AnyQueue): void {
    this.stop();
    this.attach(q);
  }

  /** Opens the queue `name` and shows it; it is closed again by `stop()`. */
  open(name: string): void {
    this.stop();
    const generation = this.generation;
    openQueue(name).then(
      (q) => {
        if (generation !== this.generation) {
          void q.close();
          return;
        }
        this.owned = q;
        this.attach(q);
      },
      (error: unknown) => {
        if (generation === this.generation) this.host.report(`open queue ${name}`, error);
      },
    );
  }

  /** Unsubscribes, cancels reads, closes an opened queue, forgets what was shown. */
  stop(): void {
    this.generation += 1;
    this.call += 1;
    for (const off of this.unsubscribers.splice(0)) off();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.dirty = false;
    this.urgent = false;
    this.queue = undefined;
    if (this.owned) {
      void this.owned.close();
      this.owned = undefined;
    }
  }

  /** The query changed: results of reads in flight are stale; read again at once. */
  queryChanged(): void {
    this.call += 1;
    this.invalidate(true);
  }

  /**
   * Marks the view stale. The store is re-read once the current read is done and at least
   * REFRESH_INTERVAL_MS after the previous one (or at once with `soon`), and not while
   * the page is hidden unless `soon`.
   */
  invalidate(soon = false): void {
    this.dirty = true;
    if (soon) this.urgent = true;
    if (!this.queue || this.refreshing) return;
    const urgent = this.urgent;
    if (typeof document !== 'undefined' && document.hidden && !urgent) return;
    const wait = urgent ? 0 : Math.max(0, this.lastRefreshAt + REFRESH_INTERVAL_MS - Date.now());
    if (this.timer !== undefined) {
      if (!urgent) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.dirty && !this.refreshing) void this.run();
    }, wait);
  }

  /** Re-reads now (after a read in flight); resolves once its result is in. */
  async refresh(): Promise<void> {
    if (this.refreshing) await this.refreshing;
    if (!this.queue) return;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    await (this.refreshing ?? this.run());
  }

  private attach(q: AnyQueue): void {
    this.queue = q;
    this.loaded = undefined;
    this.paused = undefined;
    this.runners = undefined;
    this.storage = undefined;
    this.storageAt = -Infinity;
    this.completions.clear();
    this.names.clear();
    try {
      const onJob = (job: Job) => {
        this.rememberName(job.name);
        this.invalidate();
      };
      for (const event of ['added', 'active', 'progress', 'retrying', 'failed', 'removed'] as const) {
        this.unsubscribers.push(q.on(event, onJob));
      }
      this.unsubscribers.push(
        q.on('completed', (job: Job) => {
          this.completions.add(Date.now());
          onJob(job);
        }),
      );
      this.unsubscribers.push(q.on('drained', () => this.invalidate()));
      this.watchOnline();
      this.unsubscribers.push(q.on('changed', () => this.invalidate()));
      for (const [event, paused] of [['paused', true], ['resumed', false]] as const) {
        this.unsubscribers.push(
          q.on(event, () => {
            this.paused = paused;
            this.host.requestUpdate();
            this.invalidate();
          }),
        );
      }
    } catch (error) {
      // e.g. a queue that was already closed
      for (const off of this.unsubscribers.splice(0)) off();
      this.queue = undefined;
      this.host.report(`show queue ${q.name}`, error);
      return;
    }
    this.host.attached();
    this.host.requestUpdate();
    this.invalidate(true);
    this.pollStorage();
  }

  private watchOnline(): void {
    const nav = (globalThis as { navigator?: Navigator }).navigator;
    this.online = nav && typeof nav.onLine === 'boolean' ? nav.onLine : true;
    if (typeof globalThis.addEventListener !== 'function') return;
    const update = () => {
      this.online = nav?.onLine ?? true;
      this.host.requestUpdate();
    };
    globalThis.addEventListener('online', update);
    globalThis.addEventListener('offline', update);
    this.unsubscribers.push(() => {
      globalThis.removeEventListener('online', update);
      globalThis.removeEventListener('offline', update);
    });
  }

  private rememberName(name: string): void {
    if (this.names.size < MAX_NAMES && !this.names.has(name)) {
      this.names.add(name);
      this.host.requestUpdate();
    }
  }

  private run(): Promise<void> {
    this.dirty = false;
    this.urgent = false;
    this.lastRefreshAt = Date.now();
    const done = this.load().finally(() => {
      this.refreshing = undefined;
      if (this.dirty) this.invalidate();
    });
    this.refreshing = done;
    return done;
  }

  private async load(): Promise<void> {
    const q = this.queue;
    if (!q) return;
    const call = ++this.call;
    const query = { ...this.host.query() };
    const { pageSize: size, page } = query;
    let counts: Record<JobState, number>;
    let jobs: Job[];
    let paused: boolean;
    let runners: number;
    try {
      this.loads += 1;
      [counts, jobs, paused, runners] = await Promise.all([q.counts(), q.list(listOptions(query, size + 1, page * size)), q.isPaused(), q.runners()]);
    } catch (error) {
      if (call === this.call) this.host.report('read the queue', error);
      return;
    }
    if (call !== this.call) {
      // A newer query or queue made this read stale: read again for it.
      if (this.queue) this.dirty = true;
      return;
    }
    if (jobs.length === 0 && page > 0) {
      // The page emptied under us (jobs finished or were removed): step back.
      const total = knownTotal(query, counts);
      this.host.setPage(total === undefined ? page - 1 : Math.max(0, Math.min(page - 1, Math.ceil(total / size) - 1)));
      return this.load();
    }
    this.paused = paused;
    this.runners = runners;
    for (const job of jobs) this.rememberName(job.name);
    this.loaded = { query, counts, jobs: jobs.slice(0, size), hasNext: jobs.length > size };
    this.host.requestUpdate();
  }
}

function listOptions(query: Query, limit: number, offset: number): ListOptions {
  const options: ListOptions = { limit, offset };
  if (query.state !== 'all') options.state = query.state;
  if (query.name !== '') options.name = query.name;
  return options;
}
