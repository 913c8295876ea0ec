import { draftJob, insertJobs, measureJobData, type Draft, type Inserted } from './enqueue.js';
import { resolveEnvironment, type Environment } from './environment.js';
import { JobFailedError, JobrailError, TimeoutError, storageError } from './errors.js';
import { EventHub, type MessageChannelLike, type QueueMessage } from './events.js';
import { countJobs, getJob, listJobs } from './inspect.js';
import { INTERNALS, type QueueInternals } from './internals.js';
import { LocalChannel } from './local-channel.js';
import { countRunners } from './runners.js';
import { cleanJobs, readPaused, removeJob, retryAllFailed, retryJob, setPaused } from './manage.js';
import { checkBackoffStrategies, checkJobName, checkJobOptions, checkNumber, describe, isPlainObject, normalizeJobOptions } from './options.js';
import type { ScheduleInfo, ScheduleJobOptions, ScheduleSpec } from './schedule.js';
import { readStorageStatus, requestPersistence, type StorageStatus } from './persistence.js';
import type { Engine } from './store/engine.js';
import { IdbEngine } from './store/idb.js';
import type { MemoryEngine } from './store/memory.js';
import { OPEN_STORE, isQueueStore, type OpenStore } from './store/external.js';
import { toJob, type JobRecord } from './store/record.js';
import {
  JOB_STATES,
  type BackoffFunction,
  type BackoffStrategy,
  type DataOf,
  type ResultOf,
  type CleanOptions,
  type Job,
  type JobMap,
  type JobOf,
  type JobOptions,
  type JobEventName,
  type JobState,
  type ListOptions,
  type QueueChange,
  type QueueEventName,
  type QueueOptions,
} from './types.js';

/** Page size of `list()` when no `limit` is given. */
export const DEFAULT_LIST_LIMIT = 1000;

/** Largest job data accepted by default (see `QueueOptions.maxDataBytes`). */
export const DEFAULT_MAX_DATA_BYTES = 16 * 1024 * 1024;

/** One item of `addBulk`: a union over the job map's names, so each item's data is checked against its name. */
export type BulkItem<M extends JobMap, N extends keyof M & string = keyof M & string> = {
  [K in N]: { name: K; data: DataOf<M[K]>; options?: JobOptions };
}[N];

/** Options of `waitFor`. Neither stops the job: they only end the wait. */
export interface WaitOptions {
  /** Reject with a `TimeoutError` after this many ms if the job has not finished by then. */
  timeout?: number;
  /** Reject with `signal.reason` when it aborts (e.g. a component unmounts). */
  signal?: AbortSignal;
}

/**
 * How long, and for how many jobs, a queue object remembers the outcome of jobs that finished
 * while it was open, so `waitFor` still settles for a job that `removeOnComplete` (or
 * retention) deleted before the wait began.
 */
export const KEEP_OUTCOMES_MS = 60_000;
export const KEEP_OUTCOMES_COUNT = 200;

