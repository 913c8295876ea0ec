import { openDB } from 'idb';
import { afterEach, describe, expect, it } from 'vitest';
import { draftJob } from '../src/enqueue.js';
import { JobrailError, openQueue } from '../src/index.js';
import { normalizeJobOptions } from '../src/options.js';
import type { Engine, Range } from '../src/store/engine.js';
import { compareKeys, prefix } from '../src/store/engine.js';
import { IdbEngine } from '../src/store/idb.js';
import { MemoryEngine } from '../src/store/memory.js';
import { withKeys, type JobRecord } from '../src/store/record.js';
import { DB_VERSION, dbName } from '../src/store/schema.js';
import { INLINE_MAX_BYTES } from '../src/store/payload.js';
import { STORAGES, dump, sqliteEngine, uniqueName, type Storage } from './helpers/queues.js';

function rec(seq: number, over: Partial<JobRecord> = {}): JobRecord {
  const draft = draftJob('q', 'work', { payload: seq }, normalizeJobOptions({}, {}, 1000), 1000);
  return withKeys({ ...draft, id: String(seq), seq, ...over });
}

const engines: Engine[] = [];
afterEach(() => {
  for (const e of engines.splice(0)) e.close();
});
async function engine(storage: Storage): Promise<Engine> {
  const name = uniqueName('engine');
  let e: Engine;
  if (storage === 'memory') e = new MemoryEngine(name);
  else if (storage === 'sqlite') e = await sqliteEngine(name);
  else {
    const idb = new IdbEngine(name);
    await idb.connect();
    e = idb;
  }
  engines.push(e);
  return e;
}

