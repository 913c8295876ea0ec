/**
 * A bare page for e2e/dashboard.spec.ts: one <jobrail-dashboard> and a queue the test drives
 * through `window.e2e`. URL parameters: `queue` (name), `page-size`, `mode=property` (give
 * the element the page's queue object, with list() calls counted, instead of the attribute).
 */
import { PermanentError, openQueue, startWorkers, type Handlers, type Runner } from 'jobrail';
import 'jobrail/dashboard';
import { XSS, type E2EApi } from './dashboard-fixtures';

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    });
  });

const handlers: Handlers = {
  ok: async (data) => data,
  slow: async (data, ctx) => {
    const ms = (data as { ms: number }).ms;
    for (let i = 1; i <= 4; i++) {
      await sleep(ms / 4, ctx.signal);
      await ctx.progress(i / 4);
    }
    return 'done';
  },
  fail: async (data) => {
    if (failing) throw new Error((data as { message: string }).message);
    return 'recovered';
  },
  // Reports progress, then fails its first attempt: the retrying row must not keep that progress.
  flaky: async (_data, ctx) => {
    await ctx.progress(0.67);
    if (ctx.attempt === 1) throw new Error('first attempt fails');
    return 'second attempt';
  },
  // Runs until its signal aborts, with some progress to show.
  hold: async (_data, ctx) => {
    await ctx.progress(0.4);
    await new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
  },
  permanent: async (data) => {
    throw new PermanentError((data as { message: string }).message);
  },
  [XSS.name]: async () => {
    throw new PermanentError(XSS.error);
  },
};

const params = new URLSearchParams(location.search);
const queue = await openQueue(params.get('queue') ?? 'dashboard-e2e');
const calls: E2EApi['calls'] = { list: 0, options: [] };
let failing = true;
const dashboard = document.createElement('jobrail-dashboard');
const pageSize = params.get('page-size');
if (pageSize) dashboard.setAttribute('page-size', pageSize);
if (params.get('mode') === 'property') {
  const list = queue.list.bind(queue);
  queue.list = (options) => {
    calls.list += 1;
    calls.options.push({ ...options });
    if (calls.options.length > 100) calls.options.shift();
    return list(options);
  };
  dashboard.queue = queue;
} else {
  dashboard.setAttribute('queue', queue.name);
}
document.body.append(dashboard);

let runner: Runner | undefined;
const api: E2EApi = {
  queue,
  dashboard,
  calls,
  XSS,
  startRunner(concurrency = 4) {
    runner = startWorkers(queue, { handlers, concurrency });
    return runner.ready;
  },
  async stopRunner() {
    await runner?.stop();
    runner = undefined;
  },
  setFailing(value) {
    failing = value;
  },
};
Object.assign(window, { e2e: api });
document.body.dataset.ready = 'true';