/** A queue opened with `openQueue`. Every method is safe to call from several tabs at once. */
export interface Queue<M extends JobMap = JobMap> {
  /** The queue's name. */
  readonly name: string;
  /** Stores a job; durable (flushed to disk) once the promise resolves. */
  add<N extends keyof M & string>(name: N, data: DataOf<M[N]>, options?: JobOptions): Promise<JobOf<M, N>>;
  /** Stores several jobs in one transaction: all or nothing. */
  addBulk(items: BulkItem<M>[]): Promise<JobOf<M>[]>;
  /** A snapshot of one job, or undefined. */
  get(id: string): Promise<JobOf<M> | undefined>;
  /** Jobs newest first, one page at a time (`limit` default 1000). `name` must be a name of the job map. */
  list<N extends keyof M & string = keyof M & string>(options?: ListOptions<N>): Promise<JobOf<M, N>[]>;
  /** Number of jobs in each of the five states. */
  counts(): Promise<Record<JobState, number>>;
  /**
   * Resolves with the job's result once it is `completed`; rejects with `JobFailedError` once
   * it is `failed`, or with a `JobrailError` if it is removed or there is no such job. Works
   * across tabs. Pass the job `add` returned to get its result typed (or name the job:
   * `waitFor<'upload'>(id)`).
   *
   * A job that finished while this queue object was open is found even if it was deleted
   * at once (`removeOnComplete`): outcomes are kept for {@link KEEP_OUTCOMES_MS} ms (the last
   * {@link KEEP_OUTCOMES_COUNT}). `timeout` and `signal` end the wait, not the job.
   *
   * @example
   * const job = await queue.add('upload', { url, body }, { removeOnComplete: true });
   * const { etag } = await queue.waitFor(job, { timeout: 30_000 });
   */
  waitFor<J extends { readonly id: string; readonly name: keyof M & string }>(job: J, options?: WaitOptions): Promise<ResultOf<M[J['name']]>>;
  waitFor<N extends keyof M & string = keyof M & string>(id: string, options?: WaitOptions): Promise<ResultOf<M[N]>>;
  /**
   * Moves a `failed` job back to `pending` with its attempts reset; resolves with 1 (the
   * number of jobs moved, like `retryFailed`). Rejects with a `JobrailError` for a job that
   * does not exist or is not `failed`.
   */
  retry(id: string): Promise<number>;
  /** Moves every `failed` job back to `pending`; resolves with how many. */
  retryFailed(): Promise<number>;
  /** Deletes a job; a running handler's `signal` aborts and its outcome is discarded. Resolves false if there was no such job. */
  remove(id: string): Promise<boolean>;
  /** Deletes `completed` or `failed` jobs finished more than `olderThan` ms ago; resolves with how many. */
  clean(options: CleanOptions): Promise<number>;
  /** Stops new claims in every tab (persistent). */
  pause(): Promise<void>;
  resume(): Promise<void>;
  isPaused(): Promise<boolean>;
  /**
   * How many runners (`startWorkers`, a service-worker drain) run this queue now, in every
   * tab and worker of the origin — read from the Web Locks runners hold. Where Web Locks are
   * missing, only this tab's runners are known. 0 means added jobs wait until a page runs the
   * queue (or Background Sync drains it).
   */
  runners(): Promise<number>;
  /**
   * Creates or replaces (upserts) the repeatable job `id`: every tick adds one job `name`
   * with `data` and `options`, exactly one per tick however many tabs are open. Ticks fire
   * in tabs that run the queue (`startWorkers`). `{ every: ms }` first fires `every` ms from
   * now; `{ cron, tz? }` at the expression's times. Saving a schedule again with the same
   * timing keeps its next tick. Ticks missed while no runner was open get one job on the
   * next start (`catchUp: 'one'`), or none (`'none'`), or one each (`'all'`, at most 100).
   * An invalid spec rejects with a `TypeError` naming the problem, and nothing is written.
   *
   * @example
   * await queue.schedule('nightly-sync', { cron: '0 3 * * *', tz: 'Europe/Berlin' }, 'sync', { full: true });
   * await queue.schedule('heartbeat', { every: 60_000 }, 'ping');
   */
  schedule<N extends keyof M & string>(id: string, spec: ScheduleSpec, name: N, data?: M[N], options?: ScheduleJobOptions): Promise<ScheduleInfo<M[N], N>>;
  /** Deletes schedule `id`; jobs it already added stay. Resolves false if there was none. */
  unschedule(id: string): Promise<boolean>;
  /** Every stored schedule, oldest first, with its `nextRunAt`. */
  schedules(): Promise<ScheduleInfo<M[keyof M & string], keyof M & string>[]>;
  /**
   * Listens to events from every tab; returns the unsubscribe function. `added`, `active`,
   * `progress`, `completed`, `retrying`, `failed` and `removed` get the job snapshot after the
   * change (`removed`: the last one); `drained` when nothing is ready or running in any tab.
   */
  on(event: JobEventName, listener: (job: JobOf<M>) => void): () => void;
  /** `drained`: a runner found nothing ready and nothing running in any tab. `paused` / `resumed`: `pause()` / `resume()` was called in some tab. */
  on(event: 'drained' | 'paused' | 'resumed', listener: () => void): () => void;
  /** `changed`: `retry`, `retryFailed`, `clean` or an add that replaced jobs (`onDuplicate: 'replace'`) changed jobs without a per-job event; read the queue again. */
  on(event: 'changed', listener: (change: QueueChange) => void): () => void;
  /**
   * Asks the browser to keep this origin's storage, so it does not evict the queue's jobs
   * under storage pressure or after days without a visit (`navigator.storage.persist()`),
   * and resolves with the status after asking. Never rejects for a refusal or a browser
   * without the API: `persisted` is then `false` or `'unknown'`. Chromium grants or refuses
   * without a prompt; Firefox may prompt the user, so call it from a user gesture there.
   *
   * @example
   * const { persisted } = await queue.persist();
   * if (persisted !== true) showHint('Add this app to your Home Screen to keep queued uploads');
   */
  persist(): Promise<StorageStatus>;
  /**
   * Whether the browser may evict the queue's storage, and the origin's usage and quota
   * where the browser tells (`navigator.storage.persisted()` and `estimate()`); fields it
   * does not tell are `'unknown'` or `undefined`. Asks nothing of the user; never rejects.
   */
  storageStatus(): Promise<StorageStatus>;
  /** Stops this tab's runners of the queue and releases its connection, locks and channel. */
  close(): Promise<void>;
  /** @internal */
  readonly [INTERNALS]: QueueInternals;
}

