/**
 * Lost IndexedDB connections (issue 12): the store reopens and runs the call again, whether
 * the loss shows at `transaction()` or later, and a write whose commit went unanswered is not
 * written twice. The losses are simulated on fake-indexeddb the way WebKit reports them; a
 * real loss is forced in the browsers by e2e/storage.spec.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startWorkers } from '../src/index.js';
import { dump, engineOf, openTest } from './helpers/queues.js';

const g = globalThis as unknown as { IDBDatabase: { prototype: IDBDatabase }; IDBObjectStore: { prototype: IDBObjectStore } };
const LOST = () => new DOMException('Connection to Indexed Database server lost. Refresh the page to try again', 'UnknownError');

/** The next `n` readwrite transactions fail at `transaction()` as on a closing connection. */
function closingAtTransaction(n: number): { hits: () => number } {
  let hits = 0;
  const real = g.IDBDatabase.prototype.transaction;
  vi.spyOn(g.IDBDatabase.prototype, 'transaction').mockImplementation(function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
    if (hits < n && args[1] === 'readwrite') {
      hits += 1;
      throw new DOMException("Failed to execute 'transaction' on 'IDBDatabase': The database connection is closing.", 'InvalidStateError');
    }
    return real.apply(this, args);
  });
  return { hits: () => hits };
}

/**
 * The next readwrite transaction that writes a job loses its connection around the commit, as
 * WebKit reports it (the transaction fails with UnknownError "Connection to Indexed Database
 * server lost"):
 * `stored` true: the commit went through but the page never heard of it; false: the
 * transaction is aborted before it commits.
 */
function loseCommit(stored: boolean): { hits: () => number } {
  let hits = 0;
  let target: IDBTransaction | undefined;
  let armed = false;
  const realTransaction = g.IDBDatabase.prototype.transaction;
  const realPut = g.IDBObjectStore.prototype.put;
  const lose = (tx: IDBTransaction) => {
    hits += 1;
    Object.defineProperty(tx, 'error', { value: LOST(), configurable: true });
  };
  vi.spyOn(g.IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
    const request = realPut.call(this, value, key);
    if (!armed && target === undefined && this.transaction.mode === 'readwrite' && ['active', 'delayed', 'jobs'].includes(this.name)) {
      armed = true;
      const tx = this.transaction;
      target = tx;
      if (!stored)
        request.addEventListener('success', () => {
          lose(tx);
          tx.abort();
        });
    }
    return request;
  });
  vi.spyOn(g.IDBDatabase.prototype, 'transaction').mockImplementation(function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
    const tx = realTransaction.apply(this, args);
    if (!stored || args[1] !== 'readwrite') return tx;
    // The commit's answer is lost: listeners of `complete` hear an error instead.
    const realAdd = tx.addEventListener.bind(tx);
    const errorListeners: EventListenerOrEventListenerObject[] = [];
    tx.addEventListener = ((type: string, fn: EventListenerOrEventListenerObject, opts?: AddEventListenerOptions) => {
      if (type === 'error') errorListeners.push(fn);
      if (type !== 'complete') return realAdd(type, fn, opts);
      realAdd(
        'complete',
        (event: Event) => {
          if (tx !== target) return typeof fn === 'function' ? fn(event) : fn.handleEvent(event);
          target = undefined;
          lose(tx);
          for (const l of errorListeners) (typeof l === 'function' ? l : l.handleEvent.bind(l))(new Event('error'));
        },
        opts,
      );
    }) as typeof tx.addEventListener;
    return tx;
  });
  return { hits: () => hits };
}

describe('lost IndexedDB connections', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('a call that finds the connection closing at transaction() reopens and succeeds', async () => {
    const { queue } = await openTest('indexeddb');
    const fault = closingAtTransaction(2);
    const job = await queue.add('a', { n: 1 });
    expect(fault.hits()).toBe(2);
    expect(await queue.get(job.id)).toMatchObject({ name: 'a', data: { n: 1 } });
  });

  it('gives up with a JobrailError naming the cause when the connection keeps closing', async () => {
    const { queue } = await openTest('indexeddb');
    closingAtTransaction(100);
    const error = await queue.add('a', 1).catch((e: unknown) => e);
    expect((error as Error).name).toBe('JobrailError');
    expect((error as Error).message).toMatch(/could not add job "a".*closing/);
    expect(((error as Error).cause as DOMException).name).toBe('InvalidStateError');
    vi.restoreAllMocks();
    expect(await queue.counts()).toMatchObject({ pending: 0 });
  });

  it('an add whose commit was stored but never confirmed creates one job, not two', async () => {
    const { queue } = await openTest('indexeddb');
    await queue.add('before', 0);
    const fault = loseCommit(true);
    const job = await queue.add('once', { n: 1 });
    expect(fault.hits()).toBe(1);
    vi.restoreAllMocks();
    const { jobs } = await dump(engineOf(queue));
    expect(jobs.filter((j) => j.name === 'once')).toHaveLength(1);
    expect(job.id).toBe(jobs.find((j) => j.name === 'once')?.id);
    // The enqueue counter moved once: the next job follows.
    expect((await queue.add('after', 2)).id).toBe(String(Number(job.id) + 1));
  });

  it('an add whose transaction was lost before its commit is written once, on the new connection', async () => {
    const { queue } = await openTest('indexeddb');
    const fault = loseCommit(false);
    const [a, b] = await queue.addBulk([
      { name: 'x', data: 1 },
      { name: 'y', data: 2 },
    ]);
    expect(fault.hits()).toBe(1);
    vi.restoreAllMocks();
    const { jobs } = await dump(engineOf(queue));
    expect(jobs.map((j) => [j.id, j.name])).toEqual([
      [a!.id, 'x'],
      [b!.id, 'y'],
    ]);
  });

  it('a claim and a settle whose commits went unanswered run each job once and complete it', async () => {
    const { queue } = await openTest('indexeddb');
    const jobs = await queue.addBulk(Array.from({ length: 4 }, (_, i) => ({ name: 'work', data: i })));
    const runs: string[] = [];
    loseCommit(true);
    const runner = startWorkers(queue, { handlers: { work: (_d, ctx) => void runs.push(ctx.job.id) }, concurrency: 2 });
    await Promise.all(jobs.map((j) => queue.waitFor(j.id)));
    vi.restoreAllMocks();
    loseCommit(true);
    await queue.add('work', 9).then((j) => queue.waitFor(j.id));
    await runner.stop();
    vi.restoreAllMocks();
    expect(runs.sort()).toEqual([...jobs.map((j) => j.id), String(Number(jobs[3]!.id) + 1)].sort());
    expect(await queue.counts()).toMatchObject({ completed: 5, processing: 0, pending: 0 });
  });
});
