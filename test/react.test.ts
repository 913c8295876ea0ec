// @vitest-environment happy-dom
/**
 * `jobrail/react` (issue 15) rendered by real React (react-dom in happy-dom), and the
 * framework-neutral watches under it: `subscribe` + `getSnapshot` with a stable snapshot
 * between changes, live across queue objects (tabs), and the async iterator of a job.
 */
import { createElement, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, describe, expect, it } from 'vitest';
import { startWorkers, watchCounts, watchJob, watchJobs, type Job, type JobDef, type Queue } from '../src/index.js';
import { useJob, useJobCounts, useJobs } from '../src/react.js';
import { INTERNALS } from '../src/internals.js';
import { deferred, nextEvent, openTest } from './helpers/queues.js';

const engineHub = (q: Queue<Jobs>) => q[INTERNALS].hub;

// Updates come from storage and other tabs, not from the test: React renders them on its
// own scheduler, as in an app, and `until` polls the DOM.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = false;

type Jobs = { work: JobDef<number, number>; note: string };

let root: Root | undefined;
let container: HTMLElement;
afterEach(async () => {
  root?.unmount();
  root = undefined;
  container?.remove();
});

async function render(node: ReactNode): Promise<HTMLElement> {
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
  root.render(node);
  return container;
}

/** Waits until the rendered text matches, letting React and storage work run in act(). */
async function until(el: HTMLElement, text: string | RegExp): Promise<void> {
  await expect
    .poll(async () => {
      await new Promise((r) => setTimeout(r, 5));
      return el.textContent;
    })
    .toMatch(text);
}

function JobView({ queue, id }: { queue: Queue<Jobs>; id: string | undefined }) {
  const { job, loading } = useJob(queue, id);
  if (loading) return 'loading';
  return job ? `${job.name}:${job.state}:${String(job.progress ?? '-')}:${String(job.result ?? '-')}` : 'none';
}

function CountsView({ queue }: { queue: Queue<Jobs> }) {
  const { counts, loading } = useJobCounts(queue);
  return loading ? 'loading' : `pending=${String(counts.pending)} completed=${String(counts.completed)} failed=${String(counts.failed)}`;
}

function ListView({ queue }: { queue: Queue<Jobs> }) {
  const { jobs, loading } = useJobs(queue, { name: 'note', state: 'pending', limit: 2 });
  return loading ? 'loading' : jobs.map((j) => j.data).join(',') || 'empty';
}

describe('jobrail/react hooks, rendered by React', () => {
  it('useJob follows a job run in another tab through progress to its result', async () => {
    const t = await openTest<Jobs>('memory');
    const other = await t.another();
    const job = await t.queue.add('work', 20);
    const el = await render(createElement(JobView, { queue: t.queue, id: job.id }));
    await until(el, 'work:pending:-:-');
    const gate = deferred<void>();
    startWorkers(other, {
      handlers: {
        work: async (n, ctx) => {
          await ctx.progress(0.5);
          await gate.promise;
          return n + 1;
        },
      },
    });
    await until(el, 'work:processing:0.5:-');
    gate.resolve();
    await until(el, 'work:completed:0.5:21');
    await t.queue.remove(job.id);
    await until(el, 'none');
  });

  it('useJob with no id, or an id no job has, renders no job', async () => {
    const { queue } = await openTest<Jobs>('memory');
    const el = await render(createElement('div', null, createElement(JobView, { queue, id: undefined }), '|', createElement(JobView, { queue, id: '999' })));
    await until(el, 'none|none');
  });

  it('useJobCounts and useJobs re-render on adds, completions and bulk changes', async () => {
    const { queue } = await openTest<Jobs>('indexeddb');
    const el = await render(createElement('div', null, createElement(CountsView, { queue }), '|', createElement(ListView, { queue })));
    await until(el, 'pending=0 completed=0 failed=0|empty');
    await queue.add('note', 'a');
    await queue.add('note', 'b');
    await queue.add('note', 'c');
    await queue.add('work', 1, { retries: 0 });
    await until(el, 'pending=4 completed=0 failed=0|c,b');
    const failed = nextEvent(queue, 'failed');
    const runner = startWorkers(queue, {
      handlers: {
        note: () => undefined,
        work: () => {
          throw new Error('no');
        },
      },
    });
    await failed;
    await until(el, /completed=3 failed=1\|empty$/);
    await runner.stop();
    await queue.retryFailed(); // a bulk change: no per-job event, a `changed` event
    await until(el, 'pending=1 completed=3 failed=0|empty');
  });
});