const QUEUE_OPTION_KEYS = new Set(['storage', 'defaults', 'maxDataBytes', 'environment', 'backoffStrategies']);

/** Memory queues of one name share storage within one runtime, like tabs share IndexedDB. */
const memoryEngines = new Map<string, { engine: MemoryEngine; refs: number }>();

function checkQueueName(name: unknown): string {
  if (typeof name !== 'string') throw new TypeError(`Expected queue \`name\` to be a non-empty string, got ${describe(name)}`);
  if (name.length === 0 || name.length > 200) throw new RangeError(`Expected queue \`name\` to be a non-empty string of at most 200 characters, got ${describe(name)}`);
  return name;
}

type CheckedQueueOptions = QueueOptions & { strategies: Map<string, BackoffStrategy> };

function checkQueueOptions(options: unknown): CheckedQueueOptions {
  if (options === undefined) return { strategies: new Map() };
  if (!isPlainObject(options)) throw new TypeError(`Expected \`options\` of openQueue to be an object, got ${describe(options)}`);
  for (const key of Object.keys(options)) {
    if (!QUEUE_OPTION_KEYS.has(key)) throw new TypeError(`Unknown queue option \`${key}\`: expected one of ${[...QUEUE_OPTION_KEYS].join(', ')}`);
  }
  const o = options as QueueOptions;
  if (o.storage !== undefined && o.storage !== 'indexeddb' && o.storage !== 'memory' && !isQueueStore(o.storage)) {
    throw new TypeError(`Expected \`storage\` to be 'indexeddb', 'memory' or a store object such as sqliteStorage(db) from jobrail/sqlite, got ${describe(o.storage)}`);
  }
  if (o.maxDataBytes !== undefined) checkNumber('maxDataBytes', o.maxDataBytes, { integer: true, min: 1 });
  if (o.environment !== undefined && !isPlainObject(o.environment)) throw new TypeError(`Expected \`environment\` to be an object, got ${describe(o.environment)}`);
  const strategies = checkBackoffStrategies(o.backoffStrategies);
  const defaults = checkJobOptions(o.defaults, 'defaults', strategies);
  if (defaults.idempotencyKey !== undefined) {
    throw new TypeError('`idempotencyKey` cannot be a default: every add would return the same job. Pass it to each add instead');
  }
  if (defaults.runAt !== undefined) {
    throw new TypeError('`runAt` cannot be a default: every job would wait for the same moment. Use `delay` for a default wait, or pass runAt to each add');
  }
  if (defaults.expiresAt !== undefined) {
    throw new TypeError('`expiresAt` cannot be a default: every job would expire at the same moment. Use `expiresIn` for a default, or pass expiresAt to each add');
  }
  if (defaults.dependsOn !== undefined) {
    throw new TypeError('`dependsOn` cannot be a default: pass it to each add');
  }
  return { ...o, defaults, strategies };
}

