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
 * | replace     | pending, retrying             | the same state, with the new data and options (and run time, if given) |
 * | group moved | pending, retrying: gated      | the job ahead in its group changed, or it is the group's head now (ungated) |
 * | dependency completed | pending: gated       | one dependency fewer, its result kept; ungated after the last |
 * | dependency failed | pending, retrying        | failed with `DependencyError`, never run             |
 * | expire      | pending, retrying             | failed with `ExpiredError`, never run (again)        |
 * | successor released | pending: after a running holder | no longer waits for it, and takes its idempotency key |
 * | key given up | completed, failed            | the same state; its key moves to a newer job (kept as `keyOf` for its snapshot) |
 *
 * A waiting job that a group, a dependency or a running holder gates (see `isGated`) is in
 * neither the ready nor the due index: claims never walk past it (docs/outbox.md).
 */
import { backoffDelay, safeWait } from './backoff.js';
import type { Outcome } from './outcome.js';
import { DependencyError, ExpiredError, serializeError } from './errors.js';
import { isGated, toJob, withKeys, type JobRecord } from './store/record.js';
import type { BackoffFunction, BackoffStrategy, BuiltInBackoff, JobEventName, JobState, NamedBackoff, SerializedError } from './types.js';

/** True if `rec` is running under `lease`: the only case in which its holder may write it (fencing). */
export function holds(rec: JobRecord | undefined, lease: string): rec is JobRecord {
  return rec !== undefined && rec.state === 'processing' && rec.lease === lease;
}

/** The event announcing a job that left `processing` for `state`. */
export function endEvent(state: JobState): JobEventName {
  return state === 'completed' ? 'completed' : state === 'failed' ? 'failed' : 'retrying';
}

/**
 * The fields one run of a job accumulates, as a new job has them. A job added and a failed
 * job revived by `retry` both start from these: no count of attempts, crashes or network
 * misses, no progress, result or error of an earlier run carries over.
 */
const FRESH_RUN = {
  attempts: 0,
  crashes: 0,
  netMisses: undefined,
  progress: undefined,
  result: undefined,
  error: undefined,
  finishedAt: undefined,
  lease: undefined,
  owner: undefined,
  leaseUntil: undefined,
} as const;

/** A job as it is added: `pending`, a fresh run. */
export function created<T extends object>(fields: T): T & typeof FRESH_RUN & { state: JobState } {
  return { ...fields, ...FRESH_RUN, state: 'pending' };
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
  /** The named backoff strategies this runner knows (see `backoffStrategies`). */
  strategies: ReadonlyMap<string, BackoffStrategy>;
  /** The job's data, for a strategy (a record read for a transition may lack it). */
  data?: unknown;
}

/**
 * The wait before the next attempt of a job whose attempt failed with `error`, or, when it
 * cannot be computed here (a strategy this runner does not know, or one that threw), the
 * error the job fails with.
 */
