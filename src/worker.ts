/**
 * `jobrail/worker`: the side of jobrail that runs inside a Web Worker. It must not import
 * the main entry (no IndexedDB, no queue code in the worker).
 */
import { expose } from 'comlink';
import { callHandler, handlerContext } from './executor.js';
import { checkHandlers } from './options.js';
import { nextTask } from './next-task.js';
import { JobrailError, serializeError } from './errors.js';
import { fromWireError, HELLO, STARTUP_FAILED, type AttemptResult, type RunOutcome, type RunRequest, type StartupFailure, type WorkerApi } from './protocol.js';
import type { Handlers, JobMap } from './types.js';

export { JobrailError, PermanentError, TimeoutError, JobFailedError, RetryLaterError, ExpiredError, DependencyError } from './errors.js';
export type { DataOf, Handler, HandlerContext, Handlers, Job, JobDef, JobMap, ResultOf, JobState } from './types.js';

/** Set once a pool has said hello: from then on a failure is an attempt's or a crash, not a start-up failure. */
let answered = false;

interface WorkerScope {
  addEventListener(type: 'unhandledrejection', listener: (event: PromiseRejectionEvent) => void): void;
  removeEventListener(type: 'unhandledrejection', listener: (event: PromiseRejectionEvent) => void): void;
  postMessage(message: StartupFailure): void;
}

// An async set-up that rejects before serveHandlers() (e.g. `loadConfig().then(() => serveHandlers(…))`)
// fires no `error` event on the page's Worker: say so at once, instead of the pool waiting out
// its handshake. Only in a dedicated worker, the realm a pool talks to.
const dedicated = (globalThis as { DedicatedWorkerGlobalScope?: new () => unknown }).DedicatedWorkerGlobalScope;
if (dedicated !== undefined && globalThis instanceof dedicated) {
  const scope = globalThis as unknown as WorkerScope;
  const onRejection = (event: PromiseRejectionEvent) => {
    scope.removeEventListener('unhandledrejection', onRejection);
    if (!answered) scope.postMessage({ type: STARTUP_FAILED, error: serializeError(event.reason) });
  };
  scope.addEventListener('unhandledrejection', onRejection);
}

/**
 * Serves job handlers to a runner started with `startWorkers(queue, { worker })`.
 * Call it once, at the top level of the worker module.
 *
 * @example
 * serveHandlers({ upload: async (data, ctx) => { await fetch(data.url, { method: 'PUT', body: data.body, signal: ctx.signal }); } });
 */
export function serveHandlers<M extends JobMap = JobMap>(handlers: Handlers<M>, endpoint: Parameters<typeof expose>[1] = globalThis as never): void {
  checkHandlers(handlers, 'serveHandlers');
  const controllers = new Map<number, AbortController>();
  let report: (runId: number, value: unknown) => Promise<void> = async () => {};
  let send: (batch: RunOutcome[]) => Promise<void> = async () => {};
  // Outcomes wait for the end of the task they arrive in, so attempts that end together
  // (a batch of short jobs) go back in one message.
  const ended: RunOutcome[] = [];
  let flushing = false;
  const flush = () => {
    flushing = false;
    const batch = ended.splice(0);
    send(batch).catch(() => {
      // One outcome could not be cloned (a result such as a function): send them one by one,
      // and in place of one that cannot go, a failure that says why.
      for (const outcome of batch) {
        send([outcome]).catch(() =>
          send([{ runId: outcome.runId, result: { ok: false, error: serializeError(new JobrailError('The result of the handler cannot be sent from the worker: return plain data (structured-cloneable), not functions, DOM nodes or class instances')) } }]),
        );
      }
    });
  };
  const end = (outcome: RunOutcome) => {
    ended.push(outcome);
    if (flushing) return;
    flushing = true;
    void nextTask().then(flush);
  };
  const run = async ({ runId, job, attempt, idempotencyKey, dependencies = {} }: RunRequest): Promise<AttemptResult> => {
    const controller = new AbortController();
    controllers.set(runId, controller);
    try {
      const handler = Object.prototype.hasOwnProperty.call(handlers, job.name) ? (handlers as unknown as Record<string, never>)[job.name] : undefined;
      const ctx = handlerContext({ job, attempt, signal: controller.signal, idempotencyKey, dependencies, progress: (value) => report(runId, value) });
      return await callHandler(handler, job.name, job.data, ctx);
    } finally {
      controllers.delete(runId);
    }
  };
  const api: WorkerApi = {
    hello: () => {
      answered = true;
      return HELLO;
    },
    async init(lockName, progress, outcomes) {
      report = progress;
      send = outcomes;
      const locks = (globalThis as { navigator?: Navigator }).navigator?.locks;
      if (!lockName || !locks) return;
      await new Promise<void>((held) => {
        // Held until the worker dies: its release is how the page learns of the death.
        void locks.request(lockName, () => {
          held();
          return new Promise<never>(() => {});
        });
      });
    },
    start(runs) {
      for (const request of runs) void run(request).then((result) => end({ runId: request.runId, result }));
    },
    abort(runId, reason) {
      controllers.get(runId)?.abort(fromWireError(reason));
    },
  };
  expose(api, endpoint);
}
