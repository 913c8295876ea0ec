/**
 * The options of the runners, validated and given their defaults in one place: `startWorkers`
 * (page handlers or a worker pool) and the service-worker drain (`jobrail/sw`). Every default
 * is written once, in {@link RUNNER_DEFAULTS} and {@link DRAIN_DEFAULTS}.
 */
import { checkBackoffStrategies, checkHandlers, checkNumber, describe, isPlainObject } from './options.js';
import type { BackoffStrategy, Handlers, JobMap, QueueOptions } from './types.js';

/** Defaults of `startWorkers` options; the drain shares those it also has. */
export const RUNNER_DEFAULTS = {
  concurrency: 1,
  maxCrashes: 2,
  workers: 1,
  gracePeriod: 1000,
  /** Time lease where Web Locks are missing: the holder renews at a third of it. */
  leaseMs: 10_000,
} as const;

/** Defaults of the drain's own options. */
export const DRAIN_DEFAULTS = {
  queue: 'default',
  /** Browsers stop a `sync` event after a few minutes (Chrome: 3). */
  budget: 120_000,
} as const;

type Limiter = { max: number; duration: number };

/** Options of `startWorkers`: `handlers` (run in the page) or `worker` (run in Web Workers). */
export interface RunnerOptions<M extends JobMap = JobMap> {
  /** Handlers by job name, run on the page's thread. Not with `worker`. */
  handlers?: Handlers<M>;
  /** Creates one module Web Worker that calls `serveHandlers` from `jobrail/worker`. Not with `handlers`. */
  worker?: () => Worker;
  /** Size of the worker pool. @default 1 */
  workers?: number;
  /** Jobs in flight for this queue across all tabs. @default 1 */
  concurrency?: number;
  /** A job whose attempts killed or hung their worker this many times goes to `failed`. @default 2 */
  maxCrashes?: number;
  /** At most `max` jobs started per `duration` ms, across all tabs. */
  limiter?: { max: number; duration: number };
  /**
   * Where Web Locks are missing, a runner's hold on a job is a time lease of this many ms,
   * renewed at a third of it; a job whose runner died is taken over after it runs out.
   * @default 10_000
   */
  leaseMs?: number;
  /**
   * A handler whose `signal` aborted (timeout, removal) has this long to stop: in a worker,
   * then its worker is terminated; on the page, then the attempt fails anyway. @default 1000
   */
  gracePeriod?: number;
  /**
   * Named backoff strategies, for jobs added with `backoff: { type: name, delay? }`, e.g.
   * `{ linear: (attempt) => attempt * 1000 }`. Registered on the queue object for as long as
   * it is open, so its adds may name them too. Give every runner of the queue (every tab, the
   * service-worker drain) the same ones: a job naming a strategy its runner does not know
   * fails at the retry with a JobrailError that says how to register it.
   */
  backoffStrategies?: Record<string, BackoffStrategy>;
}

/** Options of `drainQueue`, `handleSync` and `registerSyncHandler`. */
export interface DrainOptions<M extends JobMap = JobMap> {
  /** Name of the queue, as given to `openQueue` in the pages. @default 'default' */
  queue?: string;
  /**
   * Handlers by job name, run in the service worker. Give one for every job name the queue
   * holds: a job without one is left for a page (its attempt does not count) and the drain
   * stops, because it would otherwise stand in front of the jobs behind it.
   */
  handlers: Handlers<M>;
  /** Jobs run at once (across all tabs, as in `startWorkers`). @default 1 */
  concurrency?: number;
  /** The same `{ max, duration }` limiter the pages' runners use. */
  limiter?: { max: number; duration: number };
  /** As in `startWorkers`. @default 2 */
  maxCrashes?: number;
  /**
   * Time budget in ms. When it runs out, running attempts get `STOP_GRACE_MS` (10 s) to end
   * (then they are cut off, which counts as an attempt) and the drain stops. Browsers stop a `sync` event after a few minutes (Chrome: 3). @default 120_000
   */
  budget?: number;
  /** Passed to `openQueue` (e.g. `defaults`, or an injected `environment` in tests). */
  queueOptions?: QueueOptions;
  /**
   * Named backoff strategies, for jobs added with `backoff: { type: name, delay? }`, e.g.
   * `{ linear: (attempt) => attempt * 1000 }`: the same ones as the pages' runners (see
   * `startWorkers`). A job naming a strategy the drain does not know fails at the retry with
   * a JobrailError that says how to register it.
   */
  backoffStrategies?: Record<string, BackoffStrategy>;
}

/** `startWorkers` options once checked, every default filled in. */
export interface RunnerConfig {
  handlers: Handlers | undefined;
  worker: (() => Worker) | undefined;
  workers: number;
  concurrency: number;
  maxCrashes: number;
  limiter: Limiter | undefined;
  leaseMs: number;
  gracePeriod: number;
  backoffStrategies: Map<string, BackoffStrategy>;
}

