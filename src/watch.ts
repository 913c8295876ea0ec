/**
 * Watching a queue from a UI, framework-neutral: `watchJob`, `watchCounts` and `watchJobs`
 * return an external store — `subscribe(listener)` and `getSnapshot()` — in the shape React's
 * `useSyncExternalStore` (and Vue's, Svelte's or Solid's equivalents) expect: the snapshot is
 * the same object until something changed. They use only the queue's public API (`on`,
 * `get`, `counts`, `list`), so they see every tab's changes, and they are free functions so
 * that an app that does not use them does not ship them.
 */
import type { Queue } from './queue.js';
import type { Job, JobEventName, JobMap, JobOf, JobState, ListOptions, QueueEventName } from './types.js';

/** An external store: subscribe to changes, read the current snapshot. */
export interface Watch<Snapshot> {
  /**
   * Calls `listener` after each change of the snapshot; returns the unsubscribe function.
   * The first subscriber starts listening to the queue and reading from it; when the last
   * one leaves, the watch stops (and starts again on the next subscribe).
   */
  subscribe(listener: () => void): () => void;
  /** The current snapshot: the same object until it changed. */
  getSnapshot(): Snapshot;
}

/** What every snapshot says besides its value. */
export interface WatchState {
  /** True until the first read from storage has finished (and while no one subscribes). */
  readonly loading: boolean;
  /** The last read's failure (e.g. the queue was closed), else undefined. */
  readonly error: unknown;
}

/** Snapshot of {@link watchJob}. */
export interface JobSnapshot<J extends Job = Job> extends WatchState {
  /** The job, or undefined once loaded if there is no such job (never was, or removed). */
  readonly job: J | undefined;
}

/** Snapshot of {@link watchCounts}. */
export interface CountsSnapshot extends WatchState {
  /** Jobs in each state (zeros while loading). */
  readonly counts: Readonly<Record<JobState, number>>;
}

/** Snapshot of {@link watchJobs}. */
export interface JobsSnapshot<J extends Job = Job> extends WatchState {
  /** One page of jobs, newest first, as `queue.list(options)` returns it. */
  readonly jobs: readonly J[];
}

/** Job events that can change a job's state, so counts and lists are read again. */
const STATE_EVENTS: JobEventName[] = ['added', 'active', 'completed', 'retrying', 'failed', 'removed'];

/**
 * The machinery shared by the three watches: listeners, a read that is never run twice at
 * once (a change during a read asks for one more), and results of reads overtaken by an
 * event dropped by sequence number.
 */
class QueueWatch<S extends WatchState> implements Watch<S> {
  private snapshot: S;
  private readonly listeners = new Set<() => void>();
  private offs: (() => void)[] = [];
  private reading = false;
  private again = false;
  /** Bumped by every change; a read that started before one is stale. */
  private seq = 0;

  constructor(
    private readonly initial: S,
    private readonly read: () => Promise<Omit<S, keyof WatchState>>,
    private readonly listen: (watch: QueueWatch<S>) => (() => void)[],
    /** A read that returns what the snapshot already holds keeps the snapshot (identity). */
    private readonly same: (a: S, b: S) => boolean = () => false,
  ) {
    this.snapshot = initial;
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.start();
    return () => {
      if (!this.listeners.delete(listener) || this.listeners.size > 0) return;
      for (const off of this.offs) off();
      this.offs = [];
      this.seq++;
      this.snapshot = this.initial;
    };
  };

  readonly getSnapshot = (): S => this.snapshot;

  private start(): void {
    try {
      this.offs = this.listen(this);
    } catch (error) {
      // e.g. the queue is closed: `on` throws
      this.set({ ...this.snapshot, loading: false, error });
      return;
    }
    this.reload();
  }

  /** Replaces the snapshot and tells the listeners. */
  set(next: S): void {
    this.snapshot = next;
    for (const listener of [...this.listeners]) listener();
  }

  /** A change that needs no read (an event carried the new value): overtakes reads in flight. */
  patch(update: (current: S) => S | undefined): void {
    if (this.listeners.size === 0) return;
    const next = update(this.snapshot);
    if (!next) return;
    this.seq++;
    this.set(next);
  }

  /** Reads again now, or once more after the read in flight. */
  reload(): void {
    if (this.listeners.size === 0) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    void this.run();
  }

  private async run(): Promise<void> {
    this.reading = true;
    try {
      do {
        this.again = false;
        const seq = ++this.seq;
        let next: S;
        try {
          next = { ...this.snapshot, ...(await this.read()), loading: false, error: undefined };
        } catch (error) {
          next = { ...this.snapshot, loading: false, error };
        }
        if (seq === this.seq && this.listeners.size > 0) {
          if (!this.same(this.snapshot, next)) this.set(next);
        }
        else if (this.listeners.size > 0) this.again = true; // overtaken: read what is current
      } while (this.again && this.listeners.size > 0);
    } finally {
      this.reading = false;
    }
  }
}

type AnyQueue = Pick<Queue<JobMap>, 'on' | 'get' | 'counts' | 'list'>;
const on = (queue: AnyQueue, event: QueueEventName, fn: (arg?: unknown) => void) => (queue.on as (e: QueueEventName, l: (arg?: unknown) => void) => () => void)(event, fn);

