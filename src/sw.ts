/**
 * `jobrail/sw`: run a queue's jobs from a service worker when the browser fires Background
 * Sync's `sync` event, so `requiresNetwork` jobs added while offline are sent once the
 * network is back, even if every tab was closed in the meantime.
 *
 * Runners in pages register the tag `jobrail:<queue>` by themselves while offline jobs wait
 * (see `requestBackgroundSync` in the main entry). In the service worker:
 *
 * @example
 * // sw.ts, registered with navigator.serviceWorker.register('/sw.js', { type: 'module' })
 * import { registerSyncHandler } from 'jobrail/sw';
 * registerSyncHandler({
 *   queue: 'outbox',
 *   handlers: { upload: async (data, ctx) => { await fetch(data.url, { method: 'PUT', body: data.body, signal: ctx.signal }); } },
 * });
 *
 * Where Background Sync is missing (Firefox, Safari at the time of writing), no `sync` event
 * ever comes: the jobs wait in IndexedDB and run the next time a tab runs the queue online.
 */
import { registerStrategies } from './backoff.js';
import { syncTag } from './background-sync.js';
import { Dispatcher } from './dispatcher.js';
import { JobrailError } from './errors.js';
import { pageExecutor, type Executor } from './executor.js';
import { RunnerLease } from './lease.js';
import { checkDrainOptions, type DrainOptions } from './runner-options.js';
import { INTERNALS } from './internals.js';
import { openQueue } from './queue.js';
import { prefix, type Engine } from './store/engine.js';
import type { Handlers, JobMap } from './types.js';

export type { DrainOptions } from './runner-options.js';

export { syncTag } from './background-sync.js';
export { JobrailError, PermanentError, TimeoutError, JobFailedError, RetryLaterError } from './errors.js';
export type { BackoffStrategy, DataOf, Handler, HandlerContext, Handlers, Job, JobDef, JobMap, NamedBackoff, ResultOf } from './types.js';

/** What a service worker's `sync` event offers (typed here: the DOM lib lacks SyncEvent). */
export interface SyncEventLike {
  readonly tag: string;
  /** True on the browser's last try for this registration. */
  readonly lastChance?: boolean;
  waitUntil(promise: Promise<unknown>): void;
}

/** How a drain ended. */
export interface DrainResult {
  /**
   * - `drained`: nothing left that could run now (jobs backing off past the budget wait for a tab or the next sync)
   * - `offline`: `requiresNetwork` jobs wait but the network is gone again
   * - `budget`: the time budget ran out
   * - `paused`: the queue is paused
   * - `missing-handler`: a job has no handler in the service worker (see `missingHandler`)
   */
  reason: 'drained' | 'offline' | 'budget' | 'paused' | 'missing-handler';
  /** Attempts this drain ran. */
  attempts: number;
  /** Jobs ready to run that did not run (0 once drained). */
  remaining: number;
  /** The job name without a handler, when `reason` is `missing-handler`. */
  missingHandler?: string;
}

/** How long running attempts may take to end once the budget ran out. */
export const STOP_GRACE_MS = 10_000;

/** How often a drain looks again while it waits on other tabs or the limiter. */
const LOOK_AGAIN_MS = 1000;

interface Look {
  paused: boolean;
  /** A job this runner could claim now (if concurrency and the limiter allow). */
  runnable: boolean;
  /** A `requiresNetwork` job is ready but the network is down. */
  waitingForNetwork: boolean;
  /** When the earliest delayed or backing-off job becomes ready. */
  nextDue: number | undefined;
}

function lookAround(engine: Engine, online: boolean): Promise<Look> {
  return engine.read(async (tx) => {
    const plain = await tx.first('ready', prefix(0));
    const network = await tx.first('ready', prefix(1));
    const due = await tx.first('due');
    return {
      paused: (await tx.getMeta<boolean>('paused')) === true,
      runnable: plain !== undefined || (online && network !== undefined),
      waitingForNetwork: !online && network !== undefined,
      nextDue: due ? ((due.key as number[])[0] as number) : undefined,
    };
  });
}

const hasOwn = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/**
 * Opens the queue in this (service) worker, runs its jobs with `handlers` until nothing is
 * left that can run now, or the budget runs out, then stops and closes the queue. Also
 * usable outside `sync` (e.g. on a `message` or `periodicsync` event). Schedules do not
 * fire from a drain.
 */
