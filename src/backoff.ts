import type { BackoffFunction, BackoffStrategy, BuiltInBackoff, SerializedError } from './types.js';

/** The default: 1 s, 2 s, 4 s … capped at one hour, with jitter. */
export const DEFAULT_BACKOFF = { type: 'exponential', delay: 1000, maxDelay: 3_600_000, jitter: true } as const;

/**
 * Wait in ms before retry `retry` (1 for the first retry). Pure: the random draw is passed in.
 * Exponential: `delay·2^(retry−1)` capped at `maxDelay`; jitter draws uniformly from [wait/2, wait].
 */
export function backoffDelay(policy: BuiltInBackoff | BackoffFunction, retry: number, error: SerializedError, random: number): number {
  if (typeof policy === 'function') {
    return safeWait(policy(retry, error));
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

/** Names a stored backoff cannot take: the built-in types, and the marker of an in-memory function. */
export const RESERVED_BACKOFF_TYPES: readonly string[] = ['exponential', 'fixed', 'function'];

/** A wait a strategy returned, made safe: a non-finite or negative one means no wait. */
export const safeWait = (ms: number): number => (Number.isFinite(ms) && ms > 0 ? ms : 0);

/**
 * Adds `strategies` to a queue's registry. A name already registered with another function is
 * refused: two runners of one queue object must compute the same wait for the same job.
 */
export function registerStrategies(registry: Map<string, BackoffStrategy>, strategies: ReadonlyMap<string, BackoffStrategy>): void {
  for (const [name, fn] of strategies) {
    const known = registry.get(name);
    if (known !== undefined && known !== fn) {
      throw new TypeError(`Backoff strategy "${name}" is already registered on this queue with another function: give each strategy one name, in openQueue's or every runner's \`backoffStrategies\``);
    }
  }
  for (const [name, fn] of strategies) registry.set(name, fn);
}