describe.each(STORAGES)('storage engine (%s)', (storage) => {
  it('stores a job with its data inline or kept apart, and a head write keeps data kept apart as stored', async () => {
    const e = await engine(storage);
    await e.write((tx) => tx.put(rec(1)), 'strict');
    expect(await e.read((tx) => tx.get('1'))).toMatchObject({ id: '1', data: { payload: 1 } });
    // Small data is inline: a head read has it.
    expect((await e.read((tx) => tx.head('1')))?.data).toEqual({ payload: 1 });
    const large = 'x'.repeat(INLINE_MAX_BYTES);
    await e.write((tx) => tx.put(rec(2, { data: large, inline: undefined })), 'strict');
    // IndexedDB reads data kept apart only when asked for the whole job.
    expect((await e.read((tx) => tx.head('2')))?.data).toBe(storage === 'memory' ? large : undefined);
    await e.write((tx) => tx.putHead(rec(2, { state: 'processing', data: undefined, inline: undefined })), 'relaxed');
    expect(await e.read((tx) => tx.get('2'))).toMatchObject({ state: 'processing', data: large });
    await e.write(async (tx) => Promise.all([tx.delete('1'), tx.delete('2')]), 'relaxed');
    expect(await e.read((tx) => tx.get('1'))).toBeUndefined();
    expect(await e.read((tx) => tx.get('2'))).toBeUndefined();
    expect(e.durable).toBe(storage !== 'memory');
  });

  it('undoes every write of a transaction that throws: all or nothing', async () => {
    const e = await engine(storage);
    await e.write(async (tx) => {
      await tx.put(rec(1));
      await tx.put(rec(2));
      await tx.putMeta('seq', 2);
    }, 'strict');
    const before = await dump(e);
    const failure = new Error('abort mid-way');
    await expect(
      e.write(async (tx) => {
        await tx.put(rec(3));
        await tx.putHead(rec(1, { state: 'failed' }));
        await tx.put(rec(2, { data: 'replaced' }));
        await tx.delete('1');
        await tx.putMeta('seq', 3);
        await tx.putMeta('paused', true);
        throw failure;
      }, 'strict'),
    ).rejects.toBe(failure);
    expect(await dump(e)).toEqual(before);
  });

  it('refuses a second job holding an idempotency key and rolls its transaction back', async () => {
    const e = await engine(storage);
    await e.write((tx) => tx.put(rec(1, { idempotencyKey: 'k' })), 'strict');
    const error = await e
      .write(async (tx) => {
        await tx.put(rec(2));
        await tx.put(withKeys({ ...rec(3), idempotencyKey: 'k' }));
      }, 'strict')
      .catch((err: unknown) => err);
    expect((error as Error).name).toBe('ConstraintError');
    expect((await dump(e)).jobs.map((j) => j.id)).toEqual(['1']);
    // the holder itself may be rewritten with its key
    await e.write((tx) => tx.put(rec(1, { idempotencyKey: 'k', priority: 3 })), 'strict');
    expect((await e.read((tx) => tx.get('1')))?.priority).toBe(3);
  });

  it('walks indexes in key order with inclusive and exclusive bounds, offset and limit', async () => {
    const e = await engine(storage);
    await e.write(async (tx) => {
      for (let i = 1; i <= 5; i++) await tx.put(rec(i, { state: i % 2 ? 'pending' : 'failed', idempotencyKey: `k${String(i)}` }));
    }, 'strict');
    const ids = (range: Range | undefined, dir: 'next' | 'prev' = 'next', offset = 0, limit = 100) => e.read(async (tx) => (await tx.ids('idempotencyKey', range, dir, offset + limit)).slice(offset));
    expect(await ids(undefined)).toEqual(['1', '2', '3', '4', '5']);
    expect(await ids(undefined, 'prev', 1, 2)).toEqual(['4', '3']);
    expect(await ids({ lower: 'k2', upper: 'k4' })).toEqual(['2', '3', '4']);
    expect(await ids({ lower: 'k2', upper: 'k4', lowerOpen: true, upperOpen: true })).toEqual(['3']);
    expect(await ids({ lower: 'k4' })).toEqual(['4', '5']);
    expect(await ids({ lower: 'k4', lowerOpen: true })).toEqual(['5']);
    expect(await ids({ upper: 'k2' })).toEqual(['1', '2']);
    expect(await ids({ upper: 'k2', upperOpen: true })).toEqual(['1']);
    expect(await ids(undefined, 'next', 0, 0)).toEqual([]);
    expect(await ids(undefined, 'next', 10, 5)).toEqual([]);
    expect(await e.read((tx) => tx.ids('state', prefix('failed'), 'prev', 10))).toEqual(['4', '2']);
    expect(await e.read((tx) => tx.count('state', prefix('pending')))).toBe(3);
    expect(await e.read((tx) => tx.count('idempotencyKey'))).toBe(5);
    // Whole jobs in one request, data included (claims), and keys with ids (list merges walks).
    expect((await e.read((tx) => tx.heads('idempotencyKey', { lower: 'k2' }, 2))).map((r) => [r.id, r.data])).toEqual([['2', { payload: 2 }], ['3', { payload: 3 }]]);
    expect(await e.read((tx) => tx.heads('idempotencyKey', { lower: 'k9' }, 2))).toEqual([]);
    expect(await e.read((tx) => tx.entries('idempotencyKey', { upper: 'k4' }, 'prev', 2))).toEqual([{ key: 'k4', id: '4' }, { key: 'k3', id: '3' }]);
    expect(await e.read((tx) => tx.entries('idempotencyKey', undefined, 'next', 0))).toEqual([]);
    expect(await e.read((tx) => tx.first('state', prefix('pending'), 'prev'))).toEqual({ key: ['pending', 5], id: '5' });
    expect(await e.read((tx) => tx.first('state', prefix('failed')))).toEqual({ key: ['failed', 2], id: '2' });
    expect(await e.read((tx) => tx.first('state', prefix('completed')))).toBeUndefined();
  });

  it('runs concurrent read-modify-write transactions one after another', async () => {
    const e = await engine(storage);
    await Promise.all(
      Array.from({ length: 10 }, () =>
        e.write(async (tx) => {
          const n = (await tx.getMeta<number>('counter')) ?? 0;
          await tx.putMeta('counter', n + 1);
        }, 'relaxed'),
      ),
    );
    expect(await e.read((tx) => tx.getMeta('counter'))).toBe(10);
  });

  it('refuses every transaction once closed', async () => {
    const e = await engine(storage);
    e.close();
    await expect(e.read((tx) => tx.get('1'))).rejects.toThrow(JobrailError);
    await expect(e.write((tx) => tx.putMeta('x', 1), 'strict')).rejects.toThrow(/closed/);
  });
});

