import type { Engine, Range } from './store/engine.js';
import { prefix } from './store/engine.js';
import type { IndexName } from './store/schema.js';
import type { JobRecord } from './store/record.js';
import { JOB_STATES, type JobState, type ListOptions } from './types.js';

export function getJob(engine: Engine, id: string): Promise<JobRecord | undefined> {
  return engine.read((tx) => tx.get(id));
}

/** Newest first, one page: walks an index and reads only the jobs on the page. */
export function listJobs(engine: Engine, options: Required<Pick<ListOptions, 'limit' | 'offset'>> & ListOptions): Promise<JobRecord[]> {
  const { state, name, limit, offset } = options;
  let index: IndexName = 'seq';
  let range: Range | undefined;
  if (state !== undefined && name !== undefined) {
    index = 'stateName';
    range = prefix(state, name);
  } else if (state !== undefined) {
    index = 'state';
    range = prefix(state);
  } else if (name !== undefined) {
    index = 'name';
    range = prefix(name);
  }
  return engine.read(async (tx) => {
    const ids = await tx.ids(index, range, 'prev', offset, limit);
    const out: JobRecord[] = [];
    for (const id of ids) {
      const rec = await tx.get(id);
      if (rec) out.push(rec);
    }
    return out;
  });
}

/** Counts per state from the state index, without reading any job. */
export function countJobs(engine: Engine): Promise<Record<JobState, number>> {
  return engine.read(async (tx) => {
    const out = {} as Record<JobState, number>;
    for (const state of JOB_STATES) out[state] = await tx.count('state', prefix(state));
    return out;
  });
}
