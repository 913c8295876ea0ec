/**
 * Outbox gates (see docs/outbox.md): groups, replace successors, dependencies and expiry.
 * A gated waiting job is in neither the `ready` nor the `due` index, so claims never walk
 * past it; this module finds the few jobs a change concerns through the `group`, `deps` and
 * `expiry` indexes, inside the transaction of the change.
 */
import type { Key, Tx } from './store/engine.js';
import { isFinished, isWaiting, type JobRecord } from './store/record.js';
import { dependencyCompleted, dependencyFailed, expired, groupMoved, keyGivenUp, reindex, successorReleased } from './transitions.js';

// ---- What a job's end does to the jobs that wait on it, within its transaction. ----

/** A job that ended: as it is now stored (`completed` / `failed`), or as it was before its removal. */
export interface Ended {
  rec: JobRecord;
  how: 'completed' | 'failed' | 'removed';
}

const groupOrder = (rec: JobRecord): number => rec.gseq ?? rec.seq;

/** Dependents are read a batch at a time; each batch is re-read, as earlier writes change it. */
const DEPENDENTS_BATCH = 500;

/**
 * Lifts or fails the gates that `ended` jobs held: the next job of each group moves up,
 * dependents get the result or fail (transitively), a replace's successor is released. Must
 * run after the ended jobs' own writes were issued (requests run in order, so its reads see
 * them). Returns the jobs it moved to `failed`, for their events.
 */
export async function propagateEnds(tx: Tx, ended: Ended[], now: number): Promise<JobRecord[]> {
  const failed: JobRecord[] = [];
  const work = [...ended];
  for (let item = work.shift(); item; item = work.shift()) {
    const { rec, how } = item;
    if (rec.group !== undefined) await advanceGroup(tx, rec, now);
    if (rec.successor !== undefined) await releaseSuccessor(tx, rec, how, now);
    if (rec.dependents) {
      let seen = 0;
      for (;;) {
        const dependents = (await tx.heads('deps', { lower: rec.id, upper: rec.id }, DEPENDENTS_BATCH)).filter((d) => isWaiting(d.state));
        for (const dep of dependents) {
          if (how === 'completed') {
            await tx.putHead(dependencyCompleted(dep, rec.id, rec.result, now));
          } else {
            const next = dependencyFailed(dep, rec, how, now);
            await tx.putHead(next);
            // Events carry the whole job: the data kept apart of the (few) failed ones is read.
            failed.push(next.inline ? next : { ...next, data: (await tx.get(next.id))?.data });
            work.push({ rec: next, how: 'failed' });
          }
        }
        seen += dependents.length;
        // Every dependent read left the index (its pendingDeps no longer names this job).
        if (dependents.length < DEPENDENTS_BATCH || seen > 1_000_000) break;
      }
    }
  }
  return failed;
}

/** The entry after `rec` in its group gets the entry before it as the job ahead (none: it is the head now). */
async function advanceGroup(tx: Tx, rec: JobRecord, now: number): Promise<void> {
  const g = rec.group as string;
  const at = groupOrder(rec);
  const [next, prev] = await Promise.all([
    tx.first('group', { lower: [g, at], lowerOpen: true, upper: [g, []] }),
    tx.first('group', { lower: [g], upper: [g, at], upperOpen: true }, 'prev'),
  ]);
  if (!next) return;
  const nextRec = await tx.head(next.id);
  if (!nextRec || !isWaiting(nextRec.state)) return;
  const behind = prev?.id;
  if (nextRec.behind !== behind) await tx.putHead(groupMoved(nextRec, behind, now));
}

async function releaseSuccessor(tx: Tx, rec: JobRecord, how: Ended['how'], now: number): Promise<void> {
  const succ = await tx.head(rec.successor as string);
  if (!succ || succ.after !== rec.id) return;
  const key = rec.idempotencyKey ?? rec.keyOf;
  if (how !== 'removed') {
    // The unique index: the holder must give the key up before the successor takes it.
    const holder = await tx.head(rec.id);
    if (holder && holder.idempotencyKey !== undefined) await tx.putHead(keyGivenUp(holder));
  }
  await tx.putHead(successorReleased(succ, isWaiting(succ.state) ? key : undefined, now));
}

// ---- Gates of a new job. ----

/** The last unfinished job of a group (the job a new one queues behind), or undefined. */
export async function groupTail(tx: Tx, group: string): Promise<string | undefined> {
  const last = await tx.first('group', { lower: [group], upper: [group, []] }, 'prev');
  return last?.id;
}

/** How many expired jobs one transaction fails at most (the runner's timer fires again at once for the rest). */
const EXPIRE_BATCH = 256;

/**
 * Fails every waiting job whose expiry has passed with `ExpiredError`, and what that ends in
 * turn (dependents). Returns the jobs moved to `failed`.
 */
export async function expireWithin(tx: Tx, now: number): Promise<JobRecord[]> {
  const due = await tx.heads('expiry', { upper: [now, []] }, EXPIRE_BATCH);
  const out: JobRecord[] = [];
  const ended: Ended[] = [];
  for (const rec of due) {
    if (!isWaiting(rec.state) || rec.expiresAt === undefined || rec.expiresAt > now) {
      // A stale entry (written by other code): re-indexed, so the next pass does not find it again.
      await tx.putHead(reindex(rec));
      continue;
    }
    const next = expired(rec, now);
    await tx.putHead(next);
    out.push(next.inline ? next : { ...next, data: (await tx.get(next.id))?.data });
    ended.push({ rec: next, how: 'failed' });
  }
  if (ended.length > 0) out.push(...(await propagateEnds(tx, ended, now)));
  return out;
}

/** When the earliest waiting job expires, or undefined. */
export async function nextExpiryWithin(tx: Tx): Promise<number | undefined> {
  const first = await tx.first('expiry');
  return first ? ((first.key as Key[])[0] as number) : undefined;
}

/** The job ended in this change (it was unfinished before and is finished now, or removed). */
export const endedNow = (before: JobRecord, after: JobRecord | undefined): boolean => !isFinished(before.state) && (after === undefined || isFinished(after.state));
