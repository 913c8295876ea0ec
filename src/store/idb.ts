import { openDB, type IDBPDatabase, type IDBPTransaction } from 'idb';
import { JobrailError, storageError } from '../errors.js';
import type { Direction, Engine, Key, Range, Tx } from './engine.js';
import type { JobRecord } from './record.js';
import { DB_VERSION, JOBS, META, PAYLOADS, dbName, type IndexName, type JobrailDB } from './schema.js';
import { upgrade } from './migrations.js';

/** How long an open may stay blocked by another tab's old connection before it fails. */
const BLOCKED_TIMEOUT_MS = 10_000;

type RwTx = IDBPTransaction<JobrailDB, ('jobs' | 'meta' | 'payloads')[], 'readwrite' | 'readonly'>;
const STORES = [JOBS, META, PAYLOADS] as const;

/** The job record as kept in the jobs store: without its data when that is kept apart. */
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

function ops(tx: RwTx): Tx {
  const jobs = tx.objectStore(JOBS);
  const meta = tx.objectStore(META);
  const payloads = tx.objectStore(PAYLOADS);
  type Writable<V> = { put(v: V, k?: string): Promise<unknown>; delete(k: string): Promise<void> };
  const jobsW = jobs as unknown as Writable<JobRecord>;
  const payloadsW = payloads as unknown as Writable<{ data: unknown }>;
  return {
    get: async (id) => {
      // Both requests at once: one round trip, not two, whichever way the data is kept.
      const [rec, payload] = await Promise.all([jobs.get(id), payloads.get(id)]);
      if (rec && !rec.inline) rec.data = payload?.data;
      return rec;
    },
    head: (id) => jobs.get(id),
    put: async (rec) => {
      if (rec.inline) {
        await jobsW.put(rec);
        return;
      }
      // Both at once; if the second throws on the spot (a value IndexedDB refuses), the first
      // one's rejection (the transaction aborts) must not go unhandled.
      const job = jobsW.put(stored(rec));
      job.catch(() => undefined);
      await Promise.all([job, payloadsW.put({ data: rec.data }, rec.id)]);
    },
    putHead: async (rec) => {
      await jobsW.put(stored(rec));
    },
    heads: (index, range, limit) => jobs.index(index).getAll(toRange(range), limit),
    delete: async (id) => {
      // The payload too, unasked: a request for a missing key costs less than reading the job first.
      const job = jobsW.delete(id);
      job.catch(() => undefined);
      await Promise.all([job, payloadsW.delete(id)]);
    },
    getMeta: async <T>(key: string) => (await meta.get(key)) as T | undefined,
    putMeta: async (key, value) => {
      await (meta as unknown as { put(v: unknown, k: string): Promise<unknown> }).put(value, key);
    },
    first: async (index, range, direction = 'next') => {
      const cursor = await jobs.index(index).openKeyCursor(toRange(range), direction);
      return cursor ? { key: cursor.key as never, id: cursor.primaryKey } : undefined;
    },
    entries: async (index, range, direction, limit) => {
      const out: { key: Key; id: string }[] = [];
      if (limit <= 0) return out;
      let cursor = await jobs.index(index).openKeyCursor(toRange(range), direction);
      while (cursor && out.length < limit) {
        out.push({ key: cursor.key as Key, id: cursor.primaryKey });
        cursor = await cursor.continue();
      }
      return out;
    },
    ids: async (index, range, direction: Direction, limit) => {
      const out: string[] = [];
      if (limit <= 0) return out;
      let cursor = await jobs.index(index).openKeyCursor(toRange(range), direction);
      while (cursor && out.length < limit) {
        out.push(cursor.primaryKey);
        cursor = await cursor.continue();
      }
      return out;
    },
    count: (index: IndexName, range) => jobs.index(index).count(toRange(range)),
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
        upgrade: (db, oldVersion, _newVersion, tx) => upgrade(db, oldVersion, tx),
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
