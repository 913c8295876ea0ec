import type { Environment } from './environment.js';

/**
 * Runners of each queue in this JavaScript realm, by queue name: the whole truth where there
 * are no Web Locks to ask (a memory queue lives in one realm anyway).
 */
const local = new Map<string, Set<object>>();

/** The prefix of the Web Lock every runner of `queue` holds for its whole life. */
export function runnerLockPrefix(queue: string): string {
  return `jobrail:${queue}:runner:`;
}

/** Counts `runner` as running `queue` in this realm until the returned function is called. */
export function registerRunner(queue: string, runner: object): () => void {
  let set = local.get(queue);
  if (!set) local.set(queue, (set = new Set()));
  set.add(runner);
  return () => {
    set.delete(runner);
    if (set.size === 0 && local.get(queue) === set) local.delete(queue);
  };
}

/** How many runners of `queue` this realm has started and not stopped. */
export function localRunners(queue: string): number {
  return local.get(queue)?.size ?? 0;
}
