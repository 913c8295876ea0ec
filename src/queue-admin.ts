/**
 * The queue methods that inspect and manage jobs rather than add or run them: `list`,
 * `counts`, `retry`, `retryFailed`, `remove`, `clean`, `pause`, `resume`, `isPaused` and
 * `runners`. `queue.ts` loads this module with a dynamic import on the first such call, so
 * a page that only adds and runs jobs never fetches it (bundlers put it in a chunk of its
 * own). Each function takes the queue's internals and does what the method documents in
 * `queue.ts`, with the same checks and errors.
 */
import { JobrailError, storageError } from './errors.js';
import { DEFAULT_LIST_LIMIT, countJobs, getJob, listJobs } from './inspect.js';
import type { QueueInternals } from './internals.js';
import { cleanJobs, readPaused, removeJob, retryAllFailed, retryJob, setPaused } from './manage.js';
import { checkJobName, checkNumber, describe, isPlainObject } from './options.js';
import type { Environment } from './environment.js';
import { localRunners, runnerLockPrefix } from './runners.js';
import { toJob } from './store/record.js';
import { JOB_STATES, type CleanOptions, type Job, type JobState, type ListOptions } from './types.js';

/** Runs a storage call on an open queue; a storage failure is wrapped, naming the action (as `add` does). */
async function guard<T>(q: QueueInternals, action: string, fn: () => Promise<T>): Promise<T> {
  q.assertOpen();
  try {
    return await fn();
  } catch (error) {
    throw storageError(action, error);
  }
}

export async function list(q: QueueInternals, options: ListOptions): Promise<Job[]> {
  if (!isPlainObject(options)) throw new TypeError(`Expected \`options\` of list to be an object, got ${describe(options)}`);
  for (const key of Object.keys(options)) {
    if (!['state', 'name', 'limit', 'offset'].includes(key)) throw new TypeError(`Unknown list option \`${key}\`: expected state, name, limit or offset`);
  }
  if (options.state !== undefined && !JOB_STATES.includes(options.state as JobState)) throw new TypeError(`Expected \`state\` to be one of ${JOB_STATES.join(', ')}, got ${describe(options.state)}`);
  if (options.name !== undefined) checkJobName(options.name);
  const limit = options.limit === undefined ? DEFAULT_LIST_LIMIT : checkNumber('limit', options.limit, { integer: true });
  const offset = options.offset === undefined ? 0 : checkNumber('offset', options.offset, { integer: true });
  const recs = await guard(q, 'list jobs', () => listJobs(q.engine, { ...options, limit, offset }));
  return recs.map(toJob);
}

export function counts(q: QueueInternals): Promise<Record<JobState, number>> {
  return guard(q, 'count jobs', () => countJobs(q.engine));
}

export async function retry(q: QueueInternals, id: string): Promise<number> {
  const rec = await guard(q, 'retry a job', () => retryJob(q.engine, id, q.env.now()));
  if (!rec) {
    const current = await getJob(q.engine, id);
    throw new JobrailError(
      current
        ? `Job ${id} is ${current.state}: only failed jobs can be retried`
        : `No job with id ${JSON.stringify(id)} in queue "${q.name}"`,
    );
  }
  q.hub.emit({ kind: 'changed', change: { action: 'retry', count: 1 } });
  q.hub.emit({ kind: 'wake' });
  return 1;
}

export async function retryFailed(q: QueueInternals): Promise<number> {
  const recs = await guard(q, 'retry failed jobs', () => retryAllFailed(q.engine, q.env.now()));
  if (recs.length > 0) {
    q.hub.emit({ kind: 'changed', change: { action: 'retryFailed', count: recs.length } });
    q.hub.emit({ kind: 'wake' });
  }
  return recs.length;
}

export async function remove(q: QueueInternals, id: string): Promise<boolean> {
  const removed = await guard(q, 'remove a job', () => removeJob(q.engine, id, q.env.now()));
  if (!removed) return false;
  q.backoffFns.delete(id);
  q.hub.emit({ kind: 'job', event: 'removed', job: toJob(removed.job) });
  for (const rec of removed.cascade) q.hub.emit({ kind: 'job', event: 'failed', job: toJob(rec) });
  return true;
}

export async function clean(q: QueueInternals, options: CleanOptions): Promise<number> {
  if (!isPlainObject(options)) throw new TypeError(`Expected \`options\` of clean to be { state: 'completed' | 'failed', olderThan?, limit? }, got ${describe(options)}`);
  for (const key of Object.keys(options)) {
    if (!['state', 'olderThan', 'limit'].includes(key)) throw new TypeError(`Unknown clean option \`${key}\`: expected state, olderThan or limit`);
  }
  if (options.state !== 'completed' && options.state !== 'failed') throw new TypeError(`Expected \`state\` of clean to be 'completed' or 'failed', got ${describe(options.state)}`);
  const olderThan = options.olderThan === undefined ? 0 : checkNumber('olderThan', options.olderThan);
  const limit = options.limit === undefined ? Infinity : checkNumber('limit', options.limit, { integer: true });
  const removed = await guard(q, 'clean jobs', () => cleanJobs(q.engine, options.state, olderThan, limit, q.env.now()));
  for (const rec of removed) q.backoffFns.delete(rec.id);
  if (removed.length > 0) q.hub.emit({ kind: 'changed', change: { action: 'clean', count: removed.length } });
  return removed.length;
}

export async function pause(q: QueueInternals): Promise<void> {
  await guard(q, 'pause the queue', () => setPaused(q.engine, true));
  q.hub.emit({ kind: 'paused', paused: true });
}

export async function resume(q: QueueInternals): Promise<void> {
  await guard(q, 'resume the queue', () => setPaused(q.engine, false));
  q.hub.emit({ kind: 'paused', paused: false });
  q.hub.emit({ kind: 'wake' });
}

export function isPaused(q: QueueInternals): Promise<boolean> {
  return guard(q, 'read the paused flag', () => readPaused(q.engine));
}

/**
 * How many runners run `queue` now: from the Web Locks held in every tab and worker of the
 * origin where Web Locks exist, else those of this realm.
 */
async function countRunners(queue: string, env: Environment): Promise<number> {
  const here = localRunners(queue);
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

export function runners(q: QueueInternals): Promise<number> {
  return guard(q, 'count the runners', () => countRunners(q.name, q.env));
}