export async function drainQueue<M extends JobMap = JobMap>(options: DrainOptions<M>): Promise<DrainResult> {
  const o = checkDrainOptions(options);
  const queue = await openQueue(o.queue, o.queueOptions);
  const q = queue[INTERNALS];
  try {
    registerStrategies(q.backoffStrategies, o.backoffStrategies);
  } catch (error) {
    await queue.close();
    throw error;
  }
  const { env } = q;
  const deadline = env.now() + o.budget;
  let attempts = 0;
  let missing: string | undefined;
  let version = 0;
  let wakeUp: (() => void) | undefined;
  const bump = () => {
    version += 1;
    wakeUp?.();
  };
  const inPage = pageExecutor(o.handlers as Handlers);
  const executor: Executor = {
    run: async (attempt) => {
      if (!hasOwn(o.handlers, attempt.job.name)) {
        missing ??= attempt.job.name;
        // Stop claiming now: the drain ends, and the job must stay ready for a page.
        void dispatcher.stop({ timeout: STOP_GRACE_MS }).catch(() => undefined);
        bump();
        // Uncounted and ready again at once: a page with the handler runs it.
        const message = `No handler for job "${attempt.job.name}" in the service worker: give drainQueue/handleSync/registerSyncHandler a handler for every job name of queue "${o.queue}"`;
        return { ok: false, error: { name: 'RetryLaterError', message, delay: 0 } };
      }
      attempts += 1;
      return inPage.run(attempt);
    },
    close: async () => {},
  };
  const dispatcher = new Dispatcher(
    q,
    executor,
    { concurrency: o.concurrency, maxCrashes: o.maxCrashes, limiter: o.limiter, leaseMs: o.leaseMs, schedules: false },
    new RunnerLease(q.name, env),
  );
  const cleanups = [q.hub.subscribe(bump), env.onOnlineChange(bump)];
  let reason: DrainResult['reason'] = 'drained';
  try {
    await dispatcher.start();
    for (;;) {
      const seen = version;
      if (missing !== undefined) {
        reason = 'missing-handler';
        break;
      }
      const look = await lookAround(q.engine, env.isOnline());
      if (look.paused) {
        reason = 'paused';
        break;
      }
      if (dispatcher.inFlight === 0 && !look.runnable) {
        if (look.waitingForNetwork) {
          reason = 'offline';
          break;
        }
        if (look.nextDue === undefined || look.nextDue > deadline) break;
      }
      const now = env.now();
      if (now >= deadline) {
        reason = 'budget';
        break;
      }
      if (version !== seen) continue;
      const at = Math.min(deadline, look.nextDue ?? Infinity, now + LOOK_AGAIN_MS);
      await new Promise<void>((resolve) => {
        const finish = () => {
          env.clearTimeout(timer);
          wakeUp = undefined;
          resolve();
        };
        const timer = env.setTimeout(finish, Math.max(0, at - now));
        wakeUp = finish;
      });
    }
  } finally {
    for (const cleanup of cleanups) cleanup();
    // Graceful: an attempt still running gets STOP_GRACE_MS before it is cut off (which counts).
    await dispatcher.stop({ timeout: STOP_GRACE_MS }).catch(() => undefined);
  }
  let remaining = 0;
  try {
    remaining = await q.engine.read((tx) => tx.count('ready'));
  } finally {
    await queue.close();
  }
  const result: DrainResult = { reason, attempts, remaining };
  if (missing !== undefined) result.missingHandler = missing;
  return result;
}

/**
 * Handles a `sync` event if its tag is this queue's (`jobrail:<queue>`): keeps the service
 * worker alive with `waitUntil` while it drains the queue. Returns whether the event was
 * the queue's. When jobs were left undone (offline again, budget, missing handler), the
 * `waitUntil` promise rejects so the browser tries the sync again later, except on its
 * `lastChance`.
 */
export function handleSync<M extends JobMap = JobMap>(event: SyncEventLike, options: DrainOptions<M>): boolean {
  const name = checkDrainOptions(options).queue;
  if (event.tag !== syncTag(name)) return false;
  event.waitUntil(
    drainQueue(options).then((result) => {
      if (result.remaining > 0 && event.lastChance !== true) {
        const why = result.reason === 'missing-handler' ? `no handler for job "${String(result.missingHandler)}"` : result.reason;
        throw new JobrailError(`jobrail: ${String(result.remaining)} job(s) of queue "${name}" are still waiting (${why}); the browser will try the sync again`);
      }
      return result;
    }),
  );
  return true;
}

/**
 * Listens to `sync` events in this service worker and drains the queue on its tag. Call it
 * at the top level of the service worker script. Returns the function that stops listening.
 */
export function registerSyncHandler<M extends JobMap = JobMap>(
  options: DrainOptions<M>,
  scope: { addEventListener(type: 'sync', listener: (event: SyncEventLike) => void): void; removeEventListener(type: 'sync', listener: (event: SyncEventLike) => void): void } = globalThis as never,
): () => void {
  checkDrainOptions(options);
  const listener = (event: SyncEventLike) => {
    handleSync(event, options);
  };
  scope.addEventListener('sync', listener);
  return () => scope.removeEventListener('sync', listener);
}
