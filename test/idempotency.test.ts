import { describe, expect, it } from 'vitest';
import { startWorkers, type Queue } from '../src/index.js';
import { newUid, type JobRecord } from '../src/store/record.js';
import { dbName } from '../src/store/schema.js';
import { STORAGES, engineOf, nextDrained, openTest, record } from './helpers/queues.js';

type Jobs = { charge: { amount: number } };

describe.each(STORAGES)('idempotency keys (%s storage)', (storage) => {
  it('resolves a second add with the same key to the stored job, creating nothing', async () => {
    const { queue } = await openTest<Jobs>(storage);
    const log = record(queue, ['added']);
    const first = await queue.add('charge', { amount: 1 }, { idempotencyKey: 'order-1' });
    const second = await queue.add('charge', { amount: 2 }, { idempotencyKey: 'order-1' });
    expect(second).toEqual(first);
    expect(second.data).toEqual({ amount: 1 });
    expect(first.idempotencyKey).toBe('order-1');
    expect(log).toEqual(['added:charge:pending']);
    expect((await queue.counts()).pending).toBe(1);
  });

  it('creates one job when two adds with one key race', async () => {
    const { queue } = await openTest<Jobs>(storage);
    const [a, b] = await Promise.all([
      queue.add('charge', { amount: 1 }, { idempotencyKey: 'k' }),
      queue.add('charge', { amount: 2 }, { idempotencyKey: 'k' }),
    ]);
    expect(b?.id).toBe(a?.id);
    expect(await queue.list()).toHaveLength(1);
  });

  it('creates one job when two queue objects of one name (two tabs) add one key at once', async () => {
    const t = await openTest<Jobs>(storage);
    const other = await t.another();
    const results = await Promise.all([
      t.queue.add('charge', { amount: 1 }, { idempotencyKey: 'shared' }),
      other.add('charge', { amount: 2 }, { idempotencyKey: 'shared' }),
      other.add('charge', { amount: 3 }, { idempotencyKey: 'shared' }),
      t.queue.add('charge', { amount: 4 }, { idempotencyKey: 'shared' }),
    ]);
    expect(new Set(results.map((j) => j.id)).size).toBe(1);
    expect(await other.list()).toHaveLength(1);
  });

  it('stores a key given twice in one addBulk once, resolving both items to that job', async () => {
    const { queue } = await openTest<Jobs>(storage);
    const jobs = await queue.addBulk([
      { name: 'charge', data: { amount: 1 }, options: { idempotencyKey: 'dup' } },
      { name: 'charge', data: { amount: 2 } },
      { name: 'charge', data: { amount: 3 }, options: { idempotencyKey: 'dup' } },
    ]);
    expect(jobs).toHaveLength(3);
    expect(jobs[2]).toEqual(jobs[0]);
    expect(jobs[1]?.id).not.toBe(jobs[0]?.id);
    expect((await queue.list()).map((j) => j.data)).toEqual([{ amount: 2 }, { amount: 1 }]);
  });

  it('resolves an addBulk item whose key a stored job holds to that job', async () => {
    const { queue } = await openTest<Jobs>(storage);
    const stored = await queue.add('charge', { amount: 1 }, { idempotencyKey: 'held' });
    const [again, fresh] = await queue.addBulk([
      { name: 'charge', data: { amount: 9 }, options: { idempotencyKey: 'held' } },
      { name: 'charge', data: { amount: 10 }, options: { idempotencyKey: 'new' } },
    ]);
    expect(again).toEqual(stored);
    expect(fresh?.idempotencyKey).toBe('new');
    expect((await queue.counts()).pending).toBe(2);
  });

  it('keeps the key reserved by a completed job, which is not run again', async () => {
    const { queue } = await openTest<Jobs>(storage);
    let runs = 0;
    startWorkers(queue, { handlers: { charge: () => ++runs } });
    const job = await queue.add('charge', { amount: 1 }, { idempotencyKey: 'once' });
    await queue.waitFor(job.id);
    const again = await queue.add('charge', { amount: 1 }, { idempotencyKey: 'once' });
    expect(again).toMatchObject({ id: job.id, state: 'completed', result: 1 });
    expect(await queue.waitFor(again.id)).toBe(1);
    expect(runs).toBe(1);
  });

  it('frees the key once removeOnComplete deletes the job', async () => {
    const { queue } = await openTest<Jobs>(storage);
    startWorkers(queue, { handlers: { charge: (d) => d.amount } });
    const first = await queue.add('charge', { amount: 1 }, { idempotencyKey: 'k', removeOnComplete: true });
    expect(await queue.waitFor(first.id)).toBe(1);
    const second = await queue.add('charge', { amount: 2 }, { idempotencyKey: 'k', removeOnComplete: true });
    expect(second.id).not.toBe(first.id);
    expect(await queue.waitFor(second.id)).toBe(2);
  });

  it('frees the key once the job is removed or cleaned', async () => {
    const { queue } = await openTest<Jobs>(storage);
    const a = await queue.add('charge', { amount: 1 }, { idempotencyKey: 'k' });
    await queue.remove(a.id);
    const b = await queue.add('charge', { amount: 2 }, { idempotencyKey: 'k' });
    expect(b.id).not.toBe(a.id);
    const drained = nextDrained(queue);
    startWorkers(queue, { handlers: { charge: () => null } });
    await drained;
    expect(await queue.clean({ state: 'completed' })).toBe(1);
    const c = await queue.add('charge', { amount: 3 }, { idempotencyKey: 'k' });
    expect(c.id).not.toBe(b.id);
  });

  it('keeps jobs with different keys apart', async () => {
    const { queue } = await openTest<Jobs>(storage);
    const a = await queue.add('charge', { amount: 1 }, { idempotencyKey: 'a' });
    const b = await queue.add('charge', { amount: 1 }, { idempotencyKey: 'b' });
    expect(a.id).not.toBe(b.id);
  });
});

