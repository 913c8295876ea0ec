import type { Engine, Key } from './store/engine.js';
import { prefix } from './store/engine.js';
import type { IndexName } from './store/schema.js';
import type { JobRecord } from './store/record.js';
import { JOB_STATES, type JobState, type ListOptions } from './types.js';

export function getJob(engine: Engine, id: string): Promise<JobRecord | undefined> {
  return engine.read((tx) => tx.get(id));
}

/** Newest first, one page: walks the index entries and reads only the jobs on the page. */
export function listJobs(engine: Engine, options: Required<Pick<ListOptions, 'limit' | 'offset'>> & ListOptions): Promise<JobRecord[]> {
  const { state, name, limit, offset } = options;
  // One walk when the state is known; otherwise one per state, merged by enqueue order
  // (the last part of both indexes' keys): there is no index over all jobs to keep current.
  const states = state === undefined ? JOB_STATES : [state];
  const index: IndexName = name === undefined ? 'state' : 'stateName';
  return engine.read(async (tx) => {
    const walks = await Promise.all(states.map((s) => tx.entries(index, name === undefined ? prefix(s) : prefix(s, name), 'prev', offset + limit)));
    const page = walks
      .flat()
      .sort((a, b) => seqOf(b.key) - seqOf(a.key))
      .slice(offset, offset + limit);
    const recs = await Promise.all(page.map((entry) => tx.get(entry.id)));
    return recs.filter((rec): rec is JobRecord => rec !== undefined);
  });
}

const seqOf = (key: Key): number => {
  const last = (key as Key[])[(key as Key[]).length - 1];
  return typeof last === 'number' ? last : 0;
};

/** Counts per state from the state index, without reading any job. */
export function countJobs(engine: Engine): Promise<Record<JobState, number>> {
  return engine.read(async (tx) => {
    const out = {} as Record<JobState, number>;
    for (const state of JOB_STATES) out[state] = await tx.count('state', prefix(state));
    return out;
  });
}
