import { compareKeys, type Direction, type Key, type Range } from './engine.js';

/** One index entry of the memory engine: the key, and the job it points to. */
export interface Entry {
  key: Key;
  id: string;
}

const compareEntries = (a: Entry, b: Entry): number => compareKeys(a.key, b.key) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const MAX_CHUNK = 512;

/**
 * A sorted sequence of (key, id), kept in chunks of at most MAX_CHUNK entries: an insert or
 * delete moves at most one chunk's entries, where one sorted array moved half the index (a
 * queue of 20,000 memory jobs spent 60% of its time in `splice`). Binary search over the
 * chunks' last entries, then within one, so walks cost what they return.
 */
export class SortedIndex {
  private readonly chunks: Entry[][] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  /** [chunk, offset] of the first entry for which `before` is false ([chunks.length, 0] past the end). */
  private find(before: (e: Entry) => boolean): [number, number] {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = chunks[mid] as Entry[];
      if (before(c[c.length - 1] as Entry)) lo = mid + 1;
      else hi = mid;
    }
    if (lo === chunks.length) return [lo, 0];
    const c = chunks[lo] as Entry[];
    let a = 0;
    let b = c.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (before(c[mid] as Entry)) a = mid + 1;
      else b = mid;
    }
    return [lo, a];
  }

  /** The position of the first entry for which `before` is false. */
  private lowerBound(before: (e: Entry) => boolean): number {
    const [ci, at] = this.find(before);
    let pos = at;
    for (let i = 0; i < ci; i++) pos += (this.chunks[i] as Entry[]).length;
    return pos;
  }

  /** [chunk, offset] of a position (`length` gives one past the last chunk's end). */
  private locate(pos: number): [number, number] {
    let i = 0;
    while (i < this.chunks.length && pos >= (this.chunks[i] as Entry[]).length) pos -= (this.chunks[i++] as Entry[]).length;
    return [i, pos];
  }

  insert(entry: Entry): void {
    let [ci, at] = this.find((e) => compareEntries(e, entry) < 0);
    if (this.chunks.length === 0) this.chunks.push([]);
    // Past the last entry: append to the last chunk.
    if (ci === this.chunks.length) [ci, at] = [ci - 1, (this.chunks[ci - 1] as Entry[]).length];
    const chunk = this.chunks[ci] as Entry[];
    chunk.splice(at, 0, entry);
    this.size++;
    if (chunk.length > MAX_CHUNK) this.chunks.splice(ci + 1, 0, chunk.splice(chunk.length >>> 1));
  }

  remove(entry: Entry): void {
    const [ci, at] = this.find((e) => compareEntries(e, entry) < 0);
    const chunk = this.chunks[ci];
    if (!chunk || at >= chunk.length || compareEntries(chunk[at] as Entry, entry) !== 0) return;
    chunk.splice(at, 1);
    this.size--;
    if (chunk.length === 0) this.chunks.splice(ci, 1);
  }

  /** [start, end) positions of the entries within `range`. */
  span(range: Range | undefined): [number, number] {
    const start = range?.lower === undefined ? 0 : this.lowerBound((e) => compareKeys(e.key, range.lower as Key) < (range.lowerOpen ? 1 : 0));
    const end = range?.upper === undefined ? this.size : this.lowerBound((e) => compareKeys(e.key, range.upper as Key) < (range.upperOpen ? 0 : 1));
    return [start, Math.max(start, end)];
  }

  /** At most `limit` entries of positions [start, end): upwards from `start`, or downwards from `end - 1` ('prev'). */
  take(start: number, end: number, direction: Direction, limit: number): Entry[] {
    const out: Entry[] = [];
    const n = Math.min(end - start, Math.max(0, limit));
    if (n <= 0) return out;
    let [ci, at] = this.locate(direction === 'next' ? start : end - 1);
    while (out.length < n) {
      const chunk = this.chunks[ci] as Entry[];
      out.push(chunk[at] as Entry);
      if (direction === 'next') {
        if (++at === chunk.length) [ci, at] = [ci + 1, 0];
      } else if (--at < 0) {
        ci--;
        at = ci >= 0 ? (this.chunks[ci] as Entry[]).length - 1 : 0;
      }
    }
    return out;
  }
}