function retryWait(rec: JobRecord, error: SerializedError, ctx: SettleContext): number | SerializedError {
  const backoff = rec.opts.backoff;
  if (backoff.type === 'function') return backoffDelay(ctx.backoffFn ?? { type: 'exponential' }, rec.attempts, error, ctx.random);
  if (backoff.type === 'exponential' || backoff.type === 'fixed') return backoffDelay(backoff as BuiltInBackoff, rec.attempts, error, ctx.random);
  const named = backoff as NamedBackoff;
  const strategy = ctx.strategies.get(named.type);
  const failure = (why: string): SerializedError => ({ name: 'JobrailError', message: `Job ${rec.id} (${rec.name}) failed (${error.message}); no retry: ${why}` });
  if (strategy === undefined) {
    return failure(
      `backoff strategy "${named.type}", which this runner does not know. Register it on every runner, startWorkers(queue, { backoffStrategies: { ${JSON.stringify(named.type)}: (attempt, error, job) => ms } }) and the drain's option, then retry(id)`,
    );
  }
  try {
    return safeWait(strategy(rec.attempts, error, toJob({ ...rec, data: ctx.data ?? rec.data }), { ...named }));
  } catch (thrown) {
    const e = serializeError(thrown);
    return failure(`its backoff strategy "${named.type}" threw ${e.name}: ${e.message}`);
  }
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
  const wait = retryWait(rec, error, ctx);
  if (typeof wait !== 'number') return withKeys({ ...base, state: 'failed', crashes, error: wait, finishedAt: ctx.now });
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

/** A dead-lettered job back to `pending` as a fresh run, ready now (unless a gate holds it; see `manage.ts`). */
export function revive(rec: JobRecord, now: number): JobRecord {
  return withKeys({ ...rec, ...FRESH_RUN, state: 'pending', runAt: now, ready: !isGated(rec), updatedAt: now });
}

/** The replace part of a job's record: what `onDuplicate: 'replace'` puts into a job that has not started. */
export interface Replacement {
  data: unknown;
  inline: true | undefined;
  priority: number;
  maxAttempts: number;
  opts: JobRecord['opts'];
  expiresAt: number | undefined;
  /** The new run time, when the add gave `delay` or `runAt` (a debounce). */
  runAt: number | undefined;
}

/** A job that has not started takes the newest data and options; its state and attempts stay. */
export function replace(rec: JobRecord, by: Replacement, now: number): JobRecord {
  const next: JobRecord = { ...rec, data: by.data, priority: by.priority, maxAttempts: by.maxAttempts, opts: by.opts, updatedAt: now };
  if (by.inline) next.inline = true;
  else delete next.inline;
  if (by.expiresAt === undefined) delete next.expiresAt;
  else next.expiresAt = by.expiresAt;
  if (by.runAt !== undefined) {
    next.runAt = by.runAt;
    next.ready = by.runAt <= now && !isGated(rec);
  }
  return withKeys(next);
}
/** A waiting job with one gate fewer: runnable at once if its time has come. */
function regate(rec: JobRecord, now: number): JobRecord {
  const next = { ...rec };
  if (!isGated(next)) next.ready = next.runAt <= now;
  return withKeys(next);
}

/** The job ahead of `rec` in its group changed (or it became the head: `behind` undefined). */
export function groupMoved(rec: JobRecord, behind: string | undefined, now: number): JobRecord {
  const next = { ...rec };
  if (behind === undefined) delete next.behind;
  else next.behind = behind;
  return regate(next, now);
}

/** One of its dependencies completed with `result`. */
export function dependencyCompleted(rec: JobRecord, depId: string, result: unknown, now: number): JobRecord {
  return regate({ ...rec, pendingDeps: (rec.pendingDeps ?? []).filter((id) => id !== depId), depResults: { ...rec.depResults, [depId]: result }, updatedAt: now }, now);
}

/** One of its dependencies failed or was removed: it fails without running. */
export function dependencyFailed(rec: JobRecord, dep: { id: string; name: string }, how: 'failed' | 'removed', now: number): JobRecord {
  const error = serializeError(
    new DependencyError(`Job ${rec.id} (${rec.name}) did not run: the job it depends on, ${dep.id} (${dep.name}), ${how === 'failed' ? 'failed' : 'was removed'}. Retry or re-add that job, then add this one again.`),
  );
  delete error.stack;
  return finishGated({ ...rec, state: 'failed', error, finishedAt: now, updatedAt: now });
}

/** It was still waiting when its expiry passed: it fails without running. */
export function expired(rec: JobRecord, now: number): JobRecord {
  const error = serializeError(new ExpiredError(`Job ${rec.id} (${rec.name}) expired at ${new Date(rec.expiresAt ?? now).toISOString()} before it could start; it was not run.`));
  delete error.stack;
  return finishGated({ ...rec, state: 'failed', error, finishedAt: now, updatedAt: now });
}

/** A job that ends while gated keeps no gate (nothing waits to lift them). */
function finishGated(rec: JobRecord): JobRecord {
  const next = { ...rec, ready: false };
  delete next.behind;
  delete next.after;
  delete next.pendingDeps;
  return withKeys(next);
}

/** The job a replace queued behind a running holder: no longer waits for it, and takes the key. */
export function successorReleased(rec: JobRecord, key: string | undefined, now: number): JobRecord {
  const next = { ...rec };
  delete next.after;
  if (key !== undefined) {
    next.idempotencyKey = key;
    delete next.keyOf;
  }
  return regate(next, now);
}

/** A finished job gives its idempotency key up to a newer one (it keeps it as `keyOf` for its snapshot). */
export function keyGivenUp(rec: JobRecord): JobRecord {
  const next = { ...rec };
  if (next.idempotencyKey !== undefined) next.keyOf = next.idempotencyKey;
  next.idempotencyKey = undefined;
  delete next.successor;
  return withKeys(next);
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
