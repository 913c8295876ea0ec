import type { Engine, Key, KeyCursor, Tx } from './store/engine.js';
import { compareKeys } from './store/memory.js';
import { prefix, Writes } from './store/engine.js';
import { isWaiting, malformation, quarantine, withKeys, type JobRecord } from './store/record.js';

export interface ClaimRequest {
  now: number;
  /** Runner that will hold the lease. */
  owner: string;
  /** Fresh fencing token for this attempt. */
  lease: string;
  leaseUntil: number;
  /** Jobs in `processing` across all tabs above which nothing is claimed. */
  concurrency: number;
  /** While offline, `requiresNetwork` jobs are passed over. */
  online: boolean;
  limiter: { max: number; duration: number } | undefined;
}

export type ClaimResult =
  | { job: JobRecord }
  | { job?: undefined; reason: 'paused' | 'busy' | 'empty'; processing: number }
  | { job?: undefined; reason: 'limited'; until: number; processing: number };

/** How many delayed jobs one claim moves into the ready index at most: keeps each claim short. */
const PROMOTE_BATCH = 256;

/** Delayed and backing-off jobs whose time has come join the ready index. */
async function promoteDue(tx: Tx, now: number): Promise<void> {
  const ids = await tx.ids('due', { upper: [now, []] }, 'next', 0, PROMOTE_BATCH);
  const heads = await Promise.all(ids.map((id) => tx.head(id)));
  await Promise.all(heads.map((rec) => rec && tx.putHead(withKeys({ ...rec, ready: true }))));
}

/** Sliding window of start times kept in meta, shared by every tab. */
async function takeLimiterSlot(tx: Tx, now: number, limiter: { max: number; duration: number }): Promise<number | undefined> {
  const starts = ((await tx.getMeta<number[]>('limiter')) ?? []).filter((t) => t > now - limiter.duration);
  if (starts.length >= limiter.max) return (starts[0] as number) + limiter.duration;
  starts.push(now);
  await tx.putMeta('limiter', starts);
  return undefined;
}

/** Chooses between the first runnable job that needs no network and the first that does. */
function earlier(local: KeyCursor | undefined, networked: KeyCursor | undefined): KeyCursor | undefined {
  if (local && networked) return compareKeys((local.key as Key[]).slice(1), (networked.key as Key[]).slice(1)) <= 0 ? local : networked;
  return local ?? networked;
}

export interface Claimed {
  jobs: JobRecord[];
  /** Why fewer than `max` jobs were claimed. */
  stop: 'full' | 'paused' | 'busy' | 'empty' | 'limited';
  /** With `limited`: when the limiter has room again. */
  until?: number;
  /** Jobs in `processing` across all tabs after this claim. */
  processing: number;
}

/**
 * Claims up to `max` jobs in one readwrite transaction: highest priority first, then
 * enqueue order, among jobs whose time has come; each under its own new lease token.
 * Reads index keys to choose and only the chosen jobs' records, so its cost does not grow
 * with the number of stored jobs. The paused flag, the global concurrency and the limiter
 * are checked inside the same transaction, so every tab sees one consistent answer.
 */
export function claimJobs(engine: Engine, req: ClaimRequest, max: number, token: () => string): Promise<Claimed> {
  return engine.write((tx) => claimWithin(tx, req, max, token), 'relaxed');
}

/** The claim of `claimJobs`, inside a transaction the caller holds (e.g. with the settle of finished jobs). */
export async function claimWithin(tx: Tx, req: ClaimRequest, max: number, token: () => string): Promise<Claimed> {
  {
    // Independent reads, made together: one round trip instead of three.
    const [count, paused] = await Promise.all([tx.count('state', prefix('processing')), tx.getMeta<boolean>('paused'), promoteDue(tx, req.now)]);
    let processing = count;
    const jobs: JobRecord[] = [];
    if (paused) return { jobs, stop: 'paused', processing };
    // Writes are made without waiting for each; requests run in order, and all are awaited before returning.
    const writes = new Writes();
    const done = async (stop: Claimed['stop'], until?: number): Promise<Claimed> => {
      await writes.all();
      return until === undefined ? { jobs, stop, processing } : { jobs, stop, until, processing };
    };
    // Two walks along the ready index (jobs that need no network, and those that do, which
    // are passed over while offline), merged by (priority, enqueue order).
    let [local, networked] = await Promise.all([tx.cursor('ready', prefix(0)), req.online ? tx.cursor('ready', prefix(1)) : undefined]);
    while (jobs.length < max) {
      if (processing >= req.concurrency) return done('busy');
      const pick = earlier(local, networked);
      if (!pick) return done('empty');
      if (req.limiter) {
        const until = await takeLimiterSlot(tx, req.now, req.limiter);
        if (until !== undefined) return done('limited', until);
      }
      const [rec, more] = await Promise.all([tx.get(pick.id), pick.next()]);
      if (!more) {
        if (pick === local) local = undefined;
        else networked = undefined;
      }
      if (!rec) continue;
      const wrong = malformation(rec as JobRecord & Record<string, unknown>);
      if (wrong !== undefined) {
        // Never run, never crash on, never block behind a record this code did not write.
        writes.add(tx.putHead(quarantine(rec, wrong, req.now)));
        continue;
      }
      if (!isWaiting(rec.state)) {
        // Its index entry is stale (written by other code): re-index it, never run it again.
        writes.add(tx.putHead(withKeys(rec)));
        continue;
      }
      const claimed = withKeys({
        ...rec,
        state: 'processing',
        ready: false,
        attempts: rec.attempts + 1,
        updatedAt: req.now,
        lease: jobs.length === 0 ? req.lease : token(),
        owner: req.owner,
        leaseUntil: req.leaseUntil,
      });
      writes.add(tx.putHead(claimed));
      jobs.push(claimed);
      processing += 1;
    }
    return done('full');
  }
}

/** Claims the next job (see `claimJobs`). */
export async function claimNext(engine: Engine, req: ClaimRequest): Promise<ClaimResult> {
  const res = await claimJobs(engine, req, 1, () => req.lease);
  const job = res.jobs[0];
  if (job) return { job };
  if (res.stop === 'limited') return { reason: 'limited', until: res.until as number, processing: res.processing };
  return { reason: res.stop === 'full' ? 'empty' : res.stop, processing: res.processing };
}

/** When the earliest delayed or backing-off job becomes ready, or undefined if none waits. */
export function nextDueAt(engine: Engine): Promise<number | undefined> {
  return engine.read(async (tx) => {
    const first = await tx.first('due');
    return first ? ((first.key as Key[])[0] as number) : undefined;
  });
}
