import { OPEN_STORE } from './store/store-key.js';
/** The five states a job moves through. See the README's state diagram. */
export type JobState = 'pending' | 'processing' | 'completed' | 'retrying' | 'failed';

export const JOB_STATES: readonly JobState[] = ['pending', 'processing', 'completed', 'retrying', 'failed'];

/** Serialisable shape of an error as stored on a job and sent across workers and tabs. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

declare const jobDef: unique symbol;

/**
 * A job map entry that gives the job's result type as well as its data type:
 * `{ upload: JobDef<{ url: string }, { etag: string }> }`. A type only: nothing of it exists
 * at run time. Entries that are not a `JobDef` are the data type, with an `unknown` result.
 */
export interface JobDef<Data = unknown, Result = unknown> {
  readonly [jobDef]: { data: Data; result: Result };
}

/**
 * Map from job name to the type of its data, e.g. `{ email: { to: string } }`, or to a
 * {@link JobDef} that also names what its handler returns:
 * `{ email: { to: string }; upload: JobDef<{ url: string }, { etag: string }> }`.
 */
export type JobMap = Record<string, unknown>;

/** The data type of a job map entry. */
export type DataOf<E> = [E] extends [JobDef<infer Data, unknown>] ? Data : E;

/** The result type of a job map entry (`unknown` unless it is a {@link JobDef}). */
export type ResultOf<E> = [E] extends [JobDef<unknown, infer Result>] ? Result : unknown;

/** A read-only snapshot of one job. Times are epoch milliseconds. */
export interface Job<Data = unknown, Name extends string = string, Result = unknown> {
  readonly id: string;
  readonly queue: string;
  readonly name: Name;
  readonly data: Data;
  readonly state: JobState;
  readonly priority: number;
  /** Attempts that count: every started one, cut-off ones included. */
  readonly attempts: number;
  /** `retries + 1`. */
  readonly maxAttempts: number;
  /** Not run before this time. */
  readonly runAt: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** When it became `completed` or `failed`. */
  readonly finishedAt: number | undefined;
  readonly progress: unknown;
  /** The handler's return value, once `completed` (`undefined` before). */
  readonly result: Result | undefined;
  /** The last failure. */
  readonly error: SerializedError | undefined;
  readonly idempotencyKey: string | undefined;
  /** The job's `group`: jobs of one group run one at a time, in enqueue order. */
  readonly group: string | undefined;
  /** When the job expires if it has not started by then (epoch ms). */
  readonly expiresAt: number | undefined;
  /** Ids of the jobs it depends on (`dependsOn`, indexes of `addBulk` resolved to ids); `[]` without. */
  readonly dependsOn: readonly string[];
  /**
   * Ids of the jobs that must end before this `pending` job can be claimed: its dependencies
   * not yet completed, the job ahead of it in its group, and, for a job created by a replace
   * while the key's job was running, that job. `[]` when nothing holds it back but its `runAt`.
   */
  readonly waitingFor: readonly string[];
}

/** The job snapshot for one name of a job map (a union over all names by default). */
export type JobOf<M extends JobMap, N extends keyof M & string = keyof M & string> = {
  [K in N]: Job<DataOf<M[K]>, K, ResultOf<M[K]>>;
}[N];

/** Computes the wait before retry `attempt` (1 for the first retry) from the failure. */
export type BackoffFunction = (attempt: number, error: SerializedError) => number;

/**
 * A backoff stored by name: the job keeps `{ type: name, delay? }`, and whichever runner
 * settles its failure (any tab, a worker pool's page, the service-worker drain) computes the
 * wait with the strategy registered under that name in `backoffStrategies`.
 */
export interface NamedBackoff {
  /** The name of a strategy in `backoffStrategies` (not `exponential` or `fixed`). */
  type: string;
  /** A base delay in ms for the strategy to use as it likes (it receives the whole object). */
  delay?: number;
}

/**
 * A named backoff strategy: the wait in ms before retry `attempt` (1 for the first retry) of
 * `job`, whose attempt failed with `error`. `backoff` is the job's `{ type, delay? }`.
 */