/**
 * Opens (or creates) a queue. The same name opened in two tabs is the same queue.
 *
 * @example
 * const queue = await openQueue<{ email: { to: string } }>('outbox', { defaults: { retries: 3 } });
 */
export async function openQueue<M extends JobMap = JobMap>(name: string = 'default', options?: QueueOptions): Promise<Queue<M>> {
  checkQueueName(name);
  const opts = checkQueueOptions(options);
  const hasIdb = typeof indexedDB !== 'undefined';
  const storage = opts.storage ?? (hasIdb ? 'indexeddb' : 'memory');
  // A store outside the browser is shared by processes: Web Locks (where Node and Deno have
  // them) are process-local, so a runner there must rely on time leases alone.
  const env = resolveEnvironment(isQueueStore(storage) ? { ...opts.environment, locks: undefined } : opts.environment);
  let engine: Engine;
  let channel: MessageChannelLike | undefined;
  let watch: ((onChange: () => void) => () => void) | undefined;
  let release = () => {};
  if (isQueueStore(storage)) {
    const opened = await (storage[OPEN_STORE] as OpenStore)(name, env);
    ({ engine, channel, watch, release } = opened);
  } else if (storage === 'indexeddb') {
    if (!hasIdb) throw new JobrailError(`IndexedDB is not available in this runtime: open the queue with { storage: 'memory' } (non-durable), or run it in a browser`);
    const idb = new IdbEngine(name);
    await idb.connect();
    engine = idb;
    channel = env.channel(`jobrail:${name}`) as MessageChannelLike | undefined;
  } else {
    // Loaded on demand: memory queues are for tests and runtimes without IndexedDB.
    const { MemoryEngine } = await import('./store/memory.js');
    const shared = memoryEngines.get(name) ?? { engine: new MemoryEngine(name), refs: 0 };
    shared.refs += 1;
    memoryEngines.set(name, shared);
    engine = shared.engine;
    channel = new LocalChannel(`jobrail-memory:${name}`);
    release = () => {
      shared.refs -= 1;
      if (shared.refs === 0) {
        memoryEngines.delete(name);
        shared.engine.close();
      }
    };
  }
  return new JobQueue<M>(name, engine, new EventHub(channel, watch), env, opts, release);
}

class JobQueue<M extends JobMap> implements Queue<M> {
  readonly [INTERNALS]: QueueInternals;
  private closed = false;
  /** Outcomes of jobs that finished while this object was open, oldest first (see waitFor). */
  private readonly outcomes = new Map<string, { job: Job; at: number }>();
  private readonly defaults: JobOptions;
  private readonly maxDataBytes: number;

