import type { StoredOptions } from '../options.js';
import { JOB_STATES, type Job, type JobState, type SerializedError } from '../types.js';

/** A job as stored: the public snapshot plus lease, ordering and index fields. */
export interface JobRecord {
  id: string;
  queue: string;
  name: string;
  data: unknown;
  state: JobState;
  priority: number;
  attempts: number;
  maxAttempts: number;
  runAt: number;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | undefined;
  progress: unknown;
  result: unknown;
  error: SerializedError | undefined;
  idempotencyKey: string | undefined;
  /**
   * Random id given when the job is added, unique across devices and databases (the `id` is
   * a per-database counter). Absent on records stored by versions before it; a claim gives
   * them one (see `jobUid` in claim.ts).
   */
  uid?: string;
  /** Enqueue order, from a counter in the same transaction as the insert. */
  seq: number;
  opts: StoredOptions;
  /** A waiting job whose `runAt` has passed and was moved into the `ready` index. */
  ready: boolean;
  /** Fencing token of the current attempt; writes carrying another are refused. */
  lease: string | undefined;
  /** Runner that holds the lease (its Web Lock tells whether it is alive). */
  owner: string | undefined;
  /** Time lease: the holder must renew before this, or the job can be taken over. */
  leaseUntil: number | undefined;
  /** Attempts that killed or hung their worker. */
  crashes: number;
  /** Attempts in a row that failed with a network error while the browser reported online. */
  netMisses?: number;
  /**
   * The data is stored in this record. Absent: it is in the `payloads` store, as schema
   * version 1 kept all data and version 2 keeps Blobs and large data (see `payload.ts`).
   */
  inline?: true;
  // Outbox gates (see docs/outbox.md); absent on records written before them.
  /** The job's group. */
  group?: string;
  /** Order within the group: `seq` at insert, a fresh number when a failed job is retried. */
  gseq?: number;
  /** The job ahead of it in its group, while it is not the group's head. */
  behind?: string;
  expiresAt?: number;
  /** Every dependency id. */
  dependsOn?: string[];
  /** Dependencies not yet completed. */
  pendingDeps?: string[];
  /** Results of the completed dependencies, copied as each completed. */
  depResults?: Record<string, unknown>;
  /** Created by a replace while the key's holder ran: that holder's id; gated until it ends. */
  after?: string;
  /** Some waiting job names it in `dependsOn` (so its end looks them up; others pay nothing). */
  dependents?: true;
  /** On a running holder: the job a replace created to run after it. */
  successor?: string;
  /** The key of a job that gave it up (finished and replaced), or of a successor waiting for it. */
  keyOf?: string;
  // Derived index keys: set by `withKeys`, never by hand.
  kState?: [string, number];
  kStateName?: [string, string, number];
  kReady?: [number, number, number];
  kDue?: [number, number];
  kFinished?: [string, number, number];
  kGroup?: [string, number];
  kDeps?: string[];
  kExpiry?: [number, number];
}

export const isWaiting = (state: JobState): boolean => state === 'pending' || state === 'retrying';
export const isFinished = (state: JobState): boolean => state === 'completed' || state === 'failed';

/**
 * A random id unique across devices and databases: `crypto.randomUUID()` where present, else
 * 128 bits of `crypto.getRandomValues` (a page served over plain http, a non-secure context,
 * has only the latter).
 */