describe('watches without a framework', () => {
  it('keeps the snapshot identity between changes and replaces it on a change', async () => {
    const { queue } = await openTest<Jobs>('memory');
    const counts = watchCounts(queue);
    const loading = counts.getSnapshot();
    expect(loading.loading).toBe(true);
    let calls = 0;
    const off = counts.subscribe(() => calls++);
    await expect.poll(() => counts.getSnapshot().loading).toBe(false);
    const first = counts.getSnapshot();
    expect(counts.getSnapshot()).toBe(first);
    await queue.add('note', 'x');
    await expect.poll(() => counts.getSnapshot().counts.pending).toBe(1);
    const second = counts.getSnapshot();
    expect(second).not.toBe(first);
    // A bulk change that leaves the counts as they were (another tab's clean of nothing it
    // could see here, say) makes the watch read again, and keeps the snapshot and its listeners quiet.
    const before = calls;
    engineHub(queue).emit({ kind: 'changed', change: { action: 'clean', count: 1 } });
    await new Promise((r) => setTimeout(r, 20));
    expect(counts.getSnapshot()).toBe(second);
    expect(calls).toBe(before);
    off();
    expect(counts.getSnapshot().loading).toBe(true);
  });

  it('a page watch updates progress in place, and reports a closed queue as an error', async () => {
    const { queue } = await openTest<Jobs>('memory');
    await queue.add('work', 1);
    const page = watchJobs(queue, { name: 'work' });
    page.subscribe(() => {});
    await expect.poll(() => page.getSnapshot().jobs.length).toBe(1);
    const gate = deferred<void>();
    startWorkers(queue, {
      handlers: {
        work: async (n, ctx) => {
          await ctx.progress({ done: 1 });
          await gate.promise;
          return n;
        },
      },
    });
    await expect.poll(() => page.getSnapshot().jobs[0]?.progress).toEqual({ done: 1 });
    gate.resolve();
    await expect.poll(() => page.getSnapshot().jobs[0]?.state).toBe('completed');
    await queue.close();
    const late = watchJobs(queue);
    late.subscribe(() => {});
    await expect.poll(() => String(late.getSnapshot().error)).toMatch(/closed/);
  });

  it('for await over watchJob yields each snapshot until the job completes', async () => {
    const { queue } = await openTest<Jobs>('memory');
    const job = await queue.add('work', 2);
    const seen: string[] = [];
    const done = (async () => {
      for await (const snapshot of watchJob(queue, job.id)) seen.push(`${snapshot.state}:${String(snapshot.result ?? '-')}`);
    })();
    await expect.poll(() => seen).toEqual(['pending:-']);
    const gate = deferred<void>();
    startWorkers(queue, { handlers: { work: async (n) => (await gate.promise, n * 2) } });
    await expect.poll(() => seen.at(-1)).toBe('processing:-');
    gate.resolve();
    await done;
    expect(seen.at(-1)).toBe('completed:4');
  });

  it('the iterator of a job that does not exist ends at once', async () => {
    const { queue } = await openTest<Jobs>('memory');
    const seen: Job[] = [];
    for await (const snapshot of watchJob(queue, 'nope')) seen.push(snapshot);
    expect(seen).toEqual([]);
  });
});