  constructor(
    readonly name: string,
    private readonly engine: Engine,
    private readonly hub: EventHub,
    private readonly env: Environment,
    options: CheckedQueueOptions,
    private readonly releaseEngine: () => void,
  ) {
    this.defaults = options.defaults ?? {};
    this.maxDataBytes = options.maxDataBytes ?? DEFAULT_MAX_DATA_BYTES;
    const defaultBackoff = this.defaults.backoff;
    this[INTERNALS] = {
      name,
      engine,
      hub,
      env,
      backoffFns: new Map(),
      defaultBackoffFn: typeof defaultBackoff === 'function' ? defaultBackoff : undefined,
      backoffStrategies: options.strategies,
      closers: new Set(),
      assertOpen: () => this.assertOpen(),
    };
    hub.subscribe((msg) => this.keepOutcome(msg));
    // A job's in-memory backoff function is needed until it ends, wherever it ends: another
    // tab may complete, fail or remove it.
    hub.subscribe((msg) => {
      if (msg.kind === 'job' && (msg.event === 'completed' || msg.event === 'failed' || msg.event === 'removed')) this[INTERNALS].backoffFns.delete(msg.job.id);
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new JobrailError(`Queue "${this.name}" is closed: open it again with openQueue()`);
  }

  private async guard<T>(action: string, fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await fn();
    } catch (error) {
      throw storageError(action, error);
    }
  }

  private draft(name: unknown, data: unknown, options: unknown, now: number): { draft: Draft; backoffFn: BackoffFunction | undefined } {
    const jobName = checkJobName(name);
    const normalized = normalizeJobOptions(this.defaults, checkJobOptions(options, 'options', this[INTERNALS].backoffStrategies), now);
    const size = measureJobData(jobName, data, this.maxDataBytes);
    return { draft: draftJob(this.name, jobName, data, normalized, now, size), backoffFn: normalized.backoffFn };
  }

  /**
   * Emits what an insert did and returns the jobs to resolve with: the `added` event and the
   * caller get the same snapshot (a `Job` is read-only), one conversion per job.
   */
  private announce(inserted: Inserted[], backoffFns: (BackoffFunction | undefined)[]): Job[] {
    // `added` also wakes idle runners in every tab: no separate wake message.
    let replaced = 0;
    const jobs = inserted.map(({ job }) => toJob(job));
    inserted.forEach(({ job, created, failed }, i) => {
      const fn = backoffFns[i];
      if ((created || inserted[i]?.replaced) && fn && fn !== this[INTERNALS].defaultBackoffFn) this[INTERNALS].backoffFns.set(job.id, fn);
      if (created) this.hub.emit({ kind: 'job', event: 'added', job: jobs[i] as Job });
      for (const rec of failed ?? []) this.hub.emit({ kind: 'job', event: 'failed', job: toJob(rec) });
      if (inserted[i]?.replaced) replaced += 1;
    });
    // A replaced job may run sooner now (a debounce moved): runners and dashboards look again.
    if (replaced > 0) {
      this.hub.emit({ kind: 'changed', change: { action: 'replace', count: replaced } });
      this.hub.emit({ kind: 'wake' });
    }
    return jobs;
  }

  async add<N extends keyof M & string>(name: N, data: DataOf<M[N]>, options?: JobOptions): Promise<JobOf<M, N>> {
    this.assertOpen();
    const { draft, backoffFn } = this.draft(name, data, options, this.env.now());
    const index = draft.plan?.dependsOn.findIndex((dep) => typeof dep === 'number') ?? -1;
    if (index >= 0) {
      throw new TypeError(`Expected \`dependsOn[${String(index)}]\` to be a job id (string), got ${describe(draft.plan?.dependsOn[index])}: the index of an earlier item works only in addBulk`);
    }
    const inserted = await this.guard(`add job "${String(name)}"`, () => insertJobs(this.engine, [draft], { guess: true }));
    return this.announce(inserted, [backoffFn])[0] as JobOf<M, N>;
  }

  async addBulk(items: BulkItem<M>[]): Promise<JobOf<M>[]> {
    this.assertOpen();
    if (!Array.isArray(items)) throw new TypeError(`Expected \`items\` of addBulk to be an array of { name, data, options? }, got ${describe(items)}`);
    const now = this.env.now();
    const prepared = items.map((item, i) => {
      if (!isPlainObject(item)) throw new TypeError(`Expected addBulk item ${String(i)} to be { name, data, options? }, got ${describe(item)}`);
      return this.draft(item.name, item.data, item.options, now);
    });
    if (prepared.length === 0) return [];
    const inserted = await this.guard('add jobs in bulk', () => insertJobs(this.engine, prepared.map((p) => p.draft), { guess: true }));
    return this.announce(inserted, prepared.map((p) => p.backoffFn)) as JobOf<M>[];
  }

  async get(id: string): Promise<JobOf<M> | undefined> {
    checkId(id);
    const rec = await this.guard('read a job', () => getJob(this.engine, id));
    return rec && (toJob(rec) as JobOf<M>);
  }

  async list<N extends keyof M & string = keyof M & string>(input: ListOptions<N> = {}): Promise<JobOf<M, N>[]> {
    const options = input;
    if (!isPlainObject(input)) throw new TypeError(`Expected \`options\` of list to be an object, got ${describe(options)}`);
    for (const key of Object.keys(options)) {
      if (!['state', 'name', 'limit', 'offset'].includes(key)) throw new TypeError(`Unknown list option \`${key}\`: expected state, name, limit or offset`);
    }
    if (options.state !== undefined && !JOB_STATES.includes(options.state as JobState)) throw new TypeError(`Expected \`state\` to be one of ${JOB_STATES.join(', ')}, got ${describe(options.state)}`);
    if (options.name !== undefined) checkJobName(options.name);
    const limit = options.limit === undefined ? DEFAULT_LIST_LIMIT : checkNumber('limit', options.limit, { integer: true });
    const offset = options.offset === undefined ? 0 : checkNumber('offset', options.offset, { integer: true });
    const recs = await this.guard('list jobs', () => listJobs(this.engine, { ...options, limit, offset }));
    return recs.map((r) => toJob(r) as JobOf<M, N>);
  }

  counts(): Promise<Record<JobState, number>> {
    return this.guard('count jobs', () => countJobs(this.engine));
  }

  waitFor(target: string | { readonly id: string }, options?: WaitOptions): Promise<never> {
    let id: string;
    try {
      id = typeof target === 'object' && target !== null ? target.id : (target as string);
      checkId(id);
      checkWaitOptions(options);
      this.assertOpen();
    } catch (error) {
      // A promise-returning call rejects; it never throws synchronously.
      return Promise.reject(error);
    }
    const { timeout, signal } = options ?? {};
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<never>((resolve, reject) => {
      let settled = false;
      let timer: unknown;
      const closers = this[INTERNALS].closers;
      const onClose = async () => fail(new JobrailError(`Queue "${this.name}" was closed while waiting for job ${id}`));
      const onAbort = () => fail(signal?.reason);
      const done = () => {
        settled = true;
        unsubscribe();
        closers.delete(onClose);
        signal?.removeEventListener('abort', onAbort);
        if (timer !== undefined) this.env.clearTimeout(timer);
      };
      const fail = (error: unknown) => {
        if (settled) return;
        done();
        reject(error);
      };
      const finish = (job: Job) => {
        if (settled || (job.state !== 'completed' && job.state !== 'failed')) return;
        done();
        if (job.state === 'completed') resolve(job.result as never);
        else reject(new JobFailedError(job));
      };
      // Subscribe before reading, so a completion between the two is not missed.
      const unsubscribe = this.hub.subscribe((msg: QueueMessage) => {
        // Many jobs changed, or another process wrote (SQLite): the job is read again.
        if (msg.kind === 'changed') {
          getJob(this.engine, id).then((rec) => rec && finish(toJob(rec)), () => undefined);
          return;
        }
        if (msg.kind !== 'job' || msg.job.id !== id) return;
        if (msg.event === 'removed') fail(new JobrailError(`Job ${id} was removed before it finished`));
        else finish(msg.job);
      });
      closers.add(onClose);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeout !== undefined) {
        timer = this.env.setTimeout(() => {
          timer = undefined;
          fail(new TimeoutError(`Job ${id} did not finish within the waitFor timeout of ${String(timeout)} ms (the job itself goes on)`));
        }, timeout);
      }
      getJob(this.engine, id).then(
        (rec) => {
          if (rec) return finish(toJob(rec));
          // Deleted on completion (removeOnComplete) before the wait began: its outcome was kept.
          const kept = this.recentOutcome(id);
          if (kept) finish(kept);
          else fail(new JobrailError(`No job with id ${JSON.stringify(id)} in queue "${this.name}" (a job that finished more than ${String(KEEP_OUTCOMES_MS / 1000)} s ago and was removed is forgotten)`));
        },
        (error: unknown) => fail(storageError('read a job', error)),
      );
    });
  }