/** Drain options once checked, every default filled in. */
export interface DrainConfig {
  queue: string;
  handlers: Handlers;
  concurrency: number;
  maxCrashes: number;
  limiter: Limiter | undefined;
  leaseMs: number;
  budget: number;
  queueOptions: QueueOptions | undefined;
  backoffStrategies: Map<string, BackoffStrategy>;
}

function checkLimiter(value: unknown): Limiter | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) throw new TypeError(`Expected \`limiter\` to be { max, duration }, got ${describe(value)}`);
  checkNumber('limiter.max', value.max, { integer: true, min: 1 });
  checkNumber('limiter.duration', value.duration, { exclusiveMin: true });
  return value as Limiter;
}

function checkKeys(options: Record<string, unknown>, keys: Set<string>, what: string): void {
  for (const key of Object.keys(options)) {
    if (!keys.has(key)) throw new TypeError(`Unknown ${what} \`${key}\`: expected one of ${[...keys].join(', ')}`);
  }
}

const RUNNER_KEYS = new Set(['handlers', 'worker', 'workers', 'concurrency', 'maxCrashes', 'limiter', 'leaseMs', 'gracePeriod', 'backoffStrategies']);

/** Checks `startWorkers` options; every problem is a TypeError or RangeError naming the option. */
export function checkRunnerOptions(options: unknown): RunnerConfig {
  if (!isPlainObject(options)) throw new TypeError(`Expected \`options\` of startWorkers to be an object with \`handlers\` or \`worker\`, got ${describe(options)}`);
  checkKeys(options, RUNNER_KEYS, 'startWorkers option');
  const o = options as RunnerOptions;
  if ((o.handlers === undefined) === (o.worker === undefined)) {
    throw new TypeError('Give startWorkers either `handlers` (run in the page) or `worker` (a function that creates a Web Worker), not both or neither');
  }
  if (o.handlers !== undefined) {
    checkHandlers(o.handlers);
    if (o.workers !== undefined) throw new TypeError('`workers` goes with `worker`, not with `handlers`');
  }
  if (o.worker !== undefined && typeof o.worker !== 'function') throw new TypeError(`Expected \`worker\` to be a function that returns a new Worker, got ${describe(o.worker)}`);
  const d = RUNNER_DEFAULTS;
  return {
    handlers: o.handlers as Handlers | undefined,
    worker: o.worker,
    workers: o.workers === undefined ? d.workers : checkNumber('workers', o.workers, { integer: true, min: 1 }),
    concurrency: o.concurrency === undefined ? d.concurrency : checkNumber('concurrency', o.concurrency, { integer: true, min: 1 }),
    maxCrashes: o.maxCrashes === undefined ? d.maxCrashes : checkNumber('maxCrashes', o.maxCrashes, { integer: true, min: 1 }),
    leaseMs: o.leaseMs === undefined ? d.leaseMs : checkNumber('leaseMs', o.leaseMs, { min: 1 }),
    gracePeriod: o.gracePeriod === undefined ? d.gracePeriod : checkNumber('gracePeriod', o.gracePeriod),
    limiter: checkLimiter(o.limiter),
    backoffStrategies: checkBackoffStrategies(o.backoffStrategies),
  };
}

const DRAIN_KEYS = new Set(['queue', 'handlers', 'concurrency', 'limiter', 'maxCrashes', 'budget', 'queueOptions', 'backoffStrategies']);

/** Checks the options of `drainQueue`, `handleSync` and `registerSyncHandler`. */
export function checkDrainOptions(options: unknown): DrainConfig {
  if (!isPlainObject(options)) throw new TypeError(`Expected options of the jobrail service-worker sync to be { queue, handlers, … }, got ${describe(options)}`);
  checkKeys(options, DRAIN_KEYS, 'option');
  const o = options as unknown as DrainOptions;
  checkHandlers(o.handlers);
  if (o.queue !== undefined && (typeof o.queue !== 'string' || o.queue === '')) throw new TypeError(`Expected \`queue\` to be a queue name, got ${describe(o.queue)}`);
  const d = RUNNER_DEFAULTS;
  return {
    queue: o.queue ?? DRAIN_DEFAULTS.queue,
    handlers: o.handlers as Handlers,
    concurrency: o.concurrency === undefined ? d.concurrency : checkNumber('concurrency', o.concurrency, { integer: true, min: 1 }),
    maxCrashes: o.maxCrashes === undefined ? d.maxCrashes : checkNumber('maxCrashes', o.maxCrashes, { integer: true, min: 1 }),
    budget: o.budget === undefined ? DRAIN_DEFAULTS.budget : checkNumber('budget', o.budget),
    limiter: checkLimiter(o.limiter),
    leaseMs: d.leaseMs,
    queueOptions: o.queueOptions,
    backoffStrategies: checkBackoffStrategies(o.backoffStrategies),
  };
}
