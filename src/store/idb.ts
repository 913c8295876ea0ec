import { openDB, type IDBPDatabase, type IDBPTransaction } from 'idb';
import { JobrailError, storageError } from '../errors.js';
import { compareKeys, type Direction, type Engine, type Key, type Range, type Tx } from './engine.js';
import type { JobRecord } from './record.js';
import { ACTIVE, DB_VERSION, DELAYED, INDEXES, JOBS, JOB_STORES, META, PAYLOADS, dbName, storesOf, tierOf, type IndexName, type JobStore, type JobrailDB } from './schema.js';
import { upgrade } from './migrations.js';

/** How long an open may stay blocked by another tab's old connection before it fails. */
const BLOCKED_TIMEOUT_MS = 10_000;

type StoreName = 'jobs' | 'active' | 'delayed' | 'meta' | 'payloads';
type RwTx = IDBPTransaction<JobrailDB, StoreName[], 'readwrite' | 'readonly'>;
const STORES: StoreName[] = [ACTIVE, DELAYED, JOBS, META, PAYLOADS];

/** The job record as kept in a job store: without its data when that is kept apart. */
function stored(rec: JobRecord): JobRecord {
  if (rec.inline) return rec;
  const { data: _data, ...head } = rec;
  return head as JobRecord;
}

function toRange(range: Range | undefined): IDBKeyRange | undefined {
  if (!range) return undefined;
  const { lower, upper, lowerOpen = false, upperOpen = false } = range;
  if (lower !== undefined && upper !== undefined) return IDBKeyRange.bound(lower, upper, lowerOpen, upperOpen);
  if (lower !== undefined) return IDBKeyRange.lowerBound(lower, lowerOpen);
  if (upper !== undefined) return IDBKeyRange.upperBound(upper, upperOpen);
  return undefined;
}

/** The state a range over `state` or `stateName` is confined to, if any. */
function stateOf(range: Range | undefined): unknown {
  const lower = range?.lower;
  const upper = range?.upper;
  const a = Array.isArray(lower) ? lower[0] : undefined;
  const b = Array.isArray(upper) ? upper[0] : undefined;
  return a !== undefined && a === b ? a : undefined;
}

/** Index key of a record, for merging walks over several stores. */
const keyOf = (rec: JobRecord, index: IndexName): Key => (rec as unknown as Record<string, Key>)[INDEXES[index].keyPath] as Key;

