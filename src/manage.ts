import { groupTail, propagateEnds } from './flow.js';
import type { Engine, Range, Tx } from './store/engine.js';
import { prefix } from './store/engine.js';
import { isFinished, withKeys, type JobRecord } from './store/record.js';
import { dependencyFailed, revive } from './transitions.js';

/** Deletes a job in any state; returns its last snapshot and the jobs its removal failed (dependents). */
export function removeJob(engine: Engine, id: string, now: number): Promise<{ job: JobRecord; cascade: JobRecord[] } | undefined> {
  return engine.write(async (tx) => {
    const rec = await tx.get(id);
    if (!rec) return undefined;
    await tx.delete(id);
    // A finished job left its group already; its dependents may still wait (a retried dependent of a failed job).
    const ended = isFinished(rec.state) ? { ...rec, group: undefined, successor: undefined } : rec;
    const cascade = ended.group !== undefined || ended.successor !== undefined || ended.dependents ? await propagateEnds(tx, [{ rec: ended, how: 'removed' }], now) : [];
    return { job: rec, cascade };
  }, 'relaxed');
}

/**
 * `revive` with its gates set again: a grouped job goes to the back of its group (a fresh
 * group order), and waits for the dependencies not completed; one whose dependency is gone
 * fails again at once with `DependencyError`.
 */
async function reviveWithin(tx: Tx, rec: JobRecord, now: number): Promise<JobRecord> {
  const next: JobRecord = { ...rec };
  if (rec.group !== undefined) {
    const seq = ((await tx.getMeta<number>('seq')) ?? 0) + 1;
    await tx.putMeta('seq', seq);
    next.gseq = seq;
    const tail = await groupTail(tx, rec.group);
    if (tail === undefined || tail === rec.id) delete next.behind;
    else next.behind = tail;
  }
  if (rec.dependsOn && rec.dependsOn.length > 0) {
    const deps = await Promise.all(rec.dependsOn.map((id) => tx.head(id)));
    const missing = rec.dependsOn.find((_, i) => !deps[i]);
    if (missing !== undefined) return dependencyFailed({ ...rec, updatedAt: now }, { id: missing, name: '(removed)' }, 'removed', now);
    next.pendingDeps = [];
    next.depResults = {};
    for (const dep of deps as JobRecord[]) {
      if (dep.state === 'completed') next.depResults[dep.id] = dep.result;
      else {
        next.pendingDeps.push(dep.id);
        if (!dep.dependents) await tx.putHead(withKeys({ ...dep, dependents: true }));
      }
    }
  }
  return revive(next, now);
}

/** Moves one `failed` job back to `pending`; undefined if it is not `failed`. */
export function retryJob(engine: Engine, id: string, now: number): Promise<JobRecord | undefined> {
  return engine.write(async (tx) => {
    const rec = await tx.get(id);
    if (!rec || rec.state !== 'failed') return undefined;
    const next = needsGates(rec) ? await reviveWithin(tx, rec, now) : revive(rec, now);
    await tx.putHead(next);
    return next;
  }, 'relaxed');
}

const needsGates = (rec: JobRecord): boolean => rec.group !== undefined || (rec.dependsOn?.length ?? 0) > 0;

const BATCH = 500;

/** Moves every `failed` job back to `pending`, a batch per transaction. */
export async function retryAllFailed(engine: Engine, now: number): Promise<JobRecord[]> {
  const out: JobRecord[] = [];
  for (;;) {
    const batch = await engine.write(async (tx) => {
      // One read for the batch, and writes issued together: requests run in order.
      const failed = await tx.heads('state', prefix('failed'), BATCH);
      const revived: JobRecord[] = [];
      for (const rec of failed) {
        // Gated ones one by one: each reads its group's tail, which the previous one may be.
        if (needsGates(rec)) {
          const next = await reviveWithin(tx, rec, now);
          await tx.putHead(next);
          revived.push(next);
        } else revived.push(revive(rec, now));
      }
      await Promise.all(revived.filter((r) => !needsGates(r)).map((next) => tx.putHead(next)));
      return revived;
    }, 'relaxed');
    out.push(...batch);
    // A job whose dependency is gone stays failed: stop once a batch moves none.
    if (batch.length < BATCH || batch.every((rec) => rec.state === 'failed')) return out;
  }
}

/** Deletes finished jobs of one state whose `finishedAt` is more than `olderThan` ms ago. */
export async function cleanJobs(engine: Engine, state: 'completed' | 'failed', olderThan: number, limit: number, now: number): Promise<JobRecord[]> {
  const cutoff = now - olderThan;
  // olderThan 0 means every finished job of the state, whatever its clock said.
  const range: Range = olderThan > 0 ? { lower: [state], upper: [state, cutoff], upperOpen: true } : prefix(state);
  const out: JobRecord[] = [];
  while (out.length < limit) {
    const batch = await engine.write(async (tx) => {
      const removed = await tx.heads('finished', range, Math.min(BATCH, limit - out.length));
      await Promise.all(removed.map((rec) => tx.delete(rec.id)));
      // A retried dependent may wait for a failed job: its removal fails it.
      const waited = removed.filter((rec) => rec.dependents && rec.state === 'failed');
      if (waited.length > 0) await propagateEnds(tx, waited.map((rec) => ({ rec: { ...rec, group: undefined, successor: undefined }, how: 'removed' as const })), now);
      return removed;
    }, 'relaxed');
    out.push(...batch);
    if (batch.length === 0) break;
  }
  return out;
}

export function setPaused(engine: Engine, paused: boolean): Promise<void> {
  return engine.write((tx) => tx.putMeta('paused', paused), 'strict');
}

export async function readPaused(engine: Engine): Promise<boolean> {
  return (await engine.read((tx) => tx.getMeta<boolean>('paused'))) === true;
}
