import { describe, expect, it } from 'vitest';
import { compareKeys, type Key, type Range } from '../src/store/engine.js';
import { SortedIndex, type Entry } from '../src/store/sorted-index.js';

/** A small deterministic generator (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const byKeyThenId = (a: Entry, b: Entry) => compareKeys(a.key, b.key) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** What the index must return: the entries of a plain sorted array within the range. */
function expected(all: Entry[], range: Range | undefined, direction: 'next' | 'prev', limit: number): Entry[] {
  const inRange = all.filter((e) => {
    if (range?.lower !== undefined) {
      const c = compareKeys(e.key, range.lower);
      if (c < 0 || (c === 0 && range.lowerOpen)) return false;
    }
    if (range?.upper !== undefined) {
      const c = compareKeys(e.key, range.upper);
      if (c > 0 || (c === 0 && range.upperOpen)) return false;
    }
    return true;
  });
  return (direction === 'next' ? inRange : inRange.reverse()).slice(0, limit);
}

describe('memory engine index', () => {
  it('keeps (key, id) order through thousands of inserts and removes across many chunks, and walks ranges both ways as a sorted array does', () => {
    const rnd = random(7);
    const index = new SortedIndex();
    const model: Entry[] = [];
    const keyOf = (): Key => [Math.floor(rnd() * 40), Math.floor(rnd() * 1000)];
    for (let step = 0; step < 6000; step++) {
      // Mostly inserts first, then mostly removes, so chunks split and later empty out.
      const insert = model.length === 0 || rnd() < (step < 4000 ? 0.8 : 0.3);
      if (insert) {
        const entry = { key: keyOf(), id: `j${String(step)}` };
        index.insert(entry);
        model.push(entry);
        model.sort(byKeyThenId);
      } else {
        const [gone] = model.splice(Math.floor(rnd() * model.length), 1) as [Entry];
        index.remove({ key: gone.key, id: gone.id });
      }
      if (step % 250 === 0 || step === 5999) {
        expect(index.length).toBe(model.length);
        const lower = keyOf();
        const upper = [(lower as number[])[0] as number + Math.floor(rnd() * 10), 500];
        for (const range of [undefined, { lower, upper }, { lower, upper, lowerOpen: true, upperOpen: true }, { lower: [(lower as number[])[0] as number, []] as Key }]) {
          for (const direction of ['next', 'prev'] as const) {
            for (const limit of [1, 7, Infinity]) {
              const [start, end] = index.span(range);
              expect(index.take(start, end, direction, limit)).toEqual(expected(model, range, direction, limit));
            }
          }
        }
      }
    }
  });

  it('ignores the removal of an entry it does not hold', () => {
    const index = new SortedIndex();
    index.insert({ key: 1, id: 'a' });
    index.remove({ key: 1, id: 'b' });
    index.remove({ key: 2, id: 'a' });
    expect(index.take(0, index.length, 'next', 10)).toEqual([{ key: 1, id: 'a' }]);
  });
});
