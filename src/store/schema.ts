import type { DBSchema } from 'idb';
import type { JobRecord } from './record.js';

/** One database per queue, so queues never contend for the same transactions. */
export const dbName = (queue: string): string => `jobrail:${queue}`;

/**
 * Schema version. Migration policy: every version bump adds an `upgrade` step that
 * converts records in place; no step ever deletes the jobs store (see README).
 * 1: job data always in `payloads`. 2: small data inline in the job record; no `seq` and
 * `name` indexes (two fewer index entries written per transition; `list` merges the
 * per-state walks instead). 3: `group`, `deps` and `expiry` indexes (outbox gates; sparse, so
 * records written before need no rewrite).
 */
export const DB_VERSION = 3;

export const JOBS = 'jobs';
export const META = 'meta';
/** Key of the schedules table in the meta store (see `schedule.ts`). */
export const SCHEDULES_META_KEY = 'schedules';
/** Job data kept apart from its job (Blobs, large data; see `payload.ts`), keyed by job id. */
export const PAYLOADS = 'payloads';

/**
 * Indexes over derived key fields of a record (see `record.ts`). A field is left out when
 * it does not apply, which keeps each index sparse: `ready` holds only runnable jobs, so
 * claiming never walks past delayed, running or finished ones.
 */
export const INDEXES = {
  /** [state, seq]: `list({ state })`, `counts()`, and `list()` merged over the states */
  state: { keyPath: 'kState', unique: false },
  /** [state, name, seq]: `list({ state, name })`, and `list({ name })` merged over the states */
  stateName: { keyPath: 'kStateName', unique: false },
  /** [needsNetwork 0|1, -priority, seq]: waiting jobs whose time has come */
  ready: { keyPath: 'kReady', unique: false },
  /** [runAt, seq]: waiting jobs whose time has not come (delayed, backing off) */
  due: { keyPath: 'kDue', unique: false },
  /** [state, finishedAt, seq]: `clean()` and retention */
  finished: { keyPath: 'kFinished', unique: false },
  /** idempotency keys are unique among stored jobs */
  idempotencyKey: { keyPath: 'idempotencyKey', unique: true },
  /** [group, gseq]: unfinished jobs of a group, in group order (the head first) */
  group: { keyPath: 'kGroup', unique: false },
  /** each dependency id a waiting job still waits for (multiEntry) */
  deps: { keyPath: 'kDeps', unique: false, multiEntry: true },
  /** [expiresAt, seq]: waiting jobs with an expiry */
  expiry: { keyPath: 'kExpiry', unique: false },
} as const;

/** Indexes added by the v2→v3 step (the outbox gates). */
export const V3_INDEXES = ['group', 'deps', 'expiry'] as const;

export type IndexName = keyof typeof INDEXES;

export interface JobrailDB extends DBSchema {
  jobs: {
    key: string;
    value: JobRecord;
    indexes: { [K in IndexName]: IDBValidKey };
  };
  meta: { key: string; value: unknown };
  payloads: { key: string; value: { data: unknown } };
}
