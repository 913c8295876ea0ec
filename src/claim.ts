import { compareKeys, prefix, Writes, type Engine, type Key, type Tx } from './store/engine.js';
import { isWaiting, malformation, newUid, type JobRecord } from './store/record.js';
import { claim, expired, promote, quarantine, reindex } from './transitions.js';
import { expireWithin, nextExpiryWithin, propagateEnds } from './flow.js';

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

/** How many delayed jobs one claim moves into the ready index at most: keeps each claim short. */
const PROMOTE_BATCH = 256;

/** Candidates read beyond what a claim asks for: room for stale or malformed entries. */
const READ_AHEAD = 4;

/** Meta key of the database's own random id, created by the first claim that needs it. */
const DATABASE_ID = 'databaseId';

/**
 * The record's `uid`, or for a record stored without one (by an older version) an id made
 * from the database's random id and the job id: unique across databases, and a deleted and
 * recreated database gets a new one. The caller stores it in the record, so every later
 * attempt reads the same value; no record is rewritten at upgrade.
 */
async function jobUid(tx: Tx, rec: JobRecord): Promise<string> {
  if (rec.uid !== undefined) return rec.uid;
  let dbId = await tx.getMeta<string>(DATABASE_ID);
  if (dbId === undefined) {
    dbId = newUid();
    await tx.putMeta(DATABASE_ID, dbId);
  }
  return `${dbId}/${rec.id}`;
}

/** Sliding window of start times kept in meta, shared by every tab. */
async function takeLimiterSlot(tx: Tx, now: number, limiter: { max: number; duration: number }): Promise<number | undefined> {
  const starts = ((await tx.getMeta<number[]>('limiter')) ?? []).filter((t) => t > now - limiter.duration);
  if (starts.length >= limiter.max) return (starts[0] as number) + limiter.duration;
  starts.push(now);
  await tx.putMeta('limiter', starts);
  return undefined;
}

/** Runnable jobs of one kind (needing the network or not), read a batch at a time in priority order. */
class ReadyList {
  private recs: JobRecord[] = [];
  private at = 0;
  private more = true;

  constructor(
    private readonly tx: Tx,
    private readonly network: 0 | 1,
  ) {}

  /** Reads the next batch after the last job read (requests made before it are seen). */
  async read(limit: number): Promise<void> {
    const last = this.recs[this.recs.length - 1]?.kReady;
    const range = last ? { lower: last, lowerOpen: true, upper: [this.network, []] } : prefix(this.network);
    this.recs = await this.tx.heads('ready', range, limit);
    this.at = 0;
    this.more = this.recs.length === limit;
  }

  /** Reads again from the start of the index. */
  reset(limit: number): Promise<void> {
    this.recs = [];
    return this.read(limit);
  }

  get head(): JobRecord | undefined {
    return this.recs[this.at];
  }

  /** Nothing left in this batch, but the index may hold more. */
  get drained(): boolean {
    return this.at >= this.recs.length && this.more;
  }

  take(): JobRecord {
    return this.recs[this.at++] as JobRecord;
  }
}

/** The list whose next job comes first by (priority, enqueue order). */
function earlier(a: ReadyList | undefined, b: ReadyList | undefined): ReadyList | undefined {
  const x = a?.head;
  const y = b?.head;
  if (x && y) return compareKeys((x.kReady as Key[]).slice(1), (y.kReady as Key[]).slice(1)) <= 0 ? a : b;
  return x ? a : y ? b : undefined;
}

/** Runners that found every slot of the global `concurrency` taken, lately: owner → when. */
const WAITING = 'waiting';
/** How long such a runner has a slot kept for it. */
const WAITING_MS = 2000;

/**
 * With a global `concurrency`, the runner that frees a slot refills it in the same
 * transaction, so under a steady backlog one tab or process would do all the work and the
 * others none. A runner that found the queue full says so in meta; every other runner then
 * leaves it one slot, which it takes at its next pass (woken by the write).
 */
function fairCap(waiting: Record<string, number> | undefined, req: ClaimRequest): { cap: number; waiting: Record<string, number> } {
  const recent: Record<string, number> = {};
  for (const [owner, at] of Object.entries(waiting ?? {})) if (at > req.now - WAITING_MS) recent[owner] = at;
  const others = Object.keys(recent).filter((owner) => owner !== req.owner).length;
  return { cap: Math.max(0, req.concurrency - others), waiting: recent };
}

/** A stopping runner no longer waits for a slot: the one kept for it goes back to the others. */
export function leaveWaiting(engine: Engine, owner: string): Promise<void> {
  return engine.write(async (tx) => {
    const waiting = await tx.getMeta<Record<string, number>>(WAITING);
    if (!waiting || !(owner in waiting)) return;
    delete waiting[owner];
    await tx.putMeta(WAITING, waiting);
  }, 'relaxed');
}

