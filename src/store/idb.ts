import { openDB, type IDBPDatabase, type IDBPTransaction } from 'idb';
import { JobrailError, storageError } from '../errors.js';
import { compareKeys, type Direction, type Engine, type Key, type Range, type Tx } from './engine.js';
import type { JobRecord } from './record.js';
import { ACTIVE, DB_VERSION, DELAYED, INDEXES, JOBS, JOB_STORES, META, PAYLOADS, dbName, storesOf, tierOf, type IndexName, type JobStore, type JobrailDB } from './schema.js';
import { upgrade } from './migrations.js';
import { BlobBytesNeeded, BlobCodec, BlobSupportUnknown, blobsIn, hasBlob } from './blobs.js';
import { isConnectionLoss, sameValue, WriteLog } from './recovery.js';

/** How long an open may stay blocked by another tab's old connection before it fails. */
const BLOCKED_TIMEOUT_MS = 10_000;

/** New connections one call opens when its connection is lost, before it gives up. */
const RECONNECTS = 3;
/** Opens aborted by a closing browser storage, retried 25 ms, 50 ms, … apart (3.2 s in all). */
const OPEN_RETRIES = 7;

/** Attempts one call makes to store Blobs as bytes (a refusal, then reading new Blobs' bytes). */
const BLOB_ROUNDS = 4;
/** The meta key the Blob probe writes to, in a transaction that is always rolled back. */
const BLOB_PROBE_KEY = 'blobProbe';

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

/** What one attempt at a transaction shares with the engine. */
interface Attempt {
  codec: BlobCodec;
  /** false: this browser refuses Blobs in IndexedDB, so they are written as bytes; undefined: not known yet. */
  nativeBlobs: boolean | undefined;
  /** A value holding a Blob was written natively (so a failure may be the browser refusing it). */
  wroteBlob: boolean;
  log: WriteLog | undefined;
}

/** The marker of a meta value whose Blobs are stored as bytes. */
const ENCODED_META = '__jobrailEncoded';