export type BackoffStrategy = (attempt: number, error: SerializedError, job: Job, backoff: NamedBackoff) => number;

/** The built-in backoffs, which every runner knows. */
export type BuiltInBackoff =
  | {
      type: 'exponential';
      /** Wait before the first retry, in ms. @default 1000 */
      delay?: number;
      /** Upper bound of any wait, in ms. @default 3_600_000 */
      maxDelay?: number;
      /** Draw the wait uniformly from [wait/2, wait], so that many failing jobs do not retry in lockstep. @default true */
      jitter?: boolean;
    }
  | {
      type: 'fixed';
      /** Wait before every retry, in ms. */
      delay: number;
      /** @default false */
      jitter?: boolean;
    };

/** How long to wait before each retry. */
export type Backoff = BuiltInBackoff | NamedBackoff | BackoffFunction;

/** Retention of completed jobs. */
export type RemoveOnComplete = boolean | { age: number } | { count: number };

/** Options of `add(name, data, options)`. */
export interface JobOptions {
  /** Integer; higher runs first; equal priority runs in enqueue order. @default 0 */
  priority?: number;
  /** Milliseconds from now before the job may run. Not with `runAt`. */
  delay?: number;
  /** A `Date` or epoch ms before which the job does not run. Not with `delay`. */
  runAt?: Date | number;
  /** Retries after the first attempt; `0` means one attempt only. @default 5 */
  retries?: number;
  /** @default { type: 'exponential', delay: 1000, maxDelay: 3_600_000, jitter: true } */
  backoff?: Backoff;
  /** Milliseconds per attempt; the handler's `signal` aborts and the attempt fails with `TimeoutError`. */
  timeout?: number;
  /** A stored job holding the same key makes `add` return that job instead of creating one. */
  idempotencyKey?: string;
  /** Run only while online; failures while offline use up no retry. @default false */
  requiresNetwork?: boolean;
  /** `true` deletes the job when it completes; `{ age }` / `{ count }` bound how many completed jobs are kept. @default false */
  removeOnComplete?: RemoveOnComplete;
  /**
   * Jobs of one group run one at a time, in enqueue order, across tabs, workers and
   * processes; different groups run in parallel. Priority orders only between groups.
   * A job of the group that is `processing` or `retrying` (or still waiting, e.g. delayed)
   * holds back every later one. Like an SQS FIFO message group.
   * @example { group: 'note:' + note.id }
   */
  group?: string;
  /**
   * What `add` does when a stored job holds the `idempotencyKey`: `'keep'` returns it
   * unchanged; `'replace'` puts the new data and options in it if it has not started (moving
   * its run time with `delay`/`runAt`: a debounce), or queues the new data to run once after
   * it if it is running, or adds a new job if it has finished. Latest wins, e.g. autosave.
   * @default 'keep'
   */
  onDuplicate?: 'keep' | 'replace';
  /** A `Date` or epoch ms: a job not started by then moves to `failed` with `ExpiredError`. Not with `expiresIn`. */
  expiresAt?: Date | number;
  /** Milliseconds from now: a job not started by then moves to `failed` with `ExpiredError`. Not with `expiresAt`. */
  expiresIn?: number;
  /**
   * Ids of jobs that must complete first; the handler's `ctx.dependencies` maps each to its
   * result. In `addBulk`, a number names an earlier item of the same call by its index.
   * If one of them fails or is removed, this job fails with `DependencyError` without running.
   */
  dependsOn?: readonly (string | number)[];
}

/**
 * A durable store outside the browser, for `openQueue(name, { storage })`; made by
 * `sqliteStorage(db)` from `jobrail/sqlite`. Opaque: its only use is to be passed to openQueue.
 */
export interface QueueStore {
  /** What the store is (e.g. `'sqlite'`), for messages. */
  readonly kind: string;
  /** @internal */
  readonly [OPEN_STORE]: unknown;
}

