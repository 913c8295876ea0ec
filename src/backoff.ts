import type { Backoff, SerializedError } from './types.js';

/** The default: 1 s, 2 s, 4 s … capped at one hour, with jitter. */
export const DEFAULT_BACKOFF = { type: 'exponential', delay: 1000, maxDelay: 3_600_000, jitter: true } as const;

/**
 * Wait in ms before retry `retry` (1 for the first retry). Pure: the random draw is passed in.
 * Exponential: `delay·2^(retry−1)` capped at `maxDelay`; jitter draws uniformly from [wait/2, wait].
 */
export function backoffDelay(policy: Backoff, retry: number, error: SerializedError, random: number): number {
  if (typeof policy === 'function') {
    const ms = policy(retry, error);
    return Number.isFinite(ms) && ms > 0 ? ms : 0;
  }
  let wait: number;
  if (policy.type === 'fixed') {
    wait = policy.delay;
  } else {
    const base = policy.delay ?? DEFAULT_BACKOFF.delay;
    const cap = policy.maxDelay ?? DEFAULT_BACKOFF.maxDelay;
    wait = Math.min(base * 2 ** (retry - 1), cap);
  }
  const jitter = policy.jitter ?? (policy.type === 'exponential');
  return jitter ? wait / 2 + random * (wait / 2) : wait;
}
