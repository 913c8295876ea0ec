import { JobrailError } from './errors.js';
import type { NormalizedJobOptions } from './options.js';
import { groupTail } from './flow.js';
import { Writes, type Engine, type Tx } from './store/engine.js';
import { INLINE_MAX_BYTES, keptApart, measureData, type DataSize } from './store/payload.js';
import { isGated, isWaiting, newUid, withKeys, type JobRecord } from './store/record.js';
import { created, dependencyFailed, keyGivenUp, replace } from './transitions.js';

/** What an insert decides in its transaction: dependencies to resolve, what a held key does. */
export interface Plan {
  /** Job ids, and indexes of earlier drafts of the same insert. */
  dependsOn: readonly (string | number)[];
  onDuplicate: 'keep' | 'replace';
  /** `delay`/`runAt` was given: a replace moves the run time. */
  timed: boolean;
}

/** A job ready to insert: everything but the id and enqueue order, given in the transaction. */
export type Draft = Omit<JobRecord, 'id' | 'seq'> & { plan?: Plan };

/** A new job; `size` (from `measureJobData`) decides where its data is kept, measured here if not given. */
export function draftJob(queue: string, name: string, data: unknown, options: NormalizedJobOptions, now: number, size: DataSize = measureData(data, INLINE_MAX_BYTES)): Draft {
  const draft: Draft = created({
    queue,
    name,
    data,
    priority: options.priority,
    maxAttempts: options.maxAttempts,
    runAt: options.runAt,
    createdAt: now,
    updatedAt: now,
    idempotencyKey: options.idempotencyKey,
    uid: newUid(),
    opts: options.stored,
    ready: options.runAt <= now,
  });
  if (!keptApart(size)) draft.inline = true;
  if (options.group !== undefined) draft.group = options.group;
  if (options.expiresAt !== undefined) draft.expiresAt = options.expiresAt;
  if (options.dependsOn.length > 0 || options.onDuplicate !== 'keep' || options.timed) {
    draft.plan = { dependsOn: options.dependsOn, onDuplicate: options.onDuplicate, timed: options.timed };
  }
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
  /** false when an idempotency key matched a stored job, which is returned instead (updated, with `replace`). */
  created: boolean;
  /** `onDuplicate: 'replace'` put the new data and options into the stored job. */
  replaced?: boolean;
  /** Jobs this insert moved to `failed` (a finished holder that gave up its key is not one). */
  failed?: JobRecord[];
}

/** Refuses a `dependsOn` index that names no earlier item of the same call, before any transaction. */
export function checkDependencyIndexes(drafts: Draft[]): void {
  drafts.forEach((draft, i) => {
    for (const dep of draft.plan?.dependsOn ?? []) {
      if (typeof dep === 'number' && dep >= i) {
        throw new JobrailError(
          `\`dependsOn\` of item ${String(i)} (${draft.name}) names item ${String(dep)}, which is ${dep === i ? 'itself' : 'a later item'}: a job can depend only on an earlier item of the same addBulk (this also rules out cycles). Nothing was written.`,
        );
      }
    }
  });
}