/** Options of `openQueue`. */
export interface QueueOptions {
  /**
   * Where jobs live: IndexedDB, memory (non-durable, private to this runtime), or a store
   * object such as `sqliteStorage(db)` from `jobrail/sqlite`.
   * @default 'indexeddb' where IndexedDB exists, else 'memory'
   */
  storage?: 'indexeddb' | 'memory' | QueueStore;
  /** Job options applied to every `add` (an `add`'s own options win). */
  defaults?: JobOptions;
  /**
   * Largest job data accepted, in bytes of its structured-clone estimate (Blobs count their size).
   * @default 16 MiB — IndexedDB handles more, but a queue entry that large is usually a mistake.
   */
  maxDataBytes?: number;
  /** Advanced: clock, timers, randomness, online state and locks, injected for tests. */
  environment?: Partial<import('./environment.js').Environment>;
  /**
   * Named backoff strategies, e.g. `{ linear: (attempt) => attempt * 1000 }`, for jobs added
   * with `backoff: { type: 'linear' }`. An add naming a strategy this queue object does not
   * know (given here, or to a runner started on it) is refused; runners in other tabs and the
   * service-worker drain need it in their own `backoffStrategies`.
   */
  backoffStrategies?: Record<string, BackoffStrategy>;
}

/** Filter of `list()`. With a typed queue, `name` must be one of the job map's names. */
export interface ListOptions<Name extends string = string> {
  state?: JobState;
  name?: Name;
  /** @default 1000 (a page, never the whole store) */
  limit?: number;
  /** @default 0 */
  offset?: number;
}

/** Filter of `clean()`. */
export interface CleanOptions {
  state: 'completed' | 'failed';
  /** Only jobs whose `finishedAt` is more than this many ms ago. @default 0 */
  olderThan?: number;
  /** At most this many jobs. @default unlimited */
  limit?: number;
}

/** Events of `queue.on` that receive the job snapshot after the change. */
export type JobEventName = 'added' | 'active' | 'progress' | 'completed' | 'retrying' | 'failed' | 'removed';
/**
 * Every event of `queue.on`: the job events, `drained`, `paused` and `resumed` (no argument),
 * and `changed` (a {@link QueueChange}).
 */
export type QueueEventName = JobEventName | 'drained' | 'paused' | 'resumed' | 'changed';

/**
 * Detail of the `changed` event: a call changed jobs without a per-job event (`retry`,
 * `retryFailed`, `clean`, or `add`/`addBulk` replacing jobs with `onDuplicate: 'replace'`),
 * so a view of the queue should read it again.
 */
export interface QueueChange {
  /** The queue method that made the change (`'replace'`: an add that replaced stored jobs). */
  readonly action: 'retry' | 'retryFailed' | 'clean' | 'replace';
  /** How many jobs it changed (at least 1: calls that change nothing send no event). */
  readonly count: number;
}

/** Context a handler receives next to the job's data. */
export interface HandlerContext<Data = unknown, Name extends string = string> {
  /** Snapshot of the job as claimed. */
  job: Job<Data, Name>;
  /** 1-based number of this attempt. */
  attempt: number;
  /** Aborts on timeout, on `remove()` of the job, and when the runner stops without waiting. */
  signal: AbortSignal;
  /**
   * The job's `idempotencyKey`, or else a random id stored with the job, unique across devices
   * and databases: pass it to the server so a re-run is harmless.
   */
  idempotencyKey: string;
  /** Stores any storable value (e.g. 0…1) as the job's progress and broadcasts a `progress` event. */
  progress(value: unknown): Promise<void>;
  /** Result of each job named in `dependsOn`, by id; `{}` for a job without dependencies. */
  dependencies: Readonly<Record<string, unknown>>;
  /** Ask for the next attempt in `ms` without counting this one as a failure (e.g. HTTP 429). */
  retryLater(ms: number): never;
}

/** A job handler: its return value (awaited) becomes the job's `result`. */
export type Handler<Data = unknown, Result = unknown> = (data: Data, ctx: HandlerContext<Data>) => Result | Promise<Result>;

/**
 * Handlers by job name. With a typed job map, each handler's `data` is typed and its return
 * value must match the entry's result type ({@link JobDef}).
 */
export type Handlers<M extends JobMap = JobMap> = { [K in keyof M]?: Handler<DataOf<M[K]>, ResultOf<M[K]>> };
