/**
 * Every change of a job's state, and nothing else: pure functions from a record and an
 * event to the new record (index keys recomputed). The storage code (`enqueue`, `claim`,
 * `settle`, `reclaim`, `manage`) reads a job, asks here what the new record is, and writes
 * it; no other module sets `state`.
 *
 * | event       | from                          | to                                                   |
 * |-------------|-------------------------------|------------------------------------------------------|
 * | created     | —                             | pending (`runAt` may lie ahead)                      |
 * | promote     | pending, retrying: due        | the same state, now in the ready index               |
 * | claim       | pending, retrying: ready      | processing: attempts + 1, under a new lease          |
 * | complete    | processing                    | completed                                            |
 * | fail        | processing                    | retrying after its backoff; failed when no attempt is left, on `PermanentError`, or at `maxCrashes` |
 * | retry later | processing                    | retrying; the attempt does not count                 |
 * | cut off     | processing: runner gone/stops | retrying, ready at once; failed when no attempt is left |
 * | revive      | failed                        | pending, ready at once, a fresh run                  |
 * | quarantine  | any record this code cannot run | failed, with the reason                            |
 */
import { backoffDelay } from './backoff.js';
import type { Outcome } from './outcome.js';
import { withKeys, type JobRecord } from './store/record.js';
import type { BackoffFunction, JobEventName, JobState } from './types.js';

/** True if `rec` is running under `lease`: the only case in which its holder may write it (fencing). */
export function holds(rec: JobRecord | undefined, lease: string): rec is JobRecord {
  return rec !== undefined && rec.state === 'processing' && rec.lease === lease;
}

/** The event announcing a job that left `processing` for `state`. */
export function endEvent(state: JobState): JobEventName {
  return state === 'completed' ? 'completed' : state === 'failed' ? 'failed' : 'retrying';
}

/** The state of a job when it is added. */
export function created<T extends object>(fields: T): T & { state: JobState } {
  return { ...fields, state: 'pending' };
}

/** A delayed or backing-off job whose time has come joins the ready index. */
export function promote(rec: JobRecord): JobRecord {
  return withKeys({ ...rec, ready: true });
}

/** A record whose index entries are stale (written by other code): re-indexed as it is. */
export function reindex(rec: JobRecord): JobRecord {
  return withKeys(rec);
}

export interface ClaimLease {
  now: number;
  lease: string;
  owner: string;
  leaseUntil: number;
}

/** A ready job starts an attempt under a new lease. */
export function claim(rec: JobRecord, by: ClaimLease): JobRecord {
  return withKeys({
    ...rec,
    state: 'processing',
    ready: false,
    attempts: rec.attempts + 1,
    updatedAt: by.now,
    lease: by.lease,
    owner: by.owner,
    leaseUntil: by.leaseUntil,
  });
}

export interface SettleContext {
  now: number;
  random: number;
  maxCrashes: number;
  /** The in-memory backoff function of a job added with one, if this tab knows it. */
  backoffFn: BackoffFunction | undefined;
}

/** The lease fields of a job no runner holds. */
const unheld = { lease: undefined, owner: undefined, leaseUntil: undefined } as const;

/**
 * An attempt's outcome: completed, retrying (with its backoff, or uncounted) or failed
 * (dead letter).
 */
export function applyOutcome(rec: JobRecord, outcome: Outcome, ctx: SettleContext): JobRecord {
  // Network failures in a row are counted so that one which never clears (CORS) ends up counting.
  const netMisses = outcome.type === 'failed' && outcome.network ? (rec.netMisses ?? 0) + 1 : undefined;
  const base = { ...rec, ...unheld, updatedAt: ctx.now, netMisses };
  if (outcome.type === 'completed') {
    return withKeys({ ...base, state: 'completed', result: outcome.result, finishedAt: ctx.now });
  }
  const error = outcome.error;
  const crashes = rec.crashes + (outcome.crash ? 1 : 0);
  if (outcome.uncountedDelay !== undefined && !outcome.permanent) {
    return withKeys({ ...base, state: 'retrying', attempts: Math.max(0, rec.attempts - 1), error, runAt: ctx.now + outcome.uncountedDelay, ready: outcome.uncountedDelay <= 0 });
  }
  if (outcome.crash && crashes >= ctx.maxCrashes) {
    const message = `Job "${rec.name}" killed or hung its worker ${String(crashes)} times (maxCrashes ${String(ctx.maxCrashes)}); last: ${error.message}`;
    return withKeys({ ...base, state: 'failed', crashes, error: { name: 'JobrailError', message }, finishedAt: ctx.now });
  }
  if (outcome.permanent || rec.attempts >= rec.maxAttempts) {
    return withKeys({ ...base, state: 'failed', crashes, error, finishedAt: ctx.now });
  }
  const policy = rec.opts.backoff.type === 'function' ? (ctx.backoffFn ?? { type: 'exponential' as const }) : rec.opts.backoff;
  const wait = backoffDelay(policy, rec.attempts, error, ctx.random);
  return withKeys({ ...base, state: 'retrying', crashes, error, runAt: ctx.now + wait, ready: wait <= 0 });
}

/** An attempt that was cut off (its runner died or stopped): it counts, and the job is runnable again at once. */
export function cutOff(rec: JobRecord, now: number, message: string): JobRecord {
  const error = { name: 'JobrailError', message };
  const base = { ...rec, ...unheld, updatedAt: now, error };
  return withKeys(
    rec.attempts >= rec.maxAttempts ? { ...base, state: 'failed', finishedAt: now } : { ...base, state: 'retrying', runAt: now, ready: true },
  );
}

/** A dead-lettered job back to `pending`, attempts reset, ready now. */
export function revive(rec: JobRecord, now: number): JobRecord {
  return withKeys({ ...rec, state: 'pending', attempts: 0, crashes: 0, runAt: now, ready: true, finishedAt: undefined, updatedAt: now, result: undefined });
}

/** A record that cannot run, moved to `failed` with the reason, its fields made safe to index. */
export function quarantine(rec: Partial<JobRecord> & { id: string }, reason: string, now: number): JobRecord {
  const num = (v: unknown, d: number) => (typeof v === 'number' && !Number.isNaN(v) ? v : d);
  const opts = rec.opts && typeof rec.opts === 'object' && rec.opts.backoff ? rec.opts : { backoff: { type: 'exponential' as const }, timeout: undefined, requiresNetwork: false, removeOnComplete: false };
  return withKeys({
    ...(rec as JobRecord),
    ...unheld,
    name: typeof rec.name === 'string' && rec.name.length > 0 ? rec.name : '(unnamed)',
    state: 'failed',
    seq: num(rec.seq, 0),
    priority: num(rec.priority, 0),
    attempts: num(rec.attempts, 0),
    maxAttempts: num(rec.maxAttempts, 1),
    runAt: num(rec.runAt, now),
    createdAt: num(rec.createdAt, now),
    updatedAt: now,
    finishedAt: now,
    opts,
    ready: false,
    crashes: num(rec.crashes, 0),
    error: { name: 'JobrailError', message: `Stored job ${rec.id} cannot run: ${reason}. It was not run; inspect it, then remove() it or add a corrected job.` },
  });
}
