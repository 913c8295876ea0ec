/**
 * The writes of a running attempt's holder, each fenced by its lease: the outcome (the new
 * record from `transitions.ts`, plus `removeOnComplete`), progress and time-lease renewals.
 */
import type { Outcome } from './outcome.js';
import type { Engine, Tx } from './store/engine.js';
import { prefix, Writes } from './store/engine.js';
import { propagateEnds } from './flow.js';
import { isFinished, type JobRecord } from './store/record.js';
import { applyOutcome, holds, type SettleContext } from './transitions.js';

/** Applies `removeOnComplete` of a job that just completed, within its transaction. */
async function retainCompleted(tx: Tx, rec: JobRecord, now: number): Promise<boolean> {
  const rule = rec.opts.removeOnComplete;
  if (rule === true) {
    await tx.delete(rec.id);
    return true;
  }
  if (rule === false) return false;
  // Bounded per completion, so one completion never turns into a long transaction.
  const BATCH = 64;
  let ids: string[] = [];
  if ('age' in rule) {
    ids = await tx.ids('finished', { lower: ['completed'], upper: ['completed', now - rule.age], upperOpen: true }, 'next', BATCH);
  } else {
    const excess = (await tx.count('finished', prefix('completed'))) - rule.count;
    if (excess > 0) ids = await tx.ids('finished', prefix('completed'), 'next', Math.min(excess, BATCH));
  }
  await Promise.all(ids.map((id) => tx.delete(id)));
  return ids.includes(rec.id);
}

/** A job read for a fenced change: only a running job can pass the fence. */
const readRunning = (tx: Tx, id: string): Promise<JobRecord | undefined> => (tx.running ? tx.running(id) : tx.head(id));

/** `current`: the job as read, when it is stored and may be running (see `Tx.running`). */
export type Fenced<T> = { ok: true; value: T } | { ok: false; current: JobRecord | undefined };

/**
 * Runs `change` on a job (read without its data) only if `lease` is still its lease and it is `processing`:
 * a runner that lost its lease can no longer complete, fail or update the job.
 */
function fencedWrite<T>(
  engine: Engine,
  id: string,
  lease: string,
  durability: 'strict' | 'relaxed',
  change: (tx: Tx, rec: JobRecord) => Promise<T>,
): Promise<Fenced<T>> {
  return engine.write(async (tx): Promise<Fenced<T>> => {
    const rec = await readRunning(tx, id);
    if (!holds(rec, lease)) return { ok: false, current: rec };
    return { ok: true, value: await change(tx, rec) };
  }, durability);
}

export interface Settled {
  job: JobRecord;
  /** The completed job was deleted by `removeOnComplete`. */
  removed: boolean;
  /** Jobs its end moved to `failed` (dependents), for their events. */
  cascade: JobRecord[];
}

/** One attempt's outcome, for `settleAttempts`. */
export interface SettleItem {
  id: string;
  lease: string;
  outcome: Outcome;
  ctx: SettleContext;
}

/**
 * Records several attempts' outcomes in one transaction, each fenced by its own lease
 * (a refused one does not stop the others). Runners batch the outcomes that arrive while
 * a previous write is in flight, so a busy queue pays one transaction per batch.
 */
export function settleAttempts(engine: Engine, items: SettleItem[]): Promise<Fenced<Settled>[]> {
  return engine.write((tx) => settleWithin(tx, items), 'relaxed');
}

/**
 * The settle of `settleAttempts`, inside a transaction the caller holds. Given `pending`, the
 * writes are left there for the caller to await, so its next requests need not wait for them.
 */
export async function settleWithin(tx: Tx, items: SettleItem[], pending?: Writes): Promise<Fenced<Settled>[]> {
  // Read every job at once, then write without waiting for each write (requests run in order).
  const heads = await Promise.all(items.map((item) => readRunning(tx, item.id)));
  const writes = pending ?? new Writes();
  const out: Fenced<Settled>[] = [];
  const ended: { value: Settled; now: number }[] = [];
  for (const [i, item] of items.entries()) {
    const rec = heads[i];
    if (!holds(rec, item.lease)) {
      out.push({ ok: false, current: rec });
      continue;
    }
    const next = applyOutcome(rec, item.outcome, item.ctx);
    writes.add(tx.putHead(next));
    const value: Settled = { job: next, removed: false, cascade: [] };
    // Only grouped jobs, holders of a replace and jobs with dependents pay for the gates' reads.
    if (isFinished(next.state) && (next.group !== undefined || next.successor !== undefined || next.dependents)) ended.push({ value, now: item.ctx.now });
    out.push({ ok: true, value });
  }
  if (ended.length > 0) {
    // Jobs of distinct groups with nothing else waiting on them touch disjoint records: their
    // lookups go out together (one round trip per batch, not one per job); others one by one.
    const groups = new Set(ended.map((e) => e.value.job.group));
    const together = groups.size === ended.length && ended.every((e) => e.value.job.successor === undefined && !e.value.job.dependents);
    const propagate = async (e: { value: Settled; now: number }) => {
      e.value.cascade = await propagateEnds(tx, [{ rec: e.value.job, how: e.value.job.state === 'completed' ? 'completed' : 'failed' }], e.now);
    };
    if (together) await Promise.all(ended.map(propagate));
    else for (const e of ended) await propagate(e);
  }
  // After the gates: a holder that gave its key to a successor is written before it may be deleted.
  for (const [i, item] of items.entries()) {
    const res = out[i] as Fenced<Settled>;
    if (res.ok && res.value.job.state === 'completed' && res.value.job.opts.removeOnComplete !== false) res.value.removed = await retainCompleted(tx, res.value.job, item.ctx.now);
  }
  if (!pending) await writes.all();
  return out;
}

/** Extends a time lease; refused once the lease is lost. */
export function renewLease(engine: Engine, id: string, lease: string, leaseUntil: number): Promise<Fenced<JobRecord>> {
  return fencedWrite(engine, id, lease, 'relaxed', async (tx, rec) => {
    const next = { ...rec, leaseUntil };
    await tx.putHead(next);
    return next;
  });
}

/** Stores a handler's progress value; refused once the lease is lost. */
export function recordProgress(engine: Engine, id: string, lease: string, progress: unknown, now: number): Promise<Fenced<JobRecord>> {
  return fencedWrite(engine, id, lease, 'relaxed', async (tx, rec) => {
    const next = { ...rec, progress, updatedAt: now };
    await tx.putHead(next);
    return next;
  });
}
