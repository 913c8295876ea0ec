/**
 * The wire contract between a runner's worker pool and `serveHandlers` inside a Web Worker,
 * all of it: the calls, their replies and how errors cross. Both sides import it; the page
 * sees `Remote<WorkerApi>` through comlink.
 */
import { serializeError } from './errors.js';
import type { Job, SerializedError } from './types.js';

/** Answer of `hello`, so a pool can tell a worker that serves jobrail from one that does not. */
export const HELLO = 'jobrail-worker/1';

/** How long a new worker has to answer `hello`; one that loads but never calls `serveHandlers` fails here. */
export const HANDSHAKE_MS = 10_000;

/**
 * Posted by `jobrail/worker` (outside comlink) when the worker fails before its handshake in
 * a way the page gets no `error` event for: an unhandled promise rejection, e.g. an async
 * set-up that fails before it calls `serveHandlers`. Errors thrown while the module loads
 * reach the page as the Worker's `error` event instead.
 */
export const STARTUP_FAILED = 'jobrail-worker/startup-failed';

export interface StartupFailure {
  type: typeof STARTUP_FAILED;
  error: SerializedError;
}

export const isStartupFailure = (data: unknown): data is StartupFailure =>
  typeof data === 'object' && data !== null && (data as { type?: unknown }).type === STARTUP_FAILED;

/** A failure as it crosses a worker boundary; `delay` is set for `RetryLaterError`. */
export type WireError = SerializedError & { delay?: number };

export type AttemptResult =
  | { ok: true; value: unknown }
  | {
      ok: false;
      error: WireError;
      /** The attempt killed or hung its worker. */
      crash?: boolean;
    };

/**
 * A thrown value as it crosses: plain `{ name, message, stack }` (classes do not survive
 * structured clone), with the delay of a `RetryLaterError`.
 */
export function toWireError(error: unknown): WireError {
  const out: WireError = serializeError(error);
  // By name, not class: a RetryLaterError from another realm (a worker's copy of jobrail) counts too.
  const delay = (error as { delay?: unknown } | null)?.delay;
  if (out.name === 'RetryLaterError' && typeof delay === 'number' && delay >= 0) out.delay = delay;
  return out;
}

/** The error a wire error stands for on the receiving side (an abort reason in the worker). */
export function fromWireError(reason: WireError): Error {
  const error = new Error(reason.message);
  error.name = reason.name;
  return error;
}

/** One attempt handed to a worker. */
export interface RunRequest {
  runId: number;
  job: Job;
  attempt: number;
  idempotencyKey: string;
  /** Results of the jobs it depends on, by id. */
  dependencies?: Record<string, unknown>;
}

/** How one attempt ended in the worker. */
export interface RunOutcome {
  runId: number;
  result: AttemptResult;
}

export interface WorkerApi {
  hello(): string;
  /**
   * Takes a Web Lock named `lockName` for the worker's whole life (so the page learns of its
   * death at once), registers the progress callback and the callback that takes outcomes;
   * resolves once the lock is held.
   */
  init(lockName: string | undefined, progress: (runId: number, value: unknown) => Promise<void>, outcomes: (batch: RunOutcome[]) => Promise<void>): Promise<void>;
  /**
   * Starts attempts: a worker's share of a claimed batch comes in one message, and outcomes
   * go back through `outcomes` together, all that ended within one task per message, so a
   * batch costs a message each way rather than one per job.
   */
  start(runs: RunRequest[]): void;
  abort(runId: number, reason: WireError): void;
}