/**
 * Watches one job: its snapshot follows every change from any tab (events carry the new
 * state; only bulk changes such as `retryFailed` cause a read).
 *
 * @example
 * const watch = watchJob(queue, job.id);
 * const off = watch.subscribe(() => render(watch.getSnapshot().job?.progress));
 */
export function watchJob<M extends JobMap, J extends Job = JobOf<M>>(queue: Queue<M>, id: string): Watch<JobSnapshot<J>> & AsyncIterable<J> {
  const q = queue as unknown as AnyQueue;
  const watch = new QueueWatch<JobSnapshot<J>>(
    { loading: true, error: undefined, job: undefined },
    async () => ({ job: (await q.get(id)) as J | undefined }),
    (w) => [
      ...(['added', 'active', 'progress', 'completed', 'retrying', 'failed'] as const).map((event) =>
        on(q, event, (job) => {
          if ((job as Job).id === id) w.patch((s) => ({ ...s, loading: false, error: undefined, job: job as J }));
        }),
      ),
      on(q, 'removed', (job) => {
        if ((job as Job).id === id) w.patch((s) => ({ ...s, loading: false, error: undefined, job: undefined }));
      }),
      on(q, 'changed', () => w.reload()),
    ],
  );
  return Object.assign(watch, { [Symbol.asyncIterator]: () => jobChanges(watch) });
}

/**
 * `for await (const job of watchJob(queue, id))`: the job's snapshots, starting with the
 * current one, until it is `completed` or `failed` (that snapshot included), removed, or
 * missing. Snapshots that follow each other faster than the loop runs are skipped: the loop
 * always gets the latest.
 */
async function* jobChanges<J extends Job>(watch: QueueWatch<JobSnapshot<J>>): AsyncGenerator<J, void, undefined> {
  let wake: (() => void) | undefined;
  let changed = false;
  const off = watch.subscribe(() => {
    changed = true;
    wake?.();
  });
  try {
    let last: J | undefined;
    for (;;) {
      if (!changed) await new Promise<void>((resolve) => (wake = resolve));
      changed = false;
      wake = undefined;
      const { loading, error, job } = watch.getSnapshot();
      if (loading) continue;
      if (error !== undefined) throw error;
      if (!job) return;
      if (job === last) continue;
      last = job;
      yield job;
      if (job.state === 'completed' || job.state === 'failed') return;
    }
  } finally {
    off();
  }
}

const ZERO_COUNTS: Readonly<Record<JobState, number>> = Object.freeze({ pending: 0, processing: 0, completed: 0, retrying: 0, failed: 0 });

/**
 * Watches the number of jobs in each state, read again (at most one read at a time) after
 * every change of a job's state in any tab. A snapshot whose counts did not change keeps
 * its identity.
 */
export function watchCounts(queue: Queue<any>): Watch<CountsSnapshot> {
  const q = queue as AnyQueue;
  let watch: QueueWatch<CountsSnapshot>;
  const read = async () => {
    const counts = await q.counts();
    const current = watch.getSnapshot().counts;
    const same = (Object.keys(ZERO_COUNTS) as JobState[]).every((s) => counts[s] === current[s]);
    return { counts: same ? current : counts };
  };
  watch = new QueueWatch<CountsSnapshot>(
    { loading: true, error: undefined, counts: ZERO_COUNTS },
    read,
    (w) => [...STATE_EVENTS.map((event) => on(q, event, () => w.reload())), on(q, 'changed', () => w.reload())],
    sameSnapshot,
  );
  return watch;
}

/**
 * Watches one page of `queue.list(options)`: read again after every change of a job's state
 * in any tab; `progress` of a job on the page updates it in place without a read.
 */
export function watchJobs<M extends JobMap, N extends keyof M & string = keyof M & string>(queue: Queue<M>, options: ListOptions<N> = {}): Watch<JobsSnapshot<JobOf<M, N>>> {
  type J = JobOf<M, N>;
  const q = queue as unknown as AnyQueue;
  const copy = { ...options };
  return new QueueWatch<JobsSnapshot<J>>({ loading: true, error: undefined, jobs: [] }, async () => ({ jobs: (await q.list(copy)) as J[] }), (w) => [
    ...STATE_EVENTS.map((event) => on(q, event, () => w.reload())),
    on(q, 'changed', () => w.reload()),
    on(q, 'progress', (job) => {
      w.patch((s) => {
        const i = s.jobs.findIndex((j) => j.id === (job as Job).id);
        if (i === -1) return undefined;
        const jobs = [...s.jobs];
        jobs[i] = job as J;
        return { ...s, jobs };
      });
    }),
  ], sameSnapshot);
}

/** Equal snapshots: the same state fields, and values equal by `Object.is` or, for job lists, the same jobs at the same update. */
function sameSnapshot<S extends WatchState>(a: S, b: S): boolean {
  const keys = Object.keys(b) as (keyof S)[];
  return keys.length === Object.keys(a).length && keys.every((k) => sameValue(a[k], b[k]));
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  return a.every((x: Job, i) => {
    const y = b[i] as Job;
    return x.id === y.id && x.updatedAt === y.updatedAt && x.state === y.state && Object.is(x.progress, y.progress);
  });
}
