import { JobrailError } from './errors.js';
import type { NormalizedJobOptions } from './options.js';
import { Writes, type Engine } from './store/engine.js';
import { INLINE_MAX_BYTES, keptApart, measureData, type DataSize } from './store/payload.js';
import { newUid, withKeys, type JobRecord } from './store/record.js';
import { created } from './transitions.js';

/** A job ready to insert: everything but the id and enqueue order, given in the transaction. */
export type Draft = Omit<JobRecord, 'id' | 'seq'>;

/** A new job; `size` (from `measureJobData`) decides where its data is kept, measured here if not given. */
export function draftJob(queue: string, name: string, data: unknown, options: NormalizedJobOptions, now: number, size: DataSize = measureData(data, INLINE_MAX_BYTES)): Draft {
  const draft: Draft = created({
    queue,
    name,
    data,
    priority: options.priority,
    attempts: 0,
    maxAttempts: options.maxAttempts,
    runAt: options.runAt,
    createdAt: now,
    updatedAt: now,
    finishedAt: undefined,
    progress: undefined,
    result: undefined,
    error: undefined,
    idempotencyKey: options.idempotencyKey,
    uid: newUid(),
    opts: options.stored,
    ready: options.runAt <= now,
    lease: undefined,
    owner: undefined,
    leaseUntil: undefined,
    crashes: 0,
  });
  if (!keptApart(size)) draft.inline = true;
  return draft;
}

/** Names a job whose data IndexedDB's structured clone refused. */
function notStorable(name: string, cause: unknown): JobrailError {
  return new JobrailError(
    `Data of job "${name}" cannot be stored: the structured clone algorithm refused it (functions, symbols, DOM nodes and class instances with private state cannot be stored; pass plain data, Blobs or ArrayBuffers). Nothing was written.`,
    { cause },
  );
}

/**
 * Refuses data that IndexedDB could not store, before a transaction starts. For data that is
 * not written as a job of its own (a schedule's template); a job's data is checked by the put
 * itself (see `insertJobs`), which saves cloning every job twice.
 */
export function checkCloneable(name: string, data: unknown): void {
  try {
    structuredClone(data);
  } catch (error) {
    throw notStorable(name, error);
  }
}

/** Measures job data, refusing it over `maxDataBytes`; the size also says where it is kept. */
export function measureJobData(name: string, data: unknown, maxBytes: number): DataSize {
  const size = measureData(data, maxBytes);
  if (size.bytes > maxBytes) {
    throw new RangeError(`Data of job "${name}" is about ${String(size.bytes)} bytes, over \`maxDataBytes\` (${String(maxBytes)}): store large payloads elsewhere (e.g. the Cache API) and put a reference in the job, or raise maxDataBytes. Nothing was written.`);
  }
  return size;
}

export interface Inserted {
  job: JobRecord;
  /** false when an idempotency key matched a stored job, which is returned instead. */
  created: boolean;
}

/**
 * Inserts drafts in one strict transaction: all or nothing. A draft whose idempotency key a
 * stored job holds creates nothing and yields that job; transactions on one store are
 * serialised by IndexedDB, so two tabs adding one key at once create one job.
 */
export function insertJobs(engine: Engine, drafts: Draft[]): Promise<Inserted[]> {
  return engine.write(async (tx) => {
    let seq = (await tx.getMeta<number>('seq')) ?? 0;
    const out: Inserted[] = [];
    const batchKeys = new Map<string, JobRecord>();
    const writes = new Writes();
    for (const draft of drafts) {
      const key = draft.idempotencyKey;
      if (key !== undefined) {
        const earlier = batchKeys.get(key);
        if (earlier) {
          out.push({ job: earlier, created: false });
          continue;
        }
        const holder = await tx.first('idempotencyKey', { lower: key, upper: key });
        const existing = holder && (await tx.get(holder.id));
        if (existing) {
          out.push({ job: existing, created: false });
          continue;
        }
      }
      seq += 1;
      const rec = withKeys({ ...draft, id: String(seq), seq });
      // Not awaited one by one: requests run in order, and all are awaited below. A put that
      // IndexedDB refuses to clone aborts the transaction: nothing of the batch is written.
      writes.add(tx.put(rec).catch((error: unknown) => {
        throw (error as { name?: unknown } | null)?.name === 'DataCloneError' ? notStorable(rec.name, error) : error;
      }));
      if (key !== undefined) batchKeys.set(key, rec);
      out.push({ job: rec, created: true });
    }
    writes.add(tx.putMeta('seq', seq));
    await writes.all();
    return out;
  }, 'strict');
}
