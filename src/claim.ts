import type { Engine, Key, Tx } from './store/engine.js';
import { compareKeys } from './store/memory.js';
import { prefix } from './store/engine.js';
import { withKeys, type JobRecord } from './store/record.js';

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
  for (const id of ids) {
    const rec = await tx.head(id);
    if (rec) await tx.putHead(withKeys({ ...rec, ready: true }));
  }
}

/** Sliding window of start times kept in meta, shared by every tab. */
async function takeLimiterSlot(tx: Tx, now: number, limiter: { max: number; duration: number }): Promise<number | undefined> {
  const starts = ((await tx.getMeta<number[]>('limiter')) ?? []).filter((t) => t > now - limiter.duration);
  if (starts.length >= limiter.max) return (starts[0] as number) + limiter.duration;
  starts.push(now);
  await tx.putMeta('limiter', starts);
  return undefined;
}

/**
 * Claims the next job in one readwrite transaction: highest priority first, then enqueue
 * order, among jobs whose time has come. Reads index keys to choose and only the chosen
 * job's record, so its cost does not grow with the number of stored jobs.
 */
export function claimNext(engine: Engine, req: ClaimRequest): Promise<ClaimResult> {
  return engine.write(async (tx): Promise<ClaimResult> => {
    const processing = await tx.count('state', prefix('processing'));
    if (await tx.getMeta<boolean>('paused')) return { reason: 'paused', processing };
    if (processing >= req.concurrency) return { reason: 'busy', processing };
    await promoteDue(tx, req.now);
    const offline = await tx.first('ready', prefix(0));
    const online = req.online ? await tx.first('ready', prefix(1)) : undefined;
    const pick = offline && online ? (compareKeys((offline.key as Key[]).slice(1), (online.key as Key[]).slice(1)) <= 0 ? offline : online) : (offline ?? online);
    if (!pick) return { reason: 'empty', processing };
    if (req.limiter) {
      const until = await takeLimiterSlot(tx, req.now, req.limiter);
      if (until !== undefined) return { reason: 'limited', until, processing };
    }
    const rec = await tx.get(pick.id);
    if (!rec) return { reason: 'empty', processing };
    const claimed = withKeys({
      ...rec,
      state: 'processing',
      ready: false,
      attempts: rec.attempts + 1,
      updatedAt: req.now,
      lease: req.lease,
      owner: req.owner,
      leaseUntil: req.leaseUntil,
    });
    await tx.putHead(claimed);
    return { job: claimed };
  }, 'relaxed');
}

/** When the earliest delayed or backing-off job becomes ready, or undefined if none waits. */
export function nextDueAt(engine: Engine): Promise<number | undefined> {
  return engine.read(async (tx) => {
    const first = await tx.first('due');
    return first ? ((first.key as Key[])[0] as number) : undefined;
  });
}
