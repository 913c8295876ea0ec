import type { JobRecord } from './record.js';
import type { IndexName } from './schema.js';

/** A key as IndexedDB orders it; jobrail only uses numbers, strings and arrays of them. */
export type Key = number | string | Key[];

/** Orders keys as IndexedDB does for the kinds jobrail uses: numbers < strings < arrays, arrays element by element. */
export function compareKeys(a: Key, b: Key): number {
  const rank = (k: Key) => (typeof k === 'number' ? 0 : typeof k === 'string' ? 1 : 2);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compareKeys(a[i] as Key, b[i] as Key);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Bounds of an index walk; `[]` as an upper bound sorts after every number and string. */
export interface Range {
  lower?: Key;
  upper?: Key;
  lowerOpen?: boolean;
  upperOpen?: boolean;
}

export type Direction = 'next' | 'prev';

/**
 * What a transaction may do. Nothing but these calls may be awaited inside one. Requests run
 * in the order they are made, so a caller may make several before awaiting them together.
 */
export interface Tx {
  /** The whole job, its data included. */
  get(id: string): Promise<JobRecord | undefined>;
  /**
   * The job as one request reads it, for transitions: data kept apart (not `inline`) is not
   * read, and `data` is then undefined.
   */
  head(id: string): Promise<JobRecord | undefined>;
  /**
   * The job as `head` reads it if it may be running; undefined may also mean "stored, but not
   * running". For the fenced reads of settles and renewals: an engine that keeps running jobs
   * in a store of their own reads only that one (IndexedDB: one request instead of three).
   * Without it, `head` is used.
   */
  running?(id: string): Promise<JobRecord | undefined>;
  /** Writes a new job, its data included. */
  put(rec: JobRecord): Promise<void>;
  /** Writes a job read with `head` or `get` back; data kept apart stays as stored. */
  putHead(rec: JobRecord): Promise<void>;
  /** Up to `limit` jobs along an index in ascending order, read as `head` reads them, in one request. */
  heads(index: IndexName, range: Range | undefined, limit: number): Promise<JobRecord[]>;
  /** Deletes the job and its data. */
  delete(id: string): Promise<void>;
  getMeta<T>(key: string): Promise<T | undefined>;
  putMeta(key: string, value: unknown): Promise<void>;
  /** First entry of an index within a range: its key and the job id, without reading the job. */
  first(index: IndexName, range?: Range, direction?: Direction): Promise<{ key: Key; id: string } | undefined>;
  /** At most `limit` index entries (key and job id) along an index, without reading the jobs. */
  entries(index: IndexName, range: Range | undefined, direction: Direction, limit: number): Promise<{ key: Key; id: string }[]>;
  /** At most `limit` job ids along an index, without reading the jobs. */
  ids(index: IndexName, range: Range | undefined, direction: Direction, limit: number): Promise<string[]>;
  count(index: IndexName, range?: Range): Promise<number>;
}

/**
 * The storage boundary: atomic transactions over jobs and a small meta map. IndexedDB and
 * memory implement it; everything in the queue's language is written once on top of it.
 */
export interface Engine {
  readonly durable: boolean;
  read<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** `strict` flushes to disk before resolving (used for `add`); `relaxed` may lose the write on an OS crash. */
  write<T>(fn: (tx: Tx) => Promise<T>, durability: 'strict' | 'relaxed'): Promise<T>;
  close(): void;
  /** Work an engine can do before a write of `values` that it cannot do inside the transaction (IndexedDB: read Blob bytes). */
  prepareValues?(values: readonly unknown[]): Promise<void>;
}

/**
 * Writes made without waiting for each. Requests of a transaction run in order; `all()`
 * awaits them together and rejects with the first failure. A write that fails while the
 * caller is awaiting something else is not reported as an unhandled rejection.
 */
export class Writes {
  private readonly pending: Promise<void>[] = [];

  add(write: Promise<void>): void {
    write.catch(() => undefined);
    this.pending.push(write);
  }

  async all(): Promise<void> {
    await Promise.all(this.pending);
  }
}

/** `[]` sorts after any number or string, so `[a, []]` bounds every key starting with `a`. */
export const prefix = (...parts: Key[]): Range => ({ lower: parts, upper: [...parts, []] });
