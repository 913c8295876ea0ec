import { JobrailError } from '../errors.js';
import { compareKeys, type Direction, type Engine, type Key, type Range, type Tx } from './engine.js';
import type { JobRecord } from './record.js';
import { INDEXES, type IndexName } from './schema.js';
import { SortedIndex, type Entry } from './sorted-index.js';

const INDEX_NAMES = Object.keys(INDEXES) as IndexName[];
const indexKey = (rec: JobRecord, index: IndexName): Key | undefined =>
  (rec as unknown as Record<string, Key | undefined>)[INDEXES[index].keyPath];

/** The entries' keys of one record in one index: a multiEntry index has one per distinct array element, as IndexedDB makes. */
function indexKeys(rec: JobRecord | undefined, index: IndexName): Key[] {
  const key = rec && indexKey(rec, index);
  if (key === undefined) return [];
  const spec = INDEXES[index];
  if ('multiEntry' in spec && spec.multiEntry && Array.isArray(key)) {
    const out: Key[] = [];
    for (const k of key) if (!out.some((o) => compareKeys(o, k) === 0)) out.push(k);
    return out;
  }
  return [key];
}

/**
 * Non-durable storage private to this tab or runtime, with the same ordering and atomicity
 * as IndexedDB: transactions run one at a time and roll back when they throw. Values are
 * structured-cloned in and out, as IndexedDB does, so data that IndexedDB would refuse is
 * refused here too.
 */
export class MemoryEngine implements Engine {
  readonly durable = false;
  /** Job records without their data, which is kept in `payloads` (both copied in and out). */
  private readonly jobs = new Map<string, JobRecord>();
  private readonly payloads = new Map<string, unknown>();
  private readonly meta = new Map<string, unknown>();
  private readonly indexes = new Map<IndexName, SortedIndex>(INDEX_NAMES.map((name) => [name, new SortedIndex()]));
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly name: string) {}

  read<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.run(fn);
  }

  write<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.run(fn);
  }

  close(): void {
    this.closed = true;
  }

  private run<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const result = this.queue.then(async () => {
      if (this.closed) throw new JobrailError(`Queue "${this.name}" is closed: open it again with openQueue()`);
      const undoJobs = new Map<string, { rec: JobRecord | undefined; data: unknown }>();
      const undoMeta = new Map<string, unknown>();
      try {
        return await fn(this.ops(undoJobs, undoMeta));
      } catch (error) {
        for (const [id, before] of undoJobs) {
          this.setJob(id, before.rec);
          if (before.rec) this.payloads.set(id, before.data);
          else this.payloads.delete(id);
        }
        for (const [key, before] of undoMeta) {
          if (before === undefined) this.meta.delete(key);
          else this.meta.set(key, before);
        }
        throw error;
      }
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  private setJob(id: string, rec: JobRecord | undefined): void {
    const old = this.jobs.get(id);
    for (const name of INDEX_NAMES) {
      const index = this.indexes.get(name) as SortedIndex;
      for (const key of indexKeys(old, name)) index.remove({ key, id });
      for (const key of indexKeys(rec, name)) index.insert({ key, id });
    }
    if (rec) this.jobs.set(id, rec);
    else this.jobs.delete(id);
  }

  private ops(undoJobs: Map<string, { rec: JobRecord | undefined; data: unknown }>, undoMeta: Map<string, unknown>): Tx {
    const remember = (id: string) => {
      if (!undoJobs.has(id)) undoJobs.set(id, { rec: this.jobs.get(id), data: this.payloads.get(id) });
    };
    // Data is never kept apart here, so a head is the whole job, as IndexedDB reads inline data.
    const head = async (id: string) => {
      const rec = this.jobs.get(id);
      if (!rec) return undefined;
      const copy = structuredClone(rec);
      copy.data = structuredClone(this.payloads.get(id));
      return copy;
    };
    const writeHead = (rec: JobRecord) => {
      const { data: _data, ...rest } = rec;
      const copy = structuredClone(rest) as JobRecord;
      const key = indexKey(copy, 'idempotencyKey');
      const holder = key === undefined ? undefined : walk('idempotencyKey', { lower: key, upper: key }, 'next', 1)[0];
      if (holder && holder.id !== copy.id) {
        throw new DOMException(`Unable to add key to index 'idempotencyKey': at least one key does not satisfy the uniqueness requirements.`, 'ConstraintError');
      }
      remember(copy.id);
      this.setJob(copy.id, copy);
    };
    const walk = (index: IndexName, range: Range | undefined, direction: Direction, limit = Infinity): Entry[] => {
      const idx = this.indexes.get(index) as SortedIndex;
      const [start, end] = idx.span(range);
      return idx.take(start, end, direction, limit);
    };
    return {
      get: head,
      head,
      heads: async (index, range, limit) => {
        const ids = walk(index, range, 'next', limit).map((e) => e.id);
        return Promise.all(ids.map(async (id) => (await head(id)) as JobRecord));
      },
      put: async (rec) => {
        const data = structuredClone(rec.data);
        writeHead(rec);
        this.payloads.set(rec.id, data);
      },
      putHead: async (rec) => {
        writeHead(rec);
      },
      delete: async (id) => {
        remember(id);
        this.setJob(id, undefined);
        this.payloads.delete(id);
      },
      getMeta: async <T>(key: string) => {
        const value = this.meta.get(key);
        return (value === undefined ? undefined : structuredClone(value)) as T | undefined;
      },
      putMeta: async (key, value) => {
        if (!undoMeta.has(key)) undoMeta.set(key, this.meta.get(key));
        this.meta.set(key, structuredClone(value));
      },
      first: async (index, range, direction = 'next') => {
        const entry = walk(index, range, direction, 1)[0];
        return entry && { key: entry.key, id: entry.id };
      },
      entries: async (index, range, direction, limit) => walk(index, range, direction, limit).map((e) => ({ key: e.key, id: e.id })),
      ids: async (index, range, direction, limit) => walk(index, range, direction, limit).map((e) => e.id),
      count: async (index, range) => {
        const [start, end] = (this.indexes.get(index) as SortedIndex).span(range);
        return end - start;
      },
    };
  }
}