  /** Remembers outcomes for `waitFor` (see {@link KEEP_OUTCOMES_MS}); forgets a job that changes again. */
  private keepOutcome(msg: QueueMessage): void {
    if (msg.kind !== 'job') return;
    const { job, event } = msg;
    this.outcomes.delete(job.id);
    if (event !== 'completed' && event !== 'failed') return;
    const now = this.env.now();
    this.outcomes.set(job.id, { job, at: now });
    for (const [key, kept] of this.outcomes) {
      if (this.outcomes.size <= KEEP_OUTCOMES_COUNT && now - kept.at <= KEEP_OUTCOMES_MS) break;
      this.outcomes.delete(key);
    }
  }

  private recentOutcome(id: string): Job | undefined {
    const kept = this.outcomes.get(id);
    return kept && this.env.now() - kept.at <= KEEP_OUTCOMES_MS ? kept.job : undefined;
  }

  async retry(id: string): Promise<number> {
    checkId(id);
    const rec = await this.guard('retry a job', () => retryJob(this.engine, id, this.env.now()));
    if (!rec) {
      const current = await getJob(this.engine, id);
      throw new JobrailError(
        current
          ? `Job ${id} is ${current.state}: only failed jobs can be retried`
          : `No job with id ${JSON.stringify(id)} in queue "${this.name}"`,
      );
    }
    this.hub.emit({ kind: 'changed', change: { action: 'retry', count: 1 } });
    this.hub.emit({ kind: 'wake' });
    return 1;
  }

