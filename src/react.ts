/**
 * `jobrail/react`: hooks over the framework-neutral watches of `jobrail` (`watchJob`,
 * `watchCounts`, `watchJobs`), through React's `useSyncExternalStore`. React is an optional
 * peer dependency of jobrail: only this entry imports it.
 *
 * @example
 * function Upload({ id }: { id: string }) {
 *   const { job, loading } = useJob(queue, id);
 *   if (loading) return 'Loading…';
 *   return job ? `${job.state} ${String(job.progress ?? '')}` : 'gone';
 * }
 */
import { useMemo, useSyncExternalStore } from 'react';
import type { Queue } from './queue.js';
import type { JobMap, JobOf, ListOptions } from './types.js';
import { watchCounts, watchJob, watchJobs, type CountsSnapshot, type JobSnapshot, type JobsSnapshot, type Watch } from './watch.js';

export type { CountsSnapshot, JobSnapshot, JobsSnapshot, Watch, WatchState } from './watch.js';

const NO_JOB: JobSnapshot<never> = Object.freeze({ loading: false, error: undefined, job: undefined });
const noJob: Watch<JobSnapshot<never>> = { subscribe: () => () => {}, getSnapshot: () => NO_JOB };

function useWatch<S>(watch: Watch<S>): S {
  return useSyncExternalStore(watch.subscribe, watch.getSnapshot, watch.getSnapshot);
}

/**
 * The job with this id, live across tabs: `{ job, loading, error }`. `job` is undefined while
 * loading, and once loaded if there is no such job (or it was removed). An undefined `id`
 * gives `{ job: undefined, loading: false }` (e.g. before the job is added).
 */
export function useJob<M extends JobMap, N extends keyof M & string = keyof M & string>(queue: Queue<M>, id: string | undefined): JobSnapshot<JobOf<M, N>> {
  const watch = useMemo(() => (id === undefined ? noJob : watchJob<M, JobOf<M, N>>(queue, id)), [queue, id]);
  return useWatch(watch as Watch<JobSnapshot<JobOf<M, N>>>);
}

/** The number of jobs in each state, live across tabs: `{ counts, loading, error }`. */
export function useJobCounts(queue: Queue<any>): CountsSnapshot {
  const watch = useMemo(() => watchCounts(queue), [queue]);
  return useWatch(watch);
}

/**
 * One page of `queue.list(options)`, live across tabs: `{ jobs, loading, error }`. The
 * options are compared by value, so an inline object literal does not restart the watch.
 */
export function useJobs<M extends JobMap, N extends keyof M & string = keyof M & string>(queue: Queue<M>, options: ListOptions<N> = {}): JobsSnapshot<JobOf<M, N>> {
  const { state, name, limit, offset } = options;
  const watch = useMemo(() => {
    const o: ListOptions<N> = {};
    if (state !== undefined) o.state = state;
    if (name !== undefined) o.name = name;
    if (limit !== undefined) o.limit = limit;
    if (offset !== undefined) o.offset = offset;
    return watchJobs(queue, o);
  }, [queue, state, name, limit, offset]);
  return useWatch(watch);
}