export interface Claimed {
  jobs: JobRecord[];
  /** Why fewer than `max` jobs were claimed. */
  stop: 'full' | 'paused' | 'busy' | 'empty' | 'limited';
  /** With `limited`: when the limiter has room again; with `busy`: when a slot left to a waiting runner comes back. */
  until?: number;
  /** Jobs in `processing` across all tabs after this claim. */
  processing: number;
  /** Jobs found expired instead of claimed (and what their end failed), now `failed`. */
  expired: JobRecord[];
  /** When the earliest waiting job expires: the runner sets its expiry timer to it. */
  nextExpiry: number | undefined;
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
  // Two lists along the ready index (jobs that need no network, and those that do, which
  // are passed over while offline), merged by (priority, enqueue order).
  const local = new ReadyList(tx, 0);
  const networked = req.online ? new ReadyList(tx, 1) : undefined;
  const limit = max + READ_AHEAD;
  // Independent reads, made together: one round trip in the common case.
  const [count, paused, waitingNow, due, firstExpiry] = await Promise.all([
    tx.count('state', prefix('processing')),
    tx.getMeta<boolean>('paused'),
    tx.getMeta<Record<string, number>>(WAITING),
    tx.heads('due', { upper: [req.now, []] }, PROMOTE_BATCH),
    nextExpiryWithin(tx),
    local.read(limit),
    networked?.read(limit),
  ]);
  let processing = count;
  const jobs: JobRecord[] = [];
  const expiredNow: JobRecord[] = [];
  let nextExpiry = firstExpiry;
  if (nextExpiry !== undefined && nextExpiry <= req.now) {
    // Paused or not: expired jobs fail now (the lists are read again below if anything moved).
    expiredNow.push(...(await expireWithin(tx, req.now)));
    nextExpiry = await nextExpiryWithin(tx);
    await Promise.all([local.reset(limit), networked?.reset(limit)]);
  }
  if (paused) return { jobs, stop: 'paused', processing, expired: expiredNow, nextExpiry };
  // Writes are made without waiting for each; requests run in order, and all are awaited before returning.
  const writes = new Writes();
  if (due.length > 0) {
    // Delayed and backing-off jobs whose time has come join the ready index, and the lists
    // are read again so they compete by priority with the jobs that were ready already.
    for (const rec of due) writes.add(tx.putHead(promote(rec)));
    await Promise.all([local.reset(limit), networked?.reset(limit)]);
  }
  const { cap, waiting } = fairCap(waitingNow, req);
  const done = async (stop: Claimed['stop'], until?: number): Promise<Claimed> => {
    const marked = req.owner in waiting;
    if (stop === 'busy' && jobs.length === 0 && processing >= req.concurrency) {
      if (!marked || (waiting[req.owner] as number) < req.now - WAITING_MS / 2) writes.add(tx.putMeta(WAITING, { ...waiting, [req.owner]: req.now }));
    } else if (marked && jobs.length > 0) {
      delete waiting[req.owner];
      writes.add(tx.putMeta(WAITING, waiting));
    }
    // Data kept apart is read only for the jobs claimed, all at once.
    const full = await Promise.all(jobs.map(async (job) => (job.inline || job.data !== undefined ? job : { ...job, data: (await tx.get(job.id))?.data })));
    await writes.all();
    const out: Claimed = { jobs: full, stop, processing, expired: expiredNow, nextExpiry };
    if (stop === 'busy' && processing < req.concurrency) {
      // Held back only by the slots left to waiting runners: those marks age out without any
      // write or event, so the runner must look again when the first one does (a tab that
      // reloaded or closed while waiting never takes its slot).
      const ends = Object.entries(waiting)
        .filter(([owner]) => owner !== req.owner)
        .map(([, at]) => at + WAITING_MS);
      if (ends.length > 0) until = Math.min(...ends);
    }
    if (until !== undefined) out.until = until;
    return out;
  };
  while (jobs.length < max) {
    if (processing >= cap) return done('busy');
    await Promise.all([local, networked].map((list) => list?.drained && list.read(max - jobs.length + READ_AHEAD)));
    const pick = earlier(local, networked);
    if (!pick) return done('empty');
    if (req.limiter) {
      const until = await takeLimiterSlot(tx, req.now, req.limiter);
      if (until !== undefined) return done('limited', until);
    }
    const rec = pick.take();
    const wrong = malformation(rec as JobRecord & Record<string, unknown>);
    if (wrong !== undefined) {
      // Never run, never crash on, never block behind a record this code did not write.
      writes.add(tx.putHead(quarantine(rec, wrong, req.now)));
      continue;
    }
    if (!isWaiting(rec.state)) {
      // Its index entry is stale (written by other code): re-index it, never run it again.
      writes.add(tx.putHead(reindex(rec)));
      continue;
    }
    if (rec.expiresAt !== undefined && rec.expiresAt <= req.now) {
      // Never started after its expiry, even if the runner's expiry timer has not fired yet.
      const next = expired(rec, req.now);
      writes.add(tx.putHead(next));
      expiredNow.push(next, ...(await propagateEnds(tx, [{ rec: next, how: 'failed' }], req.now)));
      continue;
    }
    // Kept from the first claim on, so every attempt gets the same idempotency key.
    const uid = rec.uid ?? (await jobUid(tx, rec));
    const claimed = claim({ ...rec, uid }, { now: req.now, lease: jobs.length === 0 ? req.lease : token(), owner: req.owner, leaseUntil: req.leaseUntil });
    writes.add(tx.putHead(claimed));
    jobs.push(claimed);
    processing += 1;
  }
  return done('full');
}

/** When the earliest delayed or backing-off job becomes ready, or undefined if none waits. */
export function nextDueAt(engine: Engine): Promise<number | undefined> {
  return engine.read(async (tx) => {
    const first = await tx.first('due');
    return first ? ((first.key as Key[])[0] as number) : undefined;
  });
}
