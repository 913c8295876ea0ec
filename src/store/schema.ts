import type { DBSchema } from 'idb';
import type { JobRecord } from './record.js';

/** One database per queue, so queues never contend for the same transactions. */
export const dbName = (queue: string): string => `jobrail:${queue}`;

/**
 * Schema version. Migration policy: every version bump adds an `upgrade` step that
 * converts records in place; no step ever deletes the jobs store (see README).
 */
export const DB_VERSION = 1;

export const JOBS = 'jobs';
export const META = 'meta';
/**
 * Job data lives apart from the job, keyed by id: claims, retries and progress rewrite the
 * small job record and never read or copy other jobs' payloads (uploads can be large).
 */
export const PAYLOADS = 'payloads';

/**
 * Indexes over derived key fields of a record (see `record.ts`). A field is left out when
 * it does not apply, which keeps each index sparse: `ready` holds only runnable jobs, so
 * claiming never walks past delayed, running or finished ones.
 */
export const INDEXES = {
  /** all jobs, enqueue order: `list()` */
  seq: { keyPath: 'seq', unique: false },
  /** [state, seq]: `list({ state })`, `counts()` */
  state: { keyPath: 'kState', unique: false },
  /** [name, seq]: `list({ name })` */
  name: { keyPath: 'kName', unique: false },
  /** [state, name, seq]: `list({ state, name })` */
  stateName: { keyPath: 'kStateName', unique: false },
  /** [needsNetwork 0|1, -priority, seq]: waiting jobs whose time has come */
  ready: { keyPath: 'kReady', unique: false },
  /** [runAt, seq]: waiting jobs whose time has not come (delayed, backing off) */
  due: { keyPath: 'kDue', unique: false },
  /** [state, finishedAt, seq]: `clean()` and retention */
  finished: { keyPath: 'kFinished', unique: false },
  /** idempotency keys are unique among stored jobs */
  idempotencyKey: { keyPath: 'idempotencyKey', unique: true },
} as const;

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
