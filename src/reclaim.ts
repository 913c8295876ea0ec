import type { Engine } from './store/engine.js';
import { prefix } from './store/engine.js';
import { malformation, type JobRecord } from './store/record.js';
import { cutOff, holds, quarantine } from './transitions.js';
import type { AliveOwners } from './lease.js';
import { propagateEnds } from './flow.js';

/**
 * Finds `processing` jobs whose runner is gone and makes them runnable again at once.
 * A runner is gone when its Web Lock is no longer held (checked only for jobs claimed
 * before the lock table was read), or, without Web Locks, when its time lease expired.
 * The cut-off attempt counts; a job with no attempts left goes to `failed`.
 */
export function reclaimOrphans(engine: Engine, now: number, alive: AliveOwners | undefined): Promise<JobRecord[]> {
  return engine.write(async (tx) => {
    // Runs every second in every runner: one read for all running jobs, not one per job.
    const running = await tx.heads('state', prefix('processing'), 10_000);
    const out: JobRecord[] = [];
    for (const rec of running) {
      const wrong = malformation(rec as JobRecord & Record<string, unknown>);
      if (wrong !== undefined) {
        await tx.putHead(quarantine(rec, wrong, now));
        continue;
      }
      const orphan = alive
        ? !alive.owners.has(rec.owner ?? '') && rec.updatedAt < alive.at
        : rec.leaseUntil === undefined || rec.leaseUntil < now;
      if (!orphan) continue;
      const next = cutOff(rec, now, 'Attempt cut off: the tab or runner running it stopped (closed, reloaded or crashed)');
      await tx.putHead(next);
      // Events carry the whole job: read the data kept apart of the few jobs taken over.
      out.push(rec.inline ? next : { ...next, data: (await tx.get(rec.id))?.data });
      if (next.state === 'failed') out.push(...(await propagateEnds(tx, [{ rec: next, how: 'failed' }], now)));
    }
    return out;
  }, 'relaxed');
}

/** Gives a job this runner holds back to the queue (runner closing), fenced by its lease. */
export function releaseJob(engine: Engine, id: string, lease: string, now: number): Promise<{ job: JobRecord; cascade: JobRecord[] } | undefined> {
  return engine.write(async (tx) => {
    const rec = await tx.head(id);
    if (!holds(rec, lease)) return undefined;
    const next = cutOff(rec, now, 'Attempt cut off: its runner was stopped before it finished');
    await tx.putHead(next);
    const cascade = next.state === 'failed' ? await propagateEnds(tx, [{ rec: next, how: 'failed' }], now) : [];
    return { job: next, cascade };
  }, 'relaxed');
}
