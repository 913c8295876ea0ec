import { report } from './errors.js';
import { registerStrategies } from './backoff.js';
import { Dispatcher } from './dispatcher.js';
import { pageExecutor, type Executor } from './executor.js';
import { RunnerLease } from './lease.js';
import { describe } from './options.js';
import { checkRunnerOptions, type RunnerOptions } from './runner-options.js';
import { INTERNALS } from './internals.js';
import type { Queue } from './queue.js';
import type { Environment } from './environment.js';
import type { JobMap } from './types.js';

export type { RunnerOptions } from './runner-options.js';

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
  registerStrategies(internals.backoffStrategies, o.backoffStrategies);
  const env = internals.env;
  const dispatchOptions = { concurrency: o.concurrency, maxCrashes: o.maxCrashes, limiter: o.limiter, leaseMs: o.leaseMs };
  let lease: RunnerLease;
  let executor: Executor;
  let dispatcher: Dispatcher;
  const begin = (): Promise<void> => {
    lease = new RunnerLease(internals.name, env);
    executor = o.handlers
      ? pageExecutor(o.handlers, { gracePeriod: o.gracePeriod, setTimeout: env.setTimeout, clearTimeout: env.clearTimeout })
      : lazyWorkerPool(o.worker as () => Worker, { size: o.workers, gracePeriod: o.gracePeriod, env }, lease);
    dispatcher = new Dispatcher(internals, executor, dispatchOptions, lease);
    lease.onLost = () => {
      suspend();
      resume();
    };
    return dispatcher.start();
  };
  let stopped = false;
  let suspended = false;
  /**
   * Frozen, or into the back/forward cache: let go of everything at once, before the page
   * stops running code, so that other tabs take the jobs over (their attempts count) instead
   * of waiting for a page that may never come back. Workers are terminated now, which
   * releases their locks; page handlers see their signal abort.
   */
  const suspend = () => {
    if (stopped || suspended) return;
    suspended = true;
    void dispatcher.stop({ timeout: 0 });
    void executor.close();
    lease.dispose();
  };
  /** Back: a new runner (new lock, new owner id, new workers), as if the tab had just started it. */
  const resume = () => {
    if (stopped || !suspended) return;
    try {
      internals.assertOpen();
    } catch {
      return;
    }
    suspended = false;
    begin().catch(report);
  };
  const ready = begin();
  ready.catch(() => undefined);
  const offSuspend = env.onSuspend((frozen) => (frozen ? suspend() : resume()));
  return {
    ready,
    stop: (opts) => {
      stopped = true;
      offSuspend();
      return dispatcher.stop(opts);
    },
    get inFlight() {
      return dispatcher.inFlight;
    },
  };
}
