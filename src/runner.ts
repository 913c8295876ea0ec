import { Dispatcher } from './dispatcher.js';
import { pageExecutor, type Executor } from './executor.js';
import { DEFAULT_LEASE_MS, RunnerLease } from './lease.js';
import { checkNumber, describe, isPlainObject } from './options.js';
import { INTERNALS } from './internals.js';
import type { Queue } from './queue.js';
import type { Environment } from './environment.js';
import type { Handlers, JobMap } from './types.js';

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
}

/** A started runner. */
export interface Runner {
  /** Resolves once the runner holds its lock and has made its first claim pass. */
  readonly ready: Promise<void>;
  /**
   * Stops claiming and waits for in-flight attempts (graceful). With `timeout`, attempts
   * still running after it have their `signal` aborted and their jobs go back to the queue.
   */
  stop(options?: { timeout?: number }): Promise<void>;
  /** Attempts running in this runner now. */
  readonly inFlight: number;
}

const KEYS = new Set(['handlers', 'worker', 'workers', 'concurrency', 'maxCrashes', 'limiter', 'leaseMs', 'gracePeriod']);

function checkRunnerOptions(options: unknown): RunnerOptions {
  if (!isPlainObject(options)) throw new TypeError(`Expected \`options\` of startWorkers to be an object with \`handlers\` or \`worker\`, got ${describe(options)}`);
  for (const key of Object.keys(options)) {
    if (!KEYS.has(key)) throw new TypeError(`Unknown startWorkers option \`${key}\`: expected one of ${[...KEYS].join(', ')}`);
  }
  const o = options as RunnerOptions;
  if ((o.handlers === undefined) === (o.worker === undefined)) {
    throw new TypeError('Give startWorkers either `handlers` (run in the page) or `worker` (a function that creates a Web Worker), not both or neither');
  }
  if (o.handlers !== undefined) {
    if (!isPlainObject(o.handlers)) throw new TypeError(`Expected \`handlers\` to be an object of functions by job name, got ${describe(o.handlers)}`);
    for (const [name, fn] of Object.entries(o.handlers)) {
      if (typeof fn !== 'function') throw new TypeError(`Expected handler \`${name}\` to be a function, got ${describe(fn)}`);
    }
    if (o.workers !== undefined) throw new TypeError('`workers` goes with `worker`, not with `handlers`');
  }
  if (o.worker !== undefined && typeof o.worker !== 'function') throw new TypeError(`Expected \`worker\` to be a function that returns a new Worker, got ${describe(o.worker)}`);
  if (o.workers !== undefined) checkNumber('workers', o.workers, { integer: true, min: 1 });
  if (o.concurrency !== undefined) checkNumber('concurrency', o.concurrency, { integer: true, min: 1 });
  if (o.maxCrashes !== undefined) checkNumber('maxCrashes', o.maxCrashes, { integer: true, min: 1 });
  if (o.leaseMs !== undefined) checkNumber('leaseMs', o.leaseMs, { min: 1 });
  if (o.gracePeriod !== undefined) checkNumber('gracePeriod', o.gracePeriod);
  if (o.limiter !== undefined) {
    if (!isPlainObject(o.limiter)) throw new TypeError(`Expected \`limiter\` to be { max, duration }, got ${describe(o.limiter)}`);
    checkNumber('limiter.max', o.limiter.max, { integer: true, min: 1 });
    checkNumber('limiter.duration', o.limiter.duration, { exclusiveMin: true });
  }
  return o;
}

/**
 * The worker pool, loaded when a runner with `worker` starts: apps that run handlers on the
 * page never download it, nor comlink. `start()` is awaited before any `run`.
 */
function lazyWorkerPool(factory: () => Worker, options: { size: number; gracePeriod: number; env: Environment }, lease: RunnerLease): Executor {
  let pool: Executor | undefined;
  let closed = false;
  return {
    async start() {
      const { workerLockName, workerPool } = await import('./worker-pool.js');
      if (closed) return; // stopped while the chunk loaded: start no worker
      pool = workerPool(factory, { ...options, lockName: () => workerLockName(lease.lockName, options.env) });
      await pool.start?.();
    },
    run: (attempt) => (pool as Executor).run(attempt),
    close: async () => {
      closed = true;
      await pool?.close();
    },
  };
}

/**
 * Starts running the queue's jobs in this tab: handlers in the page, or in a pool of Web
 * Workers. Several tabs may run the same queue; no job runs in two places at once.
 *
 * @example
 * const runner = startWorkers(queue, { handlers: { email: async (data) => send(data) }, concurrency: 4 });
 * await runner.stop();
 */
export function startWorkers<M extends JobMap>(queue: Queue<M>, options: RunnerOptions<M>): Runner {
  const internals = (queue as Partial<Queue<M>> | undefined)?.[INTERNALS];
  if (!internals) throw new TypeError(`Expected \`queue\` to be a queue from openQueue(), got ${describe(queue)}`);
  internals.assertOpen();
  const o = checkRunnerOptions(options);
  const concurrency = o.concurrency ?? 1;
  const env = internals.env;
  const lease = new RunnerLease(internals.name, env);
  const executor: Executor = o.handlers
    ? pageExecutor(o.handlers as Handlers, { gracePeriod: o.gracePeriod ?? 1000, setTimeout: env.setTimeout, clearTimeout: env.clearTimeout })
    : lazyWorkerPool(o.worker as () => Worker, { size: o.workers ?? 1, gracePeriod: o.gracePeriod ?? 1000, env }, lease);
  const dispatcher = new Dispatcher(
    internals,
    executor,
    { concurrency, maxCrashes: o.maxCrashes ?? 2, limiter: o.limiter, leaseMs: o.leaseMs ?? DEFAULT_LEASE_MS },
    lease,
  );
  const ready = dispatcher.start();
  ready.catch(() => undefined);
  return {
    ready,
    stop: (opts) => dispatcher.stop(opts),
    get inFlight() {
      return dispatcher.inFlight;
    },
  };
}