function ops(tx: RwTx): Tx {
  const meta = tx.objectStore(META);
  const payloads = tx.objectStore(PAYLOADS);
  type Writable<V> = { put(v: V, k?: string): Promise<unknown>; delete(k: string): Promise<void> };
  const store = (name: JobStore) => tx.objectStore(name);
  const writable = (name: JobStore) => tx.objectStore(name) as unknown as Writable<JobRecord>;
  const payloadsW = payloads as unknown as Writable<{ data: unknown }>;
  /** Where each job read or written in this transaction is stored: a move deletes it there only. */
  const where = new Map<string, JobStore>();
  const note = (rec: JobRecord | undefined, from: JobStore) => {
    if (rec) where.set(rec.id, from);
    return rec;
  };
  /** One record by id, from whichever store holds it: the three reads go out together. */
  const find = async (id: string): Promise<JobRecord | undefined> => {
    const found = await Promise.all(JOB_STORES.map((name) => store(name).get(id)));
    const i = found.findIndex((rec) => rec !== undefined);
    return i < 0 ? undefined : note(found[i], JOB_STORES[i] as JobStore);
  };
  /**
   * Writes a record to the store its keys say, and deletes it from the store it was in if that
   * is another one. A record this transaction did not read is deleted from the other stores
   * (a delete of a missing key costs little in every engine); `fresh` (a new job) skips that.
   */
  const place = (rec: JobRecord, fresh: boolean): Promise<unknown> => {
    const to = tierOf(rec);
    const from = where.get(rec.id);
    const put = writable(to).put(stored(rec));
    const removals = from !== undefined ? (from === to ? [] : [from]) : fresh ? [] : JOB_STORES.filter((name) => name !== to);
    where.set(rec.id, to);
    if (removals.length === 0) return put;
    // If a later request throws on the spot, the earlier ones' rejections (the transaction
    // aborts) must not go unhandled.
    put.catch(() => undefined);
    return Promise.all([put, ...removals.map((name) => writable(name).delete(rec.id))]);
  };
  /** A read over one index, in every store that may hold its entries, merged by key. */
  const storesFor = (index: IndexName, range: Range | undefined) => storesOf(index, index === 'state' || index === 'stateName' ? stateOf(range) : undefined);
  const walk = async (index: IndexName, range: Range | undefined, direction: Direction, limit: number, from: JobStore): Promise<{ key: Key; id: string }[]> => {
    const out: { key: Key; id: string }[] = [];
    if (limit <= 0) return out;
    let cursor = await store(from).index(index).openKeyCursor(toRange(range), direction);
    while (cursor && out.length < limit) {
      out.push({ key: cursor.key as Key, id: cursor.primaryKey });
      cursor = await cursor.continue();
    }
    return out;
  };
  const merged = async (index: IndexName, range: Range | undefined, direction: Direction, limit: number): Promise<{ key: Key; id: string }[]> => {
    const names = storesFor(index, range);
    const walks = await Promise.all(names.map((name) => walk(index, range, direction, limit, name)));
    if (walks.length === 1) return walks[0] as { key: Key; id: string }[];
    const sign = direction === 'next' ? 1 : -1;
    return walks.flat().sort((a, b) => sign * compareKeys(a.key, b.key)).slice(0, limit);
  };
  return {
    get: async (id) => {
      // Every read at once: one round trip, whichever store holds the job and its data.
      const [rec, payload] = await Promise.all([find(id), payloads.get(id)]);
      if (rec && !rec.inline) rec.data = payload?.data;
      return rec;
    },
    head: (id) => find(id),
    put: async (rec) => {
      if (rec.inline) {
        await place(rec, true);
        return;
      }
      const job = place(rec, true);
      job.catch(() => undefined);
      await Promise.all([job, payloadsW.put({ data: rec.data }, rec.id)]);
    },
    putHead: async (rec) => {
      await place(rec, false);
    },
    heads: async (index, range, limit) => {
      const names = storesFor(index, range);
      const lists = await Promise.all(names.map(async (name) => (await store(name).index(index).getAll(toRange(range), limit)).map((rec) => note(rec, name) as JobRecord)));
      if (lists.length === 1) return lists[0] as JobRecord[];
      return lists
        .flat()
        .sort((a, b) => compareKeys(keyOf(a, index), keyOf(b, index)))
        .slice(0, limit);
    },
    delete: async (id) => {
      // The payload too, unasked: a request for a missing key costs less than reading the job first.
      const from = where.get(id);
      where.delete(id);
      const requests = [...(from ? [from] : JOB_STORES).map((name) => writable(name).delete(id)), payloadsW.delete(id)];
      for (const r of requests) r.catch(() => undefined);
      await Promise.all(requests);
    },
    getMeta: async <T>(key: string) => (await meta.get(key)) as T | undefined,
    putMeta: async (key, value) => {
      await (meta as unknown as { put(v: unknown, k: string): Promise<unknown> }).put(value, key);
    },
    first: async (index, range, direction = 'next') => (await merged(index, range, direction, 1))[0],
    entries: (index, range, direction, limit) => merged(index, range, direction, limit),
    ids: async (index, range, direction: Direction, limit) => {
      if (limit <= 0) return [];
      const names = storesFor(index, range);
      if (names.length > 1) return (await merged(index, range, direction, limit)).map((e) => e.id);
      const out: string[] = [];
      let cursor = await store(names[0] as JobStore).index(index).openKeyCursor(toRange(range), direction);
      while (cursor && out.length < limit) {
        out.push(cursor.primaryKey);
        cursor = await cursor.continue();
      }
      return out;
    },
    count: async (index: IndexName, range) => {
      const counts = await Promise.all(storesFor(index, range).map((name) => store(name).index(index).count(toRange(range))));
      return counts.reduce((a, b) => a + b, 0);
    },
  };
}