const sameIds = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean => {
  const x = [...(a ?? [])].sort();
  const y = [...(b ?? [])].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

/**
 * The enqueue counter as this tab last wrote or read it, per engine (queue object). An add
 * writes with it instead of reading the counter first, and checks it in the same round trip.
 */
const lastSeq = new WeakMap<Engine, number>();

/** The counter moved since this tab last saw it (another tab added): nothing was written. */
class StaleCounter extends Error {}

/**
 * Inserts drafts in one strict transaction: all or nothing. A draft whose idempotency key a
 * stored job holds creates nothing and yields that job (with `onDuplicate: 'replace'`, see
 * `replaceHeld`); transactions on one store are serialised by IndexedDB, so two tabs adding
 * one key at once create one job, and a claim in another tab sees the job before or after a
 * replace, never between.
 */
export async function insertJobs(engine: Engine, drafts: Draft[], options: { guess?: boolean } = {}): Promise<Inserted[]> {
  checkDependencyIndexes(drafts);
  await engine.prepareValues?.(drafts.map((d) => d.data));
  // Only plain drafts: a key, a dependency or a replace reads the store anyway, and a write
  // under a stale guess must not be able to change what those reads decide.
  const plain = drafts.every((d) => d.idempotencyKey === undefined && d.plan === undefined);
  const guess = options.guess === true && plain ? lastSeq.get(engine) : undefined;
  if (guess !== undefined) {
    try {
      return await insertWith(engine, drafts, guess);
    } catch (error) {
      if (!(error instanceof StaleCounter)) throw error;
    }
  }
  return insertWith(engine, drafts, undefined);
}

/**
 * The insert of `insertJobs`. With `guess` (a transaction of its own, not one joined), the
 * jobs are written under the counter this tab last saw, and the counter's read is issued in
 * the same round trip; if another tab moved it meanwhile, throwing rolls the transaction back
 * and `insertJobs` runs it again reading the counter first. One round trip per add instead of
 * two, in the common case.
 */
function insertWith(engine: Engine, drafts: Draft[], guess: number | undefined): Promise<Inserted[]> {
  return engine.write(async (tx) => {
    const stored = tx.getMeta<number>('seq');
    // Awaited below; a failure meanwhile is reported there, not as an unhandled rejection.
    stored.catch(() => undefined);
    let seq = guess ?? (await stored) ?? 0;
    const out: Inserted[] = [];
    const batchKeys = new Map<string, JobRecord>();
    const writes = new Writes();
    const nextSeq = () => (seq += 1);
    // The tail of every group named, read together (one round trip, not one per job), then
    // kept current as this insert appends to it.
    const named = [...new Set(drafts.map((d) => d.group).filter((g): g is string => g !== undefined))];
    const tails = new Map(await Promise.all(named.map(async (g) => [g, await groupTail(tx, g)] as const)));
    for (const { plan, ...draft } of drafts) {
      const now = draft.createdAt;
      const deps = await resolveDependencies(tx, plan?.dependsOn ?? [], out, draft.name);
      const key = draft.idempotencyKey;
      let keyOf: string | undefined;
      let after: string | undefined;
      if (key !== undefined) {
        const earlier = batchKeys.get(key);
        if (earlier) {
          out.push({ job: earlier, created: false });
          continue;
        }
        const holder = await tx.first('idempotencyKey', { lower: key, upper: key });
        const existing = holder && (await tx.get(holder.id));
        if (existing) {
          if (plan?.onDuplicate !== 'replace') {
            out.push({ job: existing, created: false });
            continue;
          }
          const target = existing.successor !== undefined && existing.state !== 'completed' && existing.state !== 'failed' ? await tx.get(existing.successor) : undefined;
          const open = target && isWaiting(target.state) ? target : existing;
          if (isWaiting(open.state)) {
            if (open.group !== draft.group || !sameIds(open.dependsOn, deps.ids)) {
              throw new JobrailError(
                `A replace of job ${open.id} (key ${JSON.stringify(key)}) cannot change its \`group\` or \`dependsOn\`: give the same ones, or remove the job and add a new one. Nothing was written.`,
              );
            }
            const updated = replace(
              open,
              { data: draft.data, inline: draft.inline, priority: draft.priority, maxAttempts: draft.maxAttempts, opts: draft.opts, expiresAt: draft.expiresAt, runAt: plan.timed ? draft.runAt : undefined },
              now,
            );
            writes.add(putChecked(tx, updated));
            batchKeys.set(key, updated);
            out.push({ job: updated, created: false, replaced: true });
            continue;
          }
          if (existing.state === 'processing') {
            // Runs once after it, with the newest data: gated by `after` until the holder ends,
            // when it takes the key over (see flow.ts).
            after = existing.id;
            keyOf = key;
          } else {
            // Finished and still stored: it gives the key up, and a new job takes it.
            writes.add(tx.putHead(keyGivenUp(existing)));
          }
        }
      }
      const id = String(nextSeq());
      let rec: JobRecord = { ...draft, id, seq };
      if (after !== undefined) {
        rec.after = after;
        rec.keyOf = keyOf;
        rec.idempotencyKey = undefined;
        const holder = (await tx.head(after)) as JobRecord;
        writes.add(tx.putHead({ ...holder, successor: id }));
      }
      if (rec.group !== undefined) {
        rec.gseq = seq;
        const tail = tails.get(rec.group);
        if (tail !== undefined) rec.behind = tail;
      }
      if (deps.ids.length > 0) {
        rec.dependsOn = deps.ids;
        if (deps.pending.length > 0) rec.pendingDeps = deps.pending;
        if (Object.keys(deps.results).length > 0) rec.depResults = deps.results;
        for (const dep of deps.flag) writes.add(tx.putHead(withKeys({ ...dep, dependents: true })));
      }
      if (isGated(rec)) rec.ready = false;
      const failed = deps.failed ? dependencyFailed(rec, deps.failed.rec, deps.failed.how, now) : undefined;
      rec = failed ?? withKeys(rec);
      // Not awaited one by one: requests run in order, and all are awaited below. A put that
      // IndexedDB refuses to clone aborts the transaction: nothing of the batch is written.
      writes.add(putChecked(tx, rec));
      if (key !== undefined) batchKeys.set(key, rec);
      // A job that failed at once (its dependency had failed) never joined its group.
      if (rec.group !== undefined && !failed) tails.set(rec.group, rec.id);
      out.push(failed ? { job: rec, created: true, failed: [rec] } : { job: rec, created: true });
    }
    writes.add(tx.putMeta('seq', seq));
    // The read ran before the writes (requests run in order): it is the counter they replaced.
    // A guess that does not match may have overwritten another tab's job: throwing rolls back.
    if (guess !== undefined && ((await stored) ?? 0) !== guess) throw new StaleCounter();
    await writes.all();
    lastSeq.set(engine, seq);
    return out;
  }, 'strict');
}

/** Writes a new or replaced job with its data, naming the job if IndexedDB refuses to clone the data. */
function putChecked(tx: Tx, rec: JobRecord): Promise<void> {
  return tx.put(rec).catch((error: unknown) => {
    throw (error as { name?: unknown } | null)?.name === 'DataCloneError' ? notStorable(rec.name, error) : error;
  });
}

interface Dependencies {
  ids: string[];
  pending: string[];
  results: Record<string, unknown>;
  /** Dependencies not yet marked as having dependents. */
  flag: JobRecord[];
  /** A dependency that already failed: the new job fails at once. */
  failed?: { rec: JobRecord; how: 'failed' };
}

/** Reads each dependency (without its data): a missing one refuses the whole insert. */
async function resolveDependencies(tx: Tx, given: readonly (string | number)[], earlier: Inserted[], name: string): Promise<Dependencies> {
  const ids = [...new Set(given.map((dep) => (typeof dep === 'number' ? (earlier[dep] as Inserted).job.id : dep)))];
  const out: Dependencies = { ids, pending: [], results: {}, flag: [] };
  if (ids.length === 0) return out;
  const recs = await Promise.all(ids.map((id) => tx.head(id)));
  recs.forEach((dep, i) => {
    const id = ids[i] as string;
    if (!dep) {
      throw new JobrailError(`\`dependsOn\` of job "${name}" names job ${id}, which is not stored (never added, or removed): nothing was written. Add the dependency first, or leave it out.`);
    }
    if (dep.state === 'completed') out.results[id] = dep.result;
    else if (dep.state === 'failed') out.failed ??= { rec: dep, how: 'failed' };
    else out.pending.push(id);
    if (dep.state !== 'completed' && !dep.dependents) out.flag.push(dep);
  });
  return out;
}
