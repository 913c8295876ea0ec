import { JobrailError } from './errors.js';
import type { NormalizedJobOptions } from './options.js';
import { Writes, type Engine } from './store/engine.js';
import { withKeys, type JobRecord } from './store/record.js';

/** A job ready to insert: everything but the id and enqueue order, given in the transaction. */
export type Draft = Omit<JobRecord, 'id' | 'seq'>;

export function draftJob(queue: string, name: string, data: unknown, options: NormalizedJobOptions, now: number): Draft {
  return {
    queue,
    name,
    data,
    state: 'pending',
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
    opts: options.stored,
    ready: options.runAt <= now,
    lease: undefined,
    owner: undefined,
    leaseUntil: undefined,
    crashes: 0,
  };
}

/**
 * Refuses data that IndexedDB could not store, before a transaction starts, so a bulk add
 * fails whole and names the job. Also measures it for `maxDataBytes`.
 */
export function checkStorable(name: string, data: unknown, maxBytes: number): void {
  try {
    structuredClone(data);
  } catch (error) {
    throw new JobrailError(
      `Data of job "${name}" cannot be stored: the structured clone algorithm refused it (functions, symbols, DOM nodes and class instances with private state cannot be stored; pass plain data, Blobs or ArrayBuffers). Nothing was written.`,
      { cause: error },
    );
  }
  const size = estimateBytes(data, maxBytes);
  if (size > maxBytes) {
    throw new RangeError(`Data of job "${name}" is about ${String(size)} bytes, over \`maxDataBytes\` (${String(maxBytes)}): store large payloads elsewhere (e.g. the Cache API) and put a reference in the job, or raise maxDataBytes. Nothing was written.`);
  }
}

/** A cheap upper estimate of a value's stored size; stops counting once past `cap`. */
export function estimateBytes(value: unknown, cap: number): number {
  let total = 0;
  const seen = new Set<object>();
  const stack: unknown[] = [value];
  while (stack.length > 0 && total <= cap) {
    const v = stack.pop();
    if (typeof v === 'string') total += v.length * 2;
    else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') total += 8;
    else if (v && typeof v === 'object') {
      if (seen.has(v)) continue;
      seen.add(v);
      if (typeof Blob !== 'undefined' && v instanceof Blob) total += v.size;
      else if (v instanceof ArrayBuffer) total += v.byteLength;
      else if (ArrayBuffer.isView(v)) total += v.byteLength;
      else if (v instanceof Map) for (const [k, x] of v) stack.push(k, x);
      else if (v instanceof Set) for (const x of v) stack.push(x);
      else for (const [k, x] of Object.entries(v)) {
        total += k.length * 2;
        stack.push(x);
      }
    }
  }
  return total;
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
      // Not awaited one by one: requests run in order, and all are awaited below.
      writes.add(tx.put(rec));
      if (key !== undefined) batchKeys.set(key, rec);
      out.push({ job: rec, created: true });
    }
    writes.add(tx.putMeta('seq', seq));
    await writes.all();
    return out;
  }, 'strict');
}
