/**
 * `add` writes under the enqueue counter this tab last saw, checking it in the same round
 * trip: when another tab (queue object) added meanwhile, nothing of either add may be lost,
 * overwritten or reordered.
 */
import { describe, expect, it } from 'vitest';
import { STORAGES, engineOf, openTest } from './helpers/queues.js';

type Jobs = { note: { from: string; n: number } };

describe.each(STORAGES)('adds from two tabs sharing the enqueue counter (%s storage)', (storage) => {
  it('keeps every job of both tabs when they add in turn, each id once, in the order added', async () => {
    const t = await openTest<Jobs>(storage);
    const other = await t.another();
    const added: string[] = [];
    for (let n = 0; n < 6; n += 1) {
      for (const [from, q] of [['a', t.queue], ['b', other]] as const) {
        // Twice in a row from one tab (its guess is right), then the other tab (its guess is stale).
        for (let k = 0; k < 2; k += 1) added.push((await q.add('note', { from, n: n * 2 + k })).id);
      }
    }
    expect(new Set(added).size).toBe(24);
    expect(added).toEqual(Array.from({ length: 24 }, (_, i) => String(i + 1)));
    // list() is newest first.
    const stored = (await t.queue.list({ limit: 100 })).reverse();
    expect(stored.map((j) => j.id)).toEqual(added);
    expect(stored.map((j) => `${j.data.from}${String(j.data.n)}`)).toEqual(
      Array.from({ length: 6 }, (_, n) => [`a${String(n * 2)}`, `a${String(n * 2 + 1)}`, `b${String(n * 2)}`, `b${String(n * 2 + 1)}`]).flat(),
    );
    expect(await engineOf(t.queue).read((tx) => tx.getMeta('seq'))).toBe(24);
  });

  it('keeps every job when two tabs add and addBulk at once', async () => {
    const t = await openTest<Jobs>(storage);
    const other = await t.another();
    await t.queue.add('note', { from: 'a', n: -1 });
    await other.add('note', { from: 'b', n: -1 });
    const results = await Promise.all([
      ...Array.from({ length: 10 }, (_, n) => t.queue.add('note', { from: 'a', n })),
      ...Array.from({ length: 10 }, (_, n) => other.add('note', { from: 'b', n })),
      t.queue.addBulk(Array.from({ length: 5 }, (_, n) => ({ name: 'note' as const, data: { from: 'A', n } }))),
      other.addBulk(Array.from({ length: 5 }, (_, n) => ({ name: 'note' as const, data: { from: 'B', n } }))),
    ]);
    const ids = results.flat().map((j) => j.id);
    expect(new Set(ids).size).toBe(30);
    const stored = await other.list({ limit: 100 });
    expect(stored).toHaveLength(32);
    // Each job holds the data it was added with: no add overwrote another tab's job.
    const byId = new Map(stored.map((j) => [j.id, j.data]));
    for (const job of results.flat()) expect(byId.get(job.id)).toEqual(job.data);
  });
});