export function newUid(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  // Laid out as randomUUID's are (version 4, variant 1), so both kinds of key look alike.
  b[6] = ((b[6] as number) & 0x0f) | 0x40;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * `ctx.idempotencyKey` of an attempt: the user's key, else the job's `uid` (which a claim
 * always sets, see `jobUid` in claim.ts). The one place a handler's key is made.
 */
export function handlerKey(rec: JobRecord): string {
  const key = rec.idempotencyKey ?? rec.uid;
  if (key === undefined) throw new Error(`jobrail bug: job ${rec.id} was claimed without a uid`);
  return key;
}

/** A waiting job that something other than its run time holds back: a group, dependencies, a running predecessor. */
export const isGated = (rec: JobRecord): boolean => rec.behind !== undefined || rec.after !== undefined || (rec.pendingDeps?.length ?? 0) > 0;

/** Recomputes the index key fields from the record's state: the one place they are set. */
export function withKeys(rec: JobRecord): JobRecord {
  const out: JobRecord = { ...rec };
  delete out.kReady;
  delete out.kDue;
  delete out.kFinished;
  delete out.kGroup;
  delete out.kDeps;
  delete out.kExpiry;
  // The key of schema version 1's `name` index, still on records that version wrote.
  delete (out as { kName?: unknown }).kName;
  if (out.idempotencyKey === undefined) delete (out as Partial<JobRecord>).idempotencyKey;
  out.kState = [rec.state, rec.seq];
  out.kStateName = [rec.state, rec.name, rec.seq];
  if (isWaiting(rec.state)) {
    // A gated job is in neither ready nor due: claims never walk past it.
    if (isGated(rec)) {
      if ((rec.pendingDeps?.length ?? 0) > 0) out.kDeps = [...(rec.pendingDeps as string[])];
    } else if (rec.ready) out.kReady = [rec.opts.requiresNetwork ? 1 : 0, -rec.priority, rec.seq];
    else out.kDue = [rec.runAt, rec.seq];
    if (rec.expiresAt !== undefined) out.kExpiry = [rec.expiresAt, rec.seq];
  }
  if (rec.group !== undefined && !isFinished(rec.state)) out.kGroup = [rec.group, rec.gseq ?? rec.seq];
  if (isFinished(rec.state) && rec.finishedAt !== undefined) out.kFinished = [rec.state, rec.finishedAt, rec.seq];
  return out;
}

/** The public, read-only snapshot of a record. */
export function toJob(rec: JobRecord): Job {
  return {
    id: rec.id,
    queue: rec.queue,
    name: rec.name,
    data: rec.data,
    state: rec.state,
    priority: rec.priority,
    attempts: rec.attempts,
    maxAttempts: rec.maxAttempts,
    runAt: rec.runAt,
    createdAt: rec.createdAt,
    updatedAt: rec.updatedAt,
    finishedAt: rec.finishedAt,
    progress: rec.progress,
    result: rec.result,
    error: rec.error,
    idempotencyKey: rec.idempotencyKey ?? rec.keyOf,
    group: rec.group,
    expiresAt: rec.expiresAt,
    dependsOn: rec.dependsOn ?? [],
    waitingFor: waitingFor(rec),
  };
}

/** What holds a waiting job back, as ids of jobs (see `Job.waitingFor`). */
function waitingFor(rec: JobRecord): string[] {
  if (!isWaiting(rec.state)) return [];
  const out = [...(rec.pendingDeps ?? [])];
  if (rec.behind !== undefined) out.push(rec.behind);
  if (rec.after !== undefined && rec.after !== rec.behind) out.push(rec.after);
  return out;
}

/**
 * Says what is wrong with a stored record that the current code did not write (an older
 * version, another library, manual edits), or undefined if it is one jobrail can run.
 */
export function malformation(rec: Partial<JobRecord> & Record<string, unknown>): string | undefined {
  if (typeof rec.name !== 'string' || rec.name.length === 0) return 'it has no job name';
  if (!JOB_STATES.includes(rec.state as JobState)) return `its state ${JSON.stringify(rec.state)} is unknown`;
  if (typeof rec.seq !== 'number') return 'it has no enqueue order (seq)';
  for (const field of ['priority', 'attempts', 'maxAttempts', 'runAt', 'createdAt'] as const) {
    if (typeof rec[field] !== 'number' || Number.isNaN(rec[field])) return `its \`${field}\` is not a number`;
  }
  const opts = rec.opts as Partial<JobRecord['opts']> | undefined;
  if (!opts || typeof opts !== 'object' || !opts.backoff || typeof opts.backoff !== 'object') return 'its stored options are missing';
  return undefined;
}