  async retryFailed(): Promise<number> {
    const recs = await this.guard('retry failed jobs', () => retryAllFailed(this.engine, this.env.now()));
    if (recs.length > 0) {
      this.hub.emit({ kind: 'changed', change: { action: 'retryFailed', count: recs.length } });
      this.hub.emit({ kind: 'wake' });
    }
    return recs.length;
  }

  async remove(id: string): Promise<boolean> {
    checkId(id);
    const removed = await this.guard('remove a job', () => removeJob(this.engine, id, this.env.now()));
    if (!removed) return false;
    this[INTERNALS].backoffFns.delete(id);
    this.hub.emit({ kind: 'job', event: 'removed', job: toJob(removed.job) });
    for (const rec of removed.cascade) this.hub.emit({ kind: 'job', event: 'failed', job: toJob(rec) });
    return true;
  }

  async clean(options: CleanOptions): Promise<number> {
    if (!isPlainObject(options)) throw new TypeError(`Expected \`options\` of clean to be { state: 'completed' | 'failed', olderThan?, limit? }, got ${describe(options)}`);
    for (const key of Object.keys(options)) {
      if (!['state', 'olderThan', 'limit'].includes(key)) throw new TypeError(`Unknown clean option \`${key}\`: expected state, olderThan or limit`);
    }
    if (options.state !== 'completed' && options.state !== 'failed') throw new TypeError(`Expected \`state\` of clean to be 'completed' or 'failed', got ${describe(options.state)}`);
    const olderThan = options.olderThan === undefined ? 0 : checkNumber('olderThan', options.olderThan);
    const limit = options.limit === undefined ? Infinity : checkNumber('limit', options.limit, { integer: true });
    const removed = await this.guard('clean jobs', () => cleanJobs(this.engine, options.state, olderThan, limit, this.env.now()));
    for (const rec of removed) this[INTERNALS].backoffFns.delete(rec.id);
    if (removed.length > 0) this.hub.emit({ kind: 'changed', change: { action: 'clean', count: removed.length } });
    return removed.length;
  }

  async pause(): Promise<void> {
    await this.guard('pause the queue', () => setPaused(this.engine, true));
    this.hub.emit({ kind: 'paused', paused: true });
  }

  async resume(): Promise<void> {
    await this.guard('resume the queue', () => setPaused(this.engine, false));
    this.hub.emit({ kind: 'paused', paused: false });
    this.hub.emit({ kind: 'wake' });
  }

