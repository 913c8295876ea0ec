import type { DBSchema } from 'idb';
import type { JobRecord } from './record.js';

/** One database per queue, so queues never contend for the same transactions. */
export const dbName = (queue: string): string => `jobrail:${queue}`;

/**
 * Schema version. Migration policy: every version bump adds an `upgrade` step that
 * converts records in place; no step ever deletes the jobs store (see README).
 * 1: job data always in `payloads`. 2: small data inline in the job record; no `seq` and
 * `name` indexes (two fewer index entries written per transition; `list` merges the
 * per-state walks instead). 3: `group`, `deps` and `expiry` indexes (outbox gates), and jobs
 * in three stores by tier (see `JOBS` below).
 */
export const DB_VERSION = 3;

/**
 * Version 3 keeps jobs in three stores, by what transitions do to them, so that the records
 * a claim or settle rewrites sit in a store (and indexes) that holds only the live jobs.
 * WebKit's in-memory IndexedDB (Private Browsing, automation sessions) rewrites or deletes a
 * record in time proportional to the index entries of its store: 0.5 ms with 200 records,
 * 8 ms with 20,000 (measured here, WebKitGTK 2.50); inserts and reads stay flat.
 * - `jobs`: finished jobs (`completed`, `failed`), the mass of a long-lived queue. It is the
 *   store versions 1 and 2 kept every job in, so the upgrade moves only the unfinished ones.
 * - `active`: jobs a runner may claim now (`ready`) and running ones (`processing`).
 * - `delayed`: waiting jobs whose time has not come (delayed, backing off), or that a group or
 *   dependencies hold back.
 */
export const JOBS = 'jobs';
export const ACTIVE = 'active';
export const DELAYED = 'delayed';
/** The three job stores; see `tierOf`. */
export type JobStore = typeof JOBS | typeof ACTIVE | typeof DELAYED;
export const JOB_STORES: readonly JobStore[] = [ACTIVE, DELAYED, JOBS];
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

export type IndexName = keyof typeof INDEXES;

/** The indexes each job store has: an index lives only where its records can be. */
export const STORE_INDEXES: Record<JobStore, readonly IndexName[]> = {
  [ACTIVE]: ['state', 'stateName', 'ready', 'idempotencyKey', 'group', 'expiry'],
  [DELAYED]: ['state', 'stateName', 'due', 'idempotencyKey', 'group', 'deps', 'expiry'],
  [JOBS]: ['state', 'stateName', 'finished', 'idempotencyKey'],
};

/**
 * The store a record belongs in, from its derived index keys (set by `withKeys`): the store
 * of the index that must find it. A waiting job with neither a ready nor a due key is gated
 * (its group or dependencies hold it back) and waits in `delayed`, so that `active` holds only
 * what claims take and settles rewrite. A record with no key at all (running, or malformed)
 * is `active`, where claims and reclaims look.
 */
export function tierOf(rec: { kReady?: unknown; kDue?: unknown; kFinished?: unknown; state?: unknown }): JobStore {
  if (rec.kReady !== undefined) return ACTIVE;
  if (rec.kDue !== undefined) return DELAYED;
  if (rec.kFinished !== undefined || rec.state === 'completed' || rec.state === 'failed') return JOBS;
  if (rec.state === 'pending' || rec.state === 'retrying') return DELAYED;
  return ACTIVE;
}

/** The stores that may hold the entries of `index` in a range starting with `state` (if known). */
export function storesOf(index: IndexName, state: unknown): readonly JobStore[] {
  if (index === 'ready') return [ACTIVE];
  if (index === 'due') return [DELAYED];
  if (index === 'finished') return [JOBS];
  if (index === 'deps') return [DELAYED];
  if (index === 'group' || index === 'expiry') return [ACTIVE, DELAYED];
  if (index === 'state' || index === 'stateName') {
    if (state === 'processing') return [ACTIVE];
    if (state === 'pending' || state === 'retrying') return [ACTIVE, DELAYED];
    if (state === 'completed' || state === 'failed') return [JOBS];
  }
  return JOB_STORES;
}

type JobStoreSchema = {
  key: string;
  value: JobRecord;
  indexes: { [K in IndexName]: IDBValidKey };
};

export interface JobrailDB extends DBSchema {
  jobs: JobStoreSchema;
  active: JobStoreSchema;
  delayed: JobStoreSchema;
  meta: { key: string; value: unknown };
  payloads: { key: string; value: { data: unknown } };
}