describe('IndexedDB engine', () => {
  it('keeps live, delayed and finished jobs in their own stores and moves a job as its state changes (schema 3)', async () => {
    const name = uniqueName('tiers');
    const e = new IdbEngine(name);
    engines.push(e);
    await e.connect();
    const where = async () => {
      const db = await openDB(dbName(name));
      try {
        const out: Record<string, string[]> = {};
        for (const store of ['active', 'delayed', 'jobs'] as const) out[store] = (await db.getAllKeys(store)).map(String).sort();
        return out;
      } finally {
        db.close();
      }
    };
    await e.write(async (tx) => {
      await tx.put(rec(1));
      await tx.put(rec(2, { ready: false, runAt: 5000 }));
      await tx.put(rec(3, { state: 'completed', ready: false, finishedAt: 2000 }));
      await tx.put(rec(4, { state: 'retrying', ready: false, runAt: 4000 }));
    }, 'strict');
    expect(await where()).toEqual({ active: ['1'], delayed: ['2', '4'], jobs: ['3'] });
    // Claimed, then completed: active → active → jobs.
    await e.write(async (tx) => tx.putHead(withKeys({ ...((await tx.head('1')) as JobRecord), state: 'processing', ready: false })), 'relaxed');
    expect(await where()).toEqual({ active: ['1'], delayed: ['2', '4'], jobs: ['3'] });
    await e.write(async (tx) => tx.putHead(withKeys({ ...((await tx.head('1')) as JobRecord), state: 'completed', finishedAt: 3000 })), 'relaxed');
    // Written without reading it first in the transaction: still moved, never duplicated.
    await e.write((tx) => tx.putHead(withKeys({ ...rec(2), ready: true })), 'relaxed');
    expect(await where()).toEqual({ active: ['2'], delayed: ['4'], jobs: ['1', '3'] });
    // Reads merge the stores: pending and retrying jobs are in two of them.
    expect(await e.read((tx) => tx.count('state', prefix('pending')))).toBe(1);
    expect(await e.read((tx) => tx.entries('state', undefined, 'next', 10))).toEqual([
      { key: ['completed', 1], id: '1' },
      { key: ['completed', 3], id: '3' },
      { key: ['pending', 2], id: '2' },
      { key: ['retrying', 4], id: '4' },
    ]);
    expect(await e.read((tx) => tx.ids('state', undefined, 'prev', 2))).toEqual(['4', '2']);
    expect((await e.read((tx) => tx.heads('state', undefined, 3))).map((r) => r.id)).toEqual(['1', '3', '2']);
    expect(await e.read((tx) => tx.first('idempotencyKey'))).toBeUndefined();
    await e.write((tx) => tx.delete('1'), 'relaxed');
    await e.write(async (tx) => {
      await tx.head('4');
      await tx.delete('4');
    }, 'relaxed');
    expect(await where()).toEqual({ active: ['2'], delayed: [], jobs: ['3'] });
    expect(await e.read((tx) => tx.get('1'))).toBeUndefined();
  });

  it('reopens its connection when the browser closed it under the queue', async () => {
    const e = (await engine('indexeddb')) as IdbEngine;
    await e.write((tx) => tx.put(rec(1)), 'strict');
    (await e.connect()).close(); // e.g. storage cleared in another tab
    expect(await e.read((tx) => tx.get('1'))).toMatchObject({ id: '1' });
  });

  it('wraps an IndexedDB failure at commit in a JobrailError with the original as cause', async () => {
    const e = (await engine('indexeddb')) as IdbEngine;
    await e.write((tx) => tx.put(rec(1, { idempotencyKey: 'k' })), 'strict');
    const error = await e
      .write(async (tx) => {
        await tx.put(withKeys({ ...rec(2), idempotencyKey: 'k' })).catch(() => undefined);
      }, 'strict')
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(JobrailError);
    expect((error as Error).message).toMatch(/could not write to the queue/);
    expect(((error as Error).cause as Error).name).toMatch(/^(ConstraintError|AbortError)$/);
    expect((await dump(e)).jobs.map((j) => j.id)).toEqual(['1']);
  });

  it('steps aside for a newer version opened elsewhere; later calls reject with a JobrailError carrying the cause', async () => {
    const name = uniqueName();
    const queue = await openQueue(name, { storage: 'indexeddb' });
    const job = await queue.add('work', 1);
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open(dbName(name), DB_VERSION + 1);
      req.onsuccess = () => {
        req.result.close();
        resolve();
      };
      req.onerror = () => reject(req.error);
    });
    const error = await queue.get(job.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobrailError);
    expect(((error as Error).cause as Error).name).toBe('VersionError');
    expect((error as Error).message).toMatch(/upgraded by a newer version of jobrail .* reload this page/);
    await expect(queue.waitFor(job.id)).rejects.toThrow(JobrailError);
    await queue.close();
  });
});

describe('compareKeys', () => {
  it('orders keys as IndexedDB does: numbers, then strings, then arrays element by element', () => {
    const keys = [['b'], 'b', 2, ['a', 1], 'a', 1, ['a'], ['a', 'x'], [2]];
    const sorted = [...keys].sort(compareKeys as (a: unknown, b: unknown) => number);
    expect(sorted).toEqual([1, 2, 'a', 'b', [2], ['a'], ['a', 1], ['a', 'x'], ['b']]);
    expect(compareKeys(['a', []], ['a', 'zzz'])).toBeGreaterThan(0);
    expect(compareKeys('x', 'x')).toBe(0);
  });
});
