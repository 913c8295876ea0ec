import { openDB } from 'idb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JobrailError, openQueue, startWorkers, type Job } from '../src/index.js';
import { INTERNALS } from '../src/internals.js';
import type { Tx } from '../src/store/engine.js';

let n = 0;
const unique = (prefix: string) => `${prefix}-${String(++n)}-${String(Date.now())}`;

describe('storage faults', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('a QuotaExceededError on add surfaces as a JobrailError with the cause, writes nothing, and smaller jobs still go in', async () => {
    const queue = await openQueue(unique('quota'));
    await queue.add('small', { n: 1 });
    const store = (globalThis as unknown as { IDBObjectStore: { prototype: IDBObjectStore } }).IDBObjectStore.prototype;
    const realPut = store.put;
    // The payload of a big job does not fit: the browser refuses it as over quota.
    vi.spyOn(store, 'put').mockImplementation(function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      if (this.name === 'payloads' && JSON.stringify(value).length > 1000) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return realPut.call(this, value, key);
    });
    const big = 'x'.repeat(5000);
    const error = await queue.add('big', big).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobrailError);
    expect((error as JobrailError).message).toMatch(/could not add job "big".*QuotaExceededError/);
    expect(((error as JobrailError).cause as DOMException).name).toBe('QuotaExceededError');
    const bulk = await queue.addBulk([{ name: 'small', data: 2 }, { name: 'big', data: big }]).catch((e: unknown) => e);
    expect(bulk).toBeInstanceOf(JobrailError);
    // Nothing half-written: only the first small job is stored.
    expect((await queue.list()).map((j) => j.name)).toEqual(['small']);
    const after = await queue.add('small', { n: 3 });
    expect(await queue.get(after.id)).toMatchObject({ name: 'small', data: { n: 3 } });
    await queue.close();
  });

  it('a database connection closed under the queue is reopened on the next call', async () => {
    const name = unique('closed');
    const queue = await openQueue(name);
    await queue.add('a', 1);
    // Another tab deletes the database: ours is told (versionchange), steps aside, and reopens.
    const other = await openDB(`jobrail:${name}`);
    other.close();
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.deleteDatabase(`jobrail:${name}`);
      req.onsuccess = () => resolve();
      req.onerror = () => reject(req.error);
    });
    const job = await queue.add('b', 2);
    expect(await queue.get(job.id)).toMatchObject({ name: 'b' });
    await queue.close();
  });
});

describe('a failure once outcomes were written', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it.each(['memory', 'indexeddb'] as const)('is reported, and the outcomes are not written again one by one (%s)', async (storage) => {
    const queue = await openQueue(unique('after-commit'), { storage });
    const engine = queue[INTERNALS].engine;
    const reported: unknown[] = [];
    vi.stubGlobal('reportError', (error: unknown) => reported.push(error));
    const job = await queue.add('a', 1);
    // Every transaction that reads the job by id: a settle (or a release) of its attempt.
    const settles: string[] = [];
    const write = engine.write.bind(engine);
    const spied = (tx: Tx): Tx => {
      const { running } = tx;
      return { ...tx, head: (id: string) => (settles.push(id), tx.head(id)), running: running && ((id: string) => (settles.push(id), running(id))) };
    };
    engine.write = (fn, durability) => write((tx) => fn(spied(tx)), durability);
    // The first read after the handler returns is the one that follows the settle's commit
    // (when the next delayed job is due): it fails, as a closed connection would.
    let failNextRead = false;
    const read = engine.read.bind(engine);
    engine.read = (fn) => {
      if (!failNextRead) return read(fn);
      failNextRead = false;
      return Promise.reject(new Error('storage failed after the settle committed'));
    };
    const runner = startWorkers(queue, {
      handlers: {
        a: () => {
          failNextRead = true;
          return 'done';
        },
      },
    });
    expect(await queue.waitFor(job.id)).toBe('done');
    await runner.stop();
    expect(reported).toContainEqual(expect.objectContaining({ message: 'storage failed after the settle committed' }));
    expect(settles.filter((id) => id === job.id)).toHaveLength(1);
    expect(await queue.get(job.id)).toMatchObject({ state: 'completed', attempts: 1, result: 'done' });
    await queue.close();
  });
});

describe('records this code did not write', () => {
  it('end in failed with the reason, never crash the runner, and never block other jobs', async () => {
    const name = unique('foreign');
    const queue = await openQueue<{ ok: number }>(name);
    const good = await queue.add('ok', 1);
    // Write records as another version or another library might have: straight into the store
    // whose ready index claims walk (`active`; a stale entry puts a completed job there too).
    const db = await openDB(`jobrail:${name}`);
    const base = { queue: name, data: undefined, ready: true, crashes: 0 };
    await db.put('active', { ...base, id: 'x1', name: 'ok', state: 'pending', seq: 0, kReady: [0, -100, 0], kState: ['pending', 0] });
    await db.put('active', { ...base, id: 'x2', name: 42, state: 'pending', seq: -1, kReady: [0, -100, -1], kState: ['pending', -1] });
    await db.put('active', { ...base, id: 'x3', name: 'ok', state: 'exploded', seq: -2, priority: 0, attempts: 0, maxAttempts: 1, runAt: 0, createdAt: 0, opts: { backoff: { type: 'fixed', delay: 0 } }, kReady: [0, -100, -2], kState: ['exploded', -2] });
    // A completed job whose ready entry is stale must not run again.
    await db.put('active', { ...base, id: 'x4', name: 'ok', state: 'completed', seq: -3, priority: 0, attempts: 1, maxAttempts: 1, runAt: 0, createdAt: 0, opts: { backoff: { type: 'fixed', delay: 0 } }, kReady: [0, -100, -3], kState: ['completed', -3] });
    db.close();
    const ran: string[] = [];
    const runner = startWorkers(queue, { handlers: { ok: (_d, ctx) => void ran.push(ctx.job.id) }, concurrency: 2 });
    expect(await queue.waitFor(good.id)).toBeUndefined();
    await runner.stop();
    expect(ran).toEqual([good.id]);
    const failed = await queue.list({ state: 'failed' });
    const reasons = Object.fromEntries(failed.map((j: Job) => [j.id, j.error?.message]));
    expect(reasons.x1).toMatch(/cannot run: its `priority` is not a number/);
    expect(reasons.x2).toMatch(/cannot run: it has no job name/);
    expect(reasons.x3).toMatch(/cannot run: its state "exploded" is unknown/);
    expect((await queue.get('x4'))?.state).toBe('completed');
    await queue.close();
  });
});
