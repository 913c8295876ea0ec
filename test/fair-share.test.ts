import { describe, expect, it } from 'vitest';
import { startWorkers } from '../src/index.js';
import { fakeLocks } from './helpers/locks.js';
import { STORAGES, engineOf, openTest } from './helpers/queues.js';

type Jobs = { work: number };

/** A tab's visibility, switched by the test. */
function visibility(hidden: boolean) {
  const listeners = new Set<() => void>();
  const state = { hidden };
  return {
    state,
    env: {
      isHidden: () => state.hidden,
      onVisibilityChange: (listener: () => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    set(hiddenNow: boolean) {
      state.hidden = hiddenNow;
      for (const l of listeners) l();
    },
  };
}

describe.each(STORAGES)('fair share for hidden tabs (%s storage)', (storage) => {
  it('a runner in a hidden tab leaves the jobs to a visible tab, runs them itself a moment later when alone, and at once when shown', async () => {
    const locks = fakeLocks();
    const hiddenTab = visibility(true);
    const t = await openTest<Jobs>(storage, { environment: { locks, ...hiddenTab.env } });
    const visible = await t.another({ environment: { locks, ...visibility(false).env } });
    const ranIn: Record<string, string> = {};
    const handler = (tab: string) => ({ work: (n: number) => ((ranIn[String(n)] = tab), tab) });
    const a = startWorkers(t.queue, { concurrency: 2, handlers: handler('hidden') });
    const b = startWorkers(visible, { concurrency: 2, handlers: handler('visible') });
    await Promise.all([a.ready, b.ready]);
    const jobs = await visible.addBulk([1, 2, 3, 4, 5].map((n) => ({ name: 'work' as const, data: n })));
    // The fake clock does not move: the hidden runner's claim pass never comes, the visible one runs all.
    for (const job of jobs) expect(await visible.waitFor(job.id)).toBe('visible');
    await b.stop();

    const alone = await t.queue.add('work', 6);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await t.queue.get(alone.id)).toMatchObject({ state: 'pending' });
    t.clock.advance(250); // the hidden tab's claim pass (stretched to ~1 s by a real browser)
    expect(await t.queue.waitFor(alone.id)).toBe('hidden');

    const shown = await t.queue.add('work', 7);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await t.queue.get(shown.id)).toMatchObject({ state: 'pending' });
    hiddenTab.set(false); // the tab is shown: it claims at once
    expect(await t.queue.waitFor(shown.id)).toBe('hidden');
    expect(ranIn).toEqual({ 1: 'visible', 2: 'visible', 3: 'visible', 4: 'visible', 5: 'visible', 6: 'hidden', 7: 'hidden' });
    await a.stop();
  });

  it('a slot left to a runner that then went away (its tab reloaded while it waited) comes back when its mark ages out, with no event to wake the others', async () => {
    const t = await openTest<Jobs>(storage, { environment: { locks: fakeLocks() } });
    // What a runner that found the queue full writes, left behind by a tab that reloaded.
    await engineOf(t.queue).write((tx) => tx.putMeta('waiting', { 'gone-tab': t.clock.now() }), 'relaxed');
    const runner = startWorkers(t.queue, { concurrency: 1, handlers: { work: (n: number) => n * 2 } });
    await runner.ready;
    const job = await t.queue.add('work', 21);
    await new Promise((resolve) => setImmediate(resolve));
    // Its one slot is kept for the other runner for now.
    expect(await t.queue.get(job.id)).toMatchObject({ state: 'pending' });
    t.clock.advance(2001);
    const done = await Promise.race([t.queue.waitFor(job.id), new Promise((resolve) => setTimeout(() => resolve('still waiting after 2 s'), 2000))]);
    expect(done).toBe(42);
    await runner.stop();
  });
});