/**
 * IndexedDB through `idb`. One cached connection; when the browser closes it under us
 * (storage cleared, another tab deleting or upgrading the database) the next call reopens.
 */
export class IdbEngine implements Engine {
  readonly durable = true;
  private db: Promise<IDBPDatabase<JobrailDB>> | undefined;
  private closed = false;

  constructor(private readonly queue: string) {}

  /** Opens (or reopens) the connection. */
  connect(): Promise<IDBPDatabase<JobrailDB>> {
    if (this.closed) return Promise.reject(new JobrailError(`Queue "${this.queue}" is closed: open it again with openQueue()`));
    this.db ??= new Promise<IDBPDatabase<JobrailDB>>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let gaveUp = false;
      openDB<JobrailDB>(dbName(this.queue), DB_VERSION, {
        upgrade: (db, oldVersion, _newVersion, tx) => {
          // A step that throws aborts the upgrade: the database stays at its old version.
          upgrade(db, oldVersion, tx).catch(() => {
            try {
              tx.abort();
            } catch {
              // already aborted
            }
          });
        },
        blocked: () => {
          // Another tab holds an older version open. jobrail tabs step aside at once
          // (`blocking` below); anything else gets a bounded wait, not a hang.
          timer = setTimeout(() => {
            gaveUp = true;
            reject(new JobrailError(`Opening the database of queue "${this.queue}" is blocked: another tab keeps an older version of it open. Close or reload the other tabs of this app, then try again.`));
          }, BLOCKED_TIMEOUT_MS);
        },
        blocking: () => {
          // A newer version wants the database: step aside, the next call reopens it.
          void this.db?.then((db) => db.close()).catch(() => undefined);
          this.db = undefined;
        },
        terminated: () => {
          // The browser closed the connection (storage cleared, disk error): reopen on next use.
          this.db = undefined;
        },
      }).then(
        (db) => {
          clearTimeout(timer);
          // Unblocked after we gave up: nobody holds this connection, so close it.
          if (gaveUp) db.close();
          else resolve(db);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    }).catch((error: unknown) => {
      this.db = undefined;
      if ((error as { name?: unknown } | null)?.name === 'VersionError') {
        throw new JobrailError(`The database of queue "${this.queue}" was upgraded by a newer version of jobrail (in another tab, or before a rollback): reload this page to run the newer code.`, { cause: error });
      }
      throw storageError(`open the database of queue "${this.queue}"`, error);
    });
    return this.db;
  }

  read<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.run('readonly', fn, 'default');
  }

  write<T>(fn: (tx: Tx) => Promise<T>, durability: 'strict' | 'relaxed'): Promise<T> {
    return this.run('readwrite', fn, durability);
  }

  private async run<T>(mode: IDBTransactionMode, fn: (tx: Tx) => Promise<T>, durability: IDBTransactionDurability): Promise<T> {
    const db = await this.connect();
    let tx: RwTx;
    try {
      tx = db.transaction(STORES, mode as 'readwrite', { durability }) as unknown as RwTx;
    } catch (error) {
      // InvalidStateError: the connection was closed under us. Reopen once.
      this.db = undefined;
      if (this.closed) throw new JobrailError(`Queue "${this.queue}" is closed: open it again with openQueue()`, { cause: error });
      const again = await this.connect();
      tx = again.transaction(STORES, mode as 'readwrite', { durability }) as unknown as RwTx;
    }
    let result: T;
    try {
      result = await fn(ops(tx));
    } catch (error) {
      try {
        tx.abort();
      } catch {
        // already finished or aborted
      }
      await tx.done.catch(() => undefined);
      throw error;
    }
    try {
      await tx.done;
    } catch (error) {
      throw storageError(mode === 'readwrite' ? 'write to the queue' : 'read the queue', error);
    }
    return result;
  }

  close(): void {
    this.closed = true;
    void this.db?.then((db) => db.close()).catch(() => undefined);
    this.db = undefined;
  }
}
