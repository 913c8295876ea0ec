import { afterEach, describe, expect, it, vi } from 'vitest';
import { QueueController, type ControllerHost, type Query } from '../src/dashboard/controller.js';
import { onTick, TICK_MS } from '../src/dashboard/ticker.js';
import type { ListOptions } from '../src/types.js';
import { deferred, openTest, type Deferred } from './helpers/queues.js';

/** A host that records what the controller asks of the element. */
function host(query: Query) {
  const updates: number[] = [];
  const reports: string[] = [];
  const h: ControllerHost & { query: () => Query; current: Query } = {
    current: query,
    requestUpdate: () => updates.push(1),
    report: (action) => reports.push(action),
    attached: () => undefined,
    query: () => h.current,
    setPage: (page) => {
      h.current = { ...h.current, page };
    },
  };
  return { h, updates, reports };
}

describe('the dashboard controller', () => {
  it('drops a read whose query was replaced while it ran, and shows the newer one', async () => {
    const { queue } = await openTest<{ a: number; b: number }>('memory');
    await queue.addBulk([
      { name: 'a', data: 1 },
      { name: 'b', data: 2 },
    ]);
    // Hold the first list() until the query has changed.
    const gate = deferred();
    const gates: Deferred[] = [gate];
    const list = queue.list.bind(queue);
    const seen: ListOptions[] = [];
    queue.list = async (options) => {
      seen.push({ ...options });
      await gates.shift()?.promise;
      return list(options);
    };
    const { h } = host({ state: 'all', name: 'a', page: 0, pageSize: 20 });
    const shown: (string | undefined)[] = [];
    const controller = new QueueController({
      ...h,
      requestUpdate: () => shown.push(controller.loaded?.query.name),
    });
    controller.use(queue);
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    h.current = { ...h.current, name: 'b' };
    controller.queryChanged();
    gate.resolve();
    await vi.waitFor(() => expect(controller.loaded?.query.name).toBe('b'));
    expect(controller.loaded?.jobs.map((j) => j.name)).toEqual(['b']);
    expect(seen.map((o) => o.name)).toEqual(['a', 'b']);
    // The view was never handed the stale page of "a".
    expect(shown).not.toContain('a');
    controller.stop();
  });

  it('steps back a page when the page it read has emptied', async () => {
    const { queue } = await openTest<{ a: number }>('memory');
    await queue.addBulk([1, 2, 3].map((n) => ({ name: 'a' as const, data: n })));
    const { h } = host({ state: 'all', name: '', page: 3, pageSize: 2 });
    const controller = new QueueController(h);
    controller.use(queue);
    await controller.refresh();
    expect(h.current.page).toBe(1);
    expect(controller.loaded?.jobs.map((j) => j.data)).toEqual([1]);
    controller.stop();
  });

  it('follows paused and resumed from another queue object of the same queue', async () => {
    const t = await openTest<{ a: number }>('memory');
    const other = await t.another();
    const { h } = host({ state: 'all', name: '', page: 0, pageSize: 20 });
    const controller = new QueueController(h);
    controller.use(t.queue);
    await controller.refresh();
    expect(controller.paused).toBe(false);
    await other.pause();
    await vi.waitFor(() => expect(controller.paused).toBe(true));
    await other.resume();
    await vi.waitFor(() => expect(controller.paused).toBe(false));
    controller.stop();
  });
});

describe('the dashboard ticker', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('serves every dashboard with one interval, and stops it when the last one leaves', () => {
    vi.useFakeTimers();
    const before = vi.getTimerCount();
    const calls: string[] = [];
    const offA = onTick(() => calls.push('a'));
    const offB = onTick(() => calls.push('b'));
    expect(vi.getTimerCount() - before).toBe(1);
    vi.advanceTimersByTime(TICK_MS);
    expect(calls).toEqual(['a', 'b']);
    offA();
    vi.advanceTimersByTime(TICK_MS);
    expect(calls).toEqual(['a', 'b', 'b']);
    offB();
    expect(vi.getTimerCount() - before).toBe(0);
  });
});
