import type { Job, SerializedError } from './types.js';

/**
 * Base class of every error jobrail throws on purpose. Errors that come from IndexedDB
 * (quota, closed database, blocked upgrade) are wrapped in it, with the original as `cause`.
 */
export class JobrailError extends Error {
  override name = 'JobrailError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Throw it from a handler to fail the job at once, without using its remaining retries:
 * the job goes straight to `failed` (the dead-letter store).
 *
 * Classified by `name`, so a plain `{ name: 'PermanentError' }` thrown across a worker
 * boundary counts too.
 */
export class PermanentError extends JobrailError {
  override name = 'PermanentError';
}

/** The attempt ran longer than the job's `timeout`; its `signal` was aborted with this error. */
export class TimeoutError extends JobrailError {
  override name = 'TimeoutError';
}

/**
 * Throw it from a handler to ask for a later run without counting a failure, e.g. for an
 * HTTP 429/503 with `Retry-After`. The attempt does not use up a retry.
 */
export class RetryLaterError extends JobrailError {
  override name = 'RetryLaterError';
  /** Milliseconds to wait before the next attempt. */
  readonly delay: number;
  constructor(delay: number, message = `retry requested in ${delay} ms`) {
    super(message);
    if (!Number.isFinite(delay) || delay < 0) {
      throw new RangeError(`Expected \`delay\` to be a non-negative number of ms, got ${String(delay)}`);
    }
    this.delay = delay;
  }
}

/** `waitFor(id)` rejects with it when the job ends in `failed`; `.job` is the failed job. */
export class JobFailedError extends JobrailError {
  override name = 'JobFailedError';
  readonly job: Job;
  constructor(job: Job) {
    super(`Job ${job.id} (${job.name}) failed: ${job.error?.message ?? 'unknown error'}`);
    this.job = job;
  }
}

/**
 * A job expired (`expiresAt` / `expiresIn`) before it started: it moved to `failed` with this
 * error and never ran.
 */
export class ExpiredError extends JobrailError {
  override name = 'ExpiredError';
}

/**
 * A job it depends on (`dependsOn`) ended `failed` or was removed before completing: the
 * dependent moved to `failed` with this error without running. The message names the job.
 */
export class DependencyError extends JobrailError {
  override name = 'DependencyError';
}

export function serializeError(error: unknown): SerializedError {
  if (error && typeof error === 'object') {
    const e = error as { name?: unknown; message?: unknown; stack?: unknown };
    const out: SerializedError = {
      name: typeof e.name === 'string' ? e.name : 'Error',
      message: typeof e.message === 'string' ? e.message : String(error),
    };
    if (typeof e.stack === 'string') out.stack = e.stack;
    return out;
  }
  return { name: 'Error', message: String(error) };
}

/** Wraps an IndexedDB failure so callers see one error type, keeping the original. */
export function storageError(action: string, cause: unknown): JobrailError {
  if (cause instanceof JobrailError || cause instanceof TypeError || cause instanceof RangeError) {
    return cause as JobrailError;
  }
  const detail = cause && typeof cause === 'object' && 'name' in cause ? ` (${String((cause as Error).name)}: ${String((cause as Error).message)})` : '';
  return new JobrailError(`jobrail could not ${action}${detail}`, { cause });
}

/**
 * Reports an error no caller can catch (a listener's, a background step's) the way the
 * runtime reports an uncaught one, without stopping the code that reports it.
 */
export function report(error: unknown): void {
  const g = globalThis as { reportError?: (e: unknown) => void };
  if (typeof g.reportError === 'function') g.reportError(error);
  else console.error(error);
}
