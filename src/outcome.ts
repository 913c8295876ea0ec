/**
 * How an attempt's result counts: the policy between "the handler returned or threw" and
 * the transition of `transitions.ts`. Decides whether a failure uses up an attempt
 * (offline, network misses while online, `retryLater`), is permanent, or crashed a worker.
 * Pure: the runner passes in what it saw (the result, whether the browser is online).
 */
import { JobrailError, serializeError } from './errors.js';
import type { AttemptResult } from './protocol.js';
import type { JobRecord } from './store/record.js';
import type { SerializedError } from './types.js';

/** How an attempt ended, as the runner saw it. */
export type Outcome =
  | { type: 'completed'; result: unknown }
  | {
      type: 'failed';
      error: SerializedError;
      /** `PermanentError`: no more retries. */
      permanent?: boolean;
      /** The attempt killed or hung its worker. */
      crash?: boolean;
      /**
       * The attempt does not count (handler asked to retry later, or a `requiresNetwork`
       * job failed while offline): the next one runs after this many ms.
       */
      uncountedDelay?: number;
      /** A `requiresNetwork` job's fetch failed while the browser reported online. */
      network?: boolean;
    };

/** A `TypeError` from `fetch` when the network is down (wording differs per browser). */
const isNetworkError = (e: { name: string; message: string }): boolean =>
  e.name === 'TypeError' && /fetch|network|load failed/i.test(e.message);

/**
 * Network failures in a row, while the browser reports online, that use up no retry (after
 * 1, 2, 4, 8 and 16 s); later ones count like any failure.
 */
export const NETWORK_GRACE = 5;

/** What an attempt's result means for the job: counted or not, and why. */
export function judgeAttempt(rec: JobRecord, result: AttemptResult, online: boolean): Outcome {
  if (result.ok) return { type: 'completed', result: result.value };
  const { delay, ...error } = result.error;
  if (error.name === 'PermanentError') return { type: 'failed', error, permanent: true };
  if (error.name === 'RetryLaterError' && typeof delay === 'number') return { type: 'failed', error, uncountedDelay: delay };
  if (rec.opts.requiresNetwork) {
    if (!online) return { type: 'failed', error, uncountedDelay: 0 };
    if (isNetworkError(error)) {
      // Online but unreachable (captive portal, flaky link): wait without using a retry, a
      // few times, backing off. Past that it is more likely CORS or a dead host: count it.
      const misses = rec.netMisses ?? 0;
      if (misses < NETWORK_GRACE) return { type: 'failed', error, network: true, uncountedDelay: 1000 * 2 ** misses };
      return { type: 'failed', error, network: true };
    }
  }
  return { type: 'failed', error, crash: result.crash === true };
}

/** The outcome recorded instead of a completion whose result storage refused (DataCloneError). */
export function unstorableResult(rec: Pick<JobRecord, 'id' | 'name'>): Outcome {
  const message = `The result of job ${rec.id} (${rec.name}) cannot be stored: return plain data (structured-cloneable), not functions or DOM nodes`;
  return { type: 'failed', error: serializeError(new JobrailError(message)) };
}
