import type { Engine, Range } from './store/engine.js';
import { prefix } from './store/engine.js';
import type { JobRecord } from './store/record.js';
import { revive } from './transitions.js';

/** Deletes a job in any state; returns its last snapshot. */
export function removeJob(engine: Engine, id: string): Promise<JobRecord | undefined> {
  return engine.write(async (tx) => {
    const rec = await tx.get(id);
    if (rec) await tx.delete(id);
    return rec;
  }, 'relaxed');
}

/** Moves one `failed` job back to `pending`; undefined if it is not `failed`. */
export function retryJob(engine: Engine, id: string, now: number): Promise<JobRecord | undefined> {
  return engine.write(async (tx) => {
    const rec = await tx.get(id);
    if (!rec || rec.state !== 'failed') return undefined;
    const next = revive(rec, now);
    await tx.putHead(next);
    return next;
  }, 'relaxed');
}

const BATCH = 500;

/** Moves every `failed` job back to `pending`, a batch per transaction. */
export async function retryAllFailed(engine: Engine, now: number): Promise<JobRecord[]> {
  const out: JobRecord[] = [];
  for (;;) {
    const batch = await engine.write(async (tx) => {
      // One read for the batch, and writes issued together: requests run in order.
      const revived = (await tx.heads('state', prefix('failed'), BATCH)).map((rec) => revive(rec, now));
      await Promise.all(revived.map((next) => tx.putHead(next)));
      return revived;
    }, 'relaxed');
    out.push(...batch);
    if (batch.length < BATCH) return out;
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
