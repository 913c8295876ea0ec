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

/**
 * How many runners run `queue` now: from the Web Locks held in every tab and worker of the
 * origin where Web Locks exist, else those of this realm.
 */
export async function countRunners(queue: string, env: Environment): Promise<number> {
  const here = local.get(queue)?.size ?? 0;
  if (!env.locks) return here;
  const prefix = runnerLockPrefix(queue);
  const snapshot = await env.locks.query();
  const owners = new Set<string>();
  // `<prefix><owner>` is a runner; `<prefix><owner>/worker:<id>` one of its workers.
  for (const lock of snapshot.held ?? []) {
    if (lock.name?.startsWith(prefix)) owners.add(lock.name.slice(prefix.length).split('/')[0] as string);
  }
  // A runner of this realm that has not got its lock yet is running all the same.
  return Math.max(owners.size, here);
}
