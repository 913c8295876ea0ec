import { JobrailError, RetryLaterError, serializeError } from './errors.js';
import { toWireError, type AttemptResult, type WireError } from './protocol.js';
import type { Handler, HandlerContext, Handlers, Job } from './types.js';

/** One attempt handed to an executor. */
export interface Attempt {
  job: Job;
  attempt: number;
  signal: AbortSignal;
  idempotencyKey: string;
  /** Results of the jobs it depends on, by id. */
  dependencies: Record<string, unknown>;
  progress(value: unknown): Promise<void>;
  /** The job crashed a worker before: run it where it cannot take other attempts down. */
  isolate?: boolean;
}

/**
 * Runs attempts somewhere: in the page, or in a pool of Web Workers. `run` resolves only
 * once the attempt can no longer run, so a job is never running twice.
 */
export interface Executor {
  /** Gets ready (e.g. starts workers); a rejection stops the runner. */
  start?(): Promise<void>;
  run(attempt: Attempt): Promise<AttemptResult>;
  close(): Promise<void>;
}

function noHandlerError(name: string): WireError {
  return serializeError(new JobrailError(`No handler for job "${name}": register one under that name (startWorkers({ handlers: { "${name}": … } }) or serveHandlers in the worker)`));
}

/** Builds the `ctx` a handler receives, the same in the page and in a worker. */
export function handlerContext(a: Omit<Attempt, 'progress'> & { progress(value: unknown): Promise<void> }): HandlerContext {
  return {
    job: a.job,
    attempt: a.attempt,
    signal: a.signal,
    idempotencyKey: a.idempotencyKey,
    dependencies: a.dependencies,
    progress: (value) => a.progress(value),
    retryLater: (ms) => {
      throw new RetryLaterError(ms);
    },
  };
}

/** Calls a handler and turns whatever it does into a result, never a rejection. */
export async function callHandler(handler: Handler | undefined, name: string, data: unknown, ctx: HandlerContext): Promise<AttemptResult> {
  if (typeof handler !== 'function') return { ok: false, error: noHandlerError(name) };
  try {
    return { ok: true, value: await handler(data, ctx) };
  } catch (error) {
    return { ok: false, error: toWireError(error) };
  }
}

/** Timers for the page executor's grace period. */
export interface GraceTimers {
  gracePeriod: number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * Runs handlers on the page's own thread. Page code cannot be cut off: on timeout or
 * removal the attempt fails with the signal's reason once the handler has settled, or
 * after `gracePeriod` if it ignores the signal — then it keeps running in the background
 * with its outcome discarded, and its retry may start beside it (prefer workers for code
 * that may not honour its signal).
 */
export function pageExecutor(handlers: Handlers, grace: GraceTimers = { gracePeriod: 0, setTimeout: () => undefined, clearTimeout: () => {} }): Executor {
  return {
    run(attempt) {
      const handler = Object.prototype.hasOwnProperty.call(handlers, attempt.job.name) ? (handlers as Record<string, Handler>)[attempt.job.name] : undefined;
      const running = callHandler(handler, attempt.job.name, attempt.job.data, handlerContext(attempt));
      const aborted = new Promise<AttemptResult>((resolve) => {
        const onAbort = () => {
          const failure: AttemptResult = { ok: false, error: toWireError(attempt.signal.reason) };
          if (grace.gracePeriod <= 0) {
            resolve(failure);
            return;
          }
          const timer = grace.setTimeout(() => resolve(failure), grace.gracePeriod);
          void running.then(() => {
            grace.clearTimeout(timer);
            resolve(failure);
          });
        };
        if (attempt.signal.aborted) onAbort();
        else attempt.signal.addEventListener('abort', onAbort, { once: true });
      });
      return Promise.race([running.then((r) => (attempt.signal.aborted ? aborted : r)), aborted]);
    },
    close: async () => {},
  };
}