function ops(tx: RwTx, at: Attempt): Tx {
  /** The value to store: Blobs as bytes where the browser refuses them (`encoded` then says so). */
  const prepare = (value: unknown): { value: unknown; encoded: boolean } => {
    if (at.nativeBlobs) {
      if (!at.wroteBlob && hasBlob(value)) at.wroteBlob = true;
      return { value, encoded: false };
    }
    if (!hasBlob(value)) return { value, encoded: false };
    // Thrown before the put is issued: the engine asks the browser first (see probeBlobs).
    if (at.nativeBlobs === undefined) throw new BlobSupportUnknown();
    return { value: at.codec.encode(value), encoded: true };
  };
  /** A stored job record as the engine hands it out: Blobs decoded, the marker gone. */
  const revive = (rec: (JobRecord & { encoded?: 1 }) | undefined): JobRecord | undefined => {
    if (!rec?.encoded) return rec;
    const { encoded: _e, ...plain } = at.codec.decode(rec) as JobRecord & { encoded?: 1 };
    return plain;
  };
  const meta = tx.objectStore(META);
  const payloads = tx.objectStore(PAYLOADS);
  type Writable<V> = { put(v: V, k?: string): Promise<unknown>; delete(k: string): Promise<void> };
  const store = (name: JobStore) => tx.objectStore(name);
  const writable = (name: JobStore) => tx.objectStore(name) as unknown as Writable<JobRecord>;
  const payloadsW = payloads as unknown as Writable<{ data: unknown }>;
  /** Where each job read or written in this transaction is stored: a move deletes it there only. */
  const where = new Map<string, JobStore>();
  const note = (raw: JobRecord | undefined, from: JobStore) => {
    const rec = revive(raw);
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
    const { value, encoded } = prepare(stored(rec));
    const row = (encoded ? { ...(value as JobRecord), encoded: 1 } : value) as JobRecord;
    at.log?.jobs.push({ store: to, id: rec.id, value: row as unknown as Record<string, unknown>, fresh });
    const put = writable(to).put(row);
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
      const [rec, payload] = await Promise.all([find(id), payloads.get(id) as Promise<{ data: unknown; encoded?: 1 } | undefined>]);
      if (rec && !rec.inline) rec.data = payload?.encoded ? (at.codec.decode(payload) as { data: unknown }).data : payload?.data;
      return rec;
    },
    head: (id) => find(id),
    // A running job is always in `active` (see `tierOf`): a job found nowhere else is not running.
    running: async (id) => note(await store(ACTIVE).get(id), ACTIVE),
    put: async (rec) => {
      if (rec.inline) {
        await place(rec, true);
        return;
      }
      const job = place(rec, true);
      job.catch(() => undefined);
      const { value, encoded } = prepare({ data: rec.data });
      const row = encoded ? { ...(value as { data: unknown }), encoded: 1 } : (value as { data: unknown });
      await Promise.all([job, payloadsW.put(row, rec.id)]);
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
    getMeta: async <T>(key: string) => {
      const value = (await meta.get(key)) as { [ENCODED_META]?: unknown } | undefined;
      return (value && typeof value === 'object' && ENCODED_META in value ? at.codec.decode(value[ENCODED_META]) : value) as T | undefined;
    },
    putMeta: async (key, input) => {
      const { value, encoded } = prepare(input);
      const row = encoded ? { [ENCODED_META]: value } : value;
      at.log?.meta.push({ key, value: row });
      await (meta as unknown as { put(v: unknown, k: string): Promise<unknown> }).put(row, key);
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
  /** Connections the browser closed under us (the `close` event). */
  private readonly lost = new WeakSet<IDBPDatabase<JobrailDB>>();
  /** The connection `db` resolved to, once it has. */
  private current: IDBPDatabase<JobrailDB> | undefined;
  /** Whether Blobs are stored natively: asked once, before the first write of one (probeBlobs). */
  private nativeBlobs: boolean | undefined;
  private blobProbe: Promise<boolean | undefined> | undefined;
  private readonly codec = new BlobCodec();

  constructor(private readonly queue: string) {}

  /** Whether this browser stores Blobs in IndexedDB (false after one was refused, e.g. WebKit's private mode). */
  get storesBlobs(): boolean {
    return this.nativeBlobs ?? true;
  }

  /**
   * Whether this browser stores Blobs in IndexedDB, asked once by a lone put in a transaction
   * of its own that is then rolled back, never by a real write: in WebKit's private mode a Blob
   * put that fails while an earlier request of its transaction is still pending leaves that
   * request, the transaction and every later one on the connection unanswered (WebKitGTK 2.50,
   * e2e/storage.spec.ts). undefined: the connection is closing, ask again on the next one.
   */
  private probeBlobs(db: IDBPDatabase<JobrailDB>): Promise<boolean | undefined> {
    this.blobProbe ??= (async () => {
      let tx: RwTx;
      try {
        tx = db.transaction(META, 'readwrite') as unknown as RwTx;
      } catch {
        return undefined;
      }
      try {
        await (tx.objectStore(META) as unknown as { put(v: unknown, k: string): Promise<unknown> }).put(new Blob(['jobrail']), BLOB_PROBE_KEY);
        return true;
      } catch {
        // WebKit's private mode: UnknownError; anything else that refuses a Blob means the same here.
        return false;
      } finally {
        try {
          tx.abort();
        } catch {
          // already aborted by the failed put
        }
        await tx.done.catch(() => undefined);
      }
    })().finally(() => {
      this.blobProbe = undefined;
    });
    return this.blobProbe;
  }

  /**
   * `connect()`, again after a short wait while the browser aborts the open because it is
   * closing every connection (storage being cleared; in Chromium `AbortError: The connection
   * was closed.`, for as long as the clearing takes).
   */
  private async open(): Promise<IDBPDatabase<JobrailDB>> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.connect();
      } catch (error) {
        const cause = error instanceof JobrailError ? error.cause : error;
        if (this.closed || !isConnectionLoss(cause) || attempt >= OPEN_RETRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
      }
    }
  }

  /**
   * Reads ahead the bytes of every Blob in `values` where Blobs are stored as bytes, so that
   * writing them takes one transaction, not one aborted attempt per value.
   */
  async prepareValues(values: readonly unknown[]): Promise<void> {
    // Where Blobs are stored natively (known once one was written), nothing to do: no walk of the data on every add.
    if (this.nativeBlobs === true) return;
    const blobs = blobsIn(values);
    if (blobs.length === 0) return;
    this.nativeBlobs ??= await this.probeBlobs(await this.open());
    if (this.nativeBlobs === false) await this.codec.read(blobs);
  }

  /** Opens (or reopens) the connection. */
  connect(): Promise<IDBPDatabase<JobrailDB>> {
    if (this.closed) return Promise.reject(new JobrailError(`Queue "${this.queue}" is closed: open it again with openQueue()`));
    let opened: IDBPDatabase<JobrailDB> | undefined;
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
          this.current = undefined;
        },
        terminated: () => {
          // The browser closed the connection (storage cleared, its storage process gone): the
          // calls under way retry on a new one.
          if (opened) this.lost.add(opened);
          if (this.current === opened) {
            this.db = undefined;
            this.current = undefined;
          }
        },
      }).then(
        (db) => {
          clearTimeout(timer);
          opened = db;
          // Unblocked after we gave up: nobody holds this connection, so close it.
          if (gaveUp) db.close();
          else {
            this.current = db;
            resolve(db);
          }
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

  /** Forgets a connection that is gone, so the next attempt opens a new one. */
  private drop(db: IDBPDatabase<JobrailDB>): void {
    this.lost.add(db);
    // Another call may have opened a new connection already: keep that one.
    if (this.current === db) {
      this.db = undefined;
      this.current = undefined;
    }
    try {
      db.close();
    } catch {
      // already closed
    }
  }

  /**
   * Runs `fn` in one transaction, again (from the start, in a new transaction) when:
   * - the connection is gone, at `transaction()` or later (at most `RECONNECTS` times). A write
   *   that failed only at its commit is first read back (`committed`): if it was written, its
   *   result is returned and nothing is written twice;
   * - the browser refused a Blob (then every Blob is stored as bytes from now on), or the bytes
   *   of a Blob must be read first (outside the transaction).
   * Any other error rejects as it came, after the transaction was rolled back.
   */
  private async run<T>(mode: IDBTransactionMode, fn: (tx: Tx) => Promise<T>, durability: IDBTransactionDurability): Promise<T> {
    let reconnects = 0;
    let blobRounds = 0;
    for (;;) {
      const db = await this.open();
      const at: Attempt = { codec: this.codec, nativeBlobs: this.nativeBlobs, wroteBlob: false, log: mode === 'readwrite' ? new WriteLog() : undefined };
      let tx: RwTx;
      try {
        tx = db.transaction(STORES, mode as 'readwrite', { durability }) as unknown as RwTx;
      } catch (error) {
        // InvalidStateError: the connection is closing (closed by the browser, or by us for a newer version).
        if (this.closed) throw new JobrailError(`Queue "${this.queue}" is closed: open it again with openQueue()`, { cause: error });
        if (reconnects++ >= RECONNECTS) throw error;
        this.drop(db);
        continue;
      }
      let finished = false;
      let result: T | undefined;
      try {
        result = await fn(ops(tx, at));
        finished = true;
        await tx.done;
        return result;
      } catch (error) {
        if (!finished) {
          try {
            tx.abort();
          } catch {
            // already finished or aborted
          }
          await tx.done.catch(() => undefined);
        }
        const gone = this.lost.has(db) || isConnectionLoss(error) || isConnectionLoss(tx.error);
        if (error instanceof BlobSupportUnknown && blobRounds++ < BLOB_ROUNDS) {
          this.nativeBlobs ??= await this.probeBlobs(db);
          continue;
        }
        // Each round reads Blobs not read before, so this ends; a bulk insert reads its Blobs
        // ahead (prepareValues) and needs no round at all.
        if (error instanceof BlobBytesNeeded && error.blobs.some((blob) => !this.codec.has(blob))) {
          await this.codec.read(error.blobs);
          continue;
        }
        if (at.wroteBlob && this.nativeBlobs && !gone && blobRounds++ < BLOB_ROUNDS) {
          // The browser refused a Blob (WebKit's private mode: UnknownError; others: DataCloneError).
          this.nativeBlobs = false;
          continue;
        }
        if (gone && !this.closed && reconnects++ < RECONNECTS) {
          this.drop(db);
          if (finished && at.log && (await this.committed(at.log))) return result as T;
          continue;
        }
        if (finished) throw storageError(mode === 'readwrite' ? 'write to the queue' : 'read the queue', error);
        throw error;
      }
    }
  }

  /**
   * Whether a write whose commit went unanswered was stored: read back on a new connection.
   * A new job counts as written when its id holds a record with its `uid` (another tab may
   * since have claimed it, changing the rest, or taken the id itself if ours was not written);
   * any other record or meta value when it is stored exactly as written. One match is enough:
   * a transaction is stored whole or not at all. A write of deletes only is run again
   * (deleting twice changes nothing).
   */
  private async committed(log: WriteLog): Promise<boolean> {
    if (log.jobs.length === 0 && log.meta.length === 0) return false;
    const db = await this.open();
    const tx = db.transaction(STORES, 'readonly') as unknown as RwTx;
    const [jobs, meta] = await Promise.all([
      Promise.all(log.jobs.map((w) => tx.objectStore(w.store as JobStore).get(w.id))),
      Promise.all(log.meta.map((w) => tx.objectStore(META).get(w.key))),
    ]);
    const jobMatch = log.jobs.some((w, i) => {
      const got = jobs[i] as unknown as Record<string, unknown> | undefined;
      if (!got) return false;
      return w.fresh && w.value.uid !== undefined ? got.uid === w.value.uid : sameValue(got, w.value);
    });
    return jobMatch || log.meta.some((w, i) => sameValue(meta[i], w.value));
  }

  close(): void {
    this.closed = true;
    void this.db?.then((db) => db.close()).catch(() => undefined);
    this.db = undefined;
  }
}