/** Runs one job without an idempotency key and resolves to the key its handler got. */
async function keyOfOneJob(queue: Queue<Jobs>): Promise<string> {
  let key: string | undefined;
  const runner = startWorkers(queue, { handlers: { charge: (_d, ctx) => void (key = ctx.idempotencyKey) } });
  const job = await queue.add('charge', { amount: 1 });
  await queue.waitFor(job.id);
  await runner.stop();
  return key as string;
}

describe.each(STORAGES)('the idempotency key of a job added without one (%s storage)', (storage) => {
  it('differs between two separately created databases, whose first jobs share the id "1"', async () => {
    const a = await openTest<Jobs>(storage);
    const b = await openTest<Jobs>(storage);
    const [keyA, keyB] = [await keyOfOneJob(a.queue), await keyOfOneJob(b.queue)];
    expect((await a.queue.list())[0]?.id).toBe((await b.queue.list())[0]?.id);
    expect(keyA).not.toBe(keyB);
    expect(keyA).not.toBe('1');
  });

  it('is the same on every attempt of the job, and the public snapshot keeps no key', async () => {
    const { queue } = await openTest<Jobs>(storage);
    const keys: string[] = [];
    startWorkers(queue, {
      handlers: {
        charge: (_d, ctx) => {
          keys.push(ctx.idempotencyKey);
          if (ctx.attempt === 1) throw new Error('first attempt fails');
        },
      },
    });
    const job = await queue.add('charge', { amount: 1 }, { retries: 1, backoff: { type: 'fixed', delay: 0 } });
    await queue.waitFor(job.id);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect((await queue.get(job.id))?.idempotencyKey).toBeUndefined();
  });
});

describe('the idempotency key of a job added without one (indexeddb storage)', () => {
  it('differs from the key of a job of a deleted database of the same name', async () => {
    const t = await openTest<Jobs>('indexeddb');
    const before = await keyOfOneJob(t.queue);
    await t.queue.close();
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.deleteDatabase(dbName(t.name));
      req.onsuccess = () => resolve();
      req.onerror = () => reject(req.error);
    });
    const again = await t.another();
    const after = await keyOfOneJob(again);
    expect((await again.list())[0]?.id).toBe('1');
    expect(after).not.toBe(before);
  });

  it('is given to a job stored without a uid (by an older version), unique to its database and the same on every attempt', async () => {
    /** Adds a job and removes its uid, as a version before uids stored it. */
    const legacyJob = async (queue: Queue<Jobs>) => {
      const job = await queue.add('charge', { amount: 1 }, { retries: 1, backoff: { type: 'fixed', delay: 0 } });
      await engineOf(queue).write(async (tx) => {
        const rec = (await tx.get(job.id)) as JobRecord;
        delete rec.uid;
        await tx.put(rec);
      }, 'strict');
      return job;
    };
    const run = async (queue: Queue<Jobs>) => {
      const job = await legacyJob(queue);
      const keys: string[] = [];
      const runner = startWorkers(queue, {
        handlers: {
          charge: (_d, ctx) => {
            keys.push(ctx.idempotencyKey);
            if (ctx.attempt === 1) throw new Error('first attempt fails');
          },
        },
      });
      await queue.waitFor(job.id);
      await runner.stop();
      return { job, keys };
    };
    const a = await openTest<Jobs>('indexeddb');
    const b = await openTest<Jobs>('indexeddb');
    const ra = await run(a.queue);
    const rb = await run(b.queue);
    expect(ra.job.id).toBe(rb.job.id);
    expect(ra.keys).toHaveLength(2);
    expect(ra.keys[1]).toBe(ra.keys[0]);
    expect(ra.keys[0]).not.toBe(ra.job.id);
    expect(rb.keys[0]).not.toBe(ra.keys[0]);
    // Stored with the record, so a read in another tab sees the same value.
    const stored = await engineOf(await a.another()).read((tx) => tx.get(ra.job.id));
    expect(stored?.uid).toBe(ra.keys[0]);
  });
});

describe('job uids where crypto.randomUUID is missing (a page over plain http)', () => {
  it('come from crypto.getRandomValues, laid out as version 4 UUIDs, each different', () => {
    // Shadows the prototype's method on this object only; deleting the own property restores it.
    Object.defineProperty(crypto, 'randomUUID', { value: undefined, configurable: true, writable: true });
    try {
      const uids = Array.from({ length: 100 }, () => newUid());
      for (const uid of uids) expect(uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(new Set(uids).size).toBe(100);
    } finally {
      delete (crypto as { randomUUID?: unknown }).randomUUID;
      expect(typeof crypto.randomUUID).toBe('function');
    }
  });
});