  isPaused(): Promise<boolean> {
    return this.guard('read the paused flag', () => readPaused(this.engine));
  }

  runners(): Promise<number> {
    return this.guard('count the runners', () => countRunners(this.name, this.env));
  }

  async schedule<N extends keyof M & string>(id: string, spec: ScheduleSpec, name: N, data?: M[N], options?: ScheduleJobOptions): Promise<ScheduleInfo<M[N], N>> {
    this.assertOpen();
    const now = this.env.now();
    // Schedule code (and croner) is loaded by the first call: most queues have no schedule.
    const { prepareSchedule, toScheduleInfo, upsertSchedule } = await import('./schedule.js');
    const prepared = await prepareSchedule({ id, spec, name, data, options }, this.defaults, this.maxDataBytes, now, this[INTERNALS].backoffStrategies);
    const rec = await this.guard(`save schedule "${id}"`, () => upsertSchedule(this.engine, prepared, now));
    // Every tab's runners re-read the schedules and re-arm their timers.
    this.hub.emit({ kind: 'changed' });
    return toScheduleInfo(rec) as ScheduleInfo<M[N], N>;
  }

  async unschedule(id: string): Promise<boolean> {
    const { checkScheduleId, deleteSchedule } = await import('./schedule.js');
    checkScheduleId(id);
    const removed = await this.guard(`remove schedule "${id}"`, () => deleteSchedule(this.engine, id));
    if (removed) this.hub.emit({ kind: 'changed' });
    return removed;
  }

  async schedules(): Promise<ScheduleInfo<M[keyof M & string], keyof M & string>[]> {
    const { listSchedules, toScheduleInfo } = await import('./schedule.js');
    const recs = await this.guard('list schedules', () => listSchedules(this.engine));
    return recs.map((r) => toScheduleInfo(r) as ScheduleInfo<M[keyof M & string], keyof M & string>);
  }

  on(event: QueueEventName, listener: (arg: never) => void): () => void {
    this.assertOpen();
    const names: QueueEventName[] = ['added', 'active', 'progress', 'completed', 'retrying', 'failed', 'removed', 'drained', 'paused', 'resumed', 'changed'];
    if (!names.includes(event)) throw new TypeError(`Unknown event ${describe(event)}: expected one of ${names.join(', ')}`);
    if (typeof listener !== 'function') throw new TypeError(`Expected \`listener\` to be a function, got ${describe(listener)}`);
    return this.hub.on(event, listener as (arg?: Job | QueueChange) => void);
  }

  persist(): Promise<StorageStatus> {
    try {
      this.assertOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    return requestPersistence(this.env.storage, this.engine.durable);
  }

  storageStatus(): Promise<StorageStatus> {
    try {
      this.assertOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    return readStorageStatus(this.env.storage, this.engine.durable);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closers = [...this[INTERNALS].closers];
    this[INTERNALS].closers.clear();
    await Promise.all(closers.map((close) => close()));
    this.hub.close();
    this.releaseEngine();
    if (this.engine instanceof IdbEngine) this.engine.close();
  }
}

function checkWaitOptions(options: unknown): void {
  if (options === undefined) return;
  if (!isPlainObject(options)) throw new TypeError(`Expected \`options\` of waitFor to be { timeout?, signal? }, got ${describe(options)}`);
  for (const key of Object.keys(options)) {
    if (key !== 'timeout' && key !== 'signal') throw new TypeError(`Unknown waitFor option \`${key}\`: expected timeout or signal`);
  }
  const o = options as WaitOptions;
  if (o.timeout !== undefined) checkNumber('timeout', o.timeout, { min: 0 });
  if (o.signal !== undefined && !(typeof o.signal === 'object' && o.signal !== null && typeof (o.signal as AbortSignal).addEventListener === 'function' && 'aborted' in o.signal)) {
    throw new TypeError(`Expected \`signal\` to be an AbortSignal, got ${describe(o.signal)}`);
  }
}

function checkId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || id.length === 0) throw new TypeError(`Expected job \`id\` to be a non-empty string, got ${describe(id)}`);
}
