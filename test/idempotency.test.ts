import { describe, expect, it } from 'vitest';
import { startWorkers } from '../src/index.js';
import { STORAGES, nextDrained, openTest, record } from './helpers/queues.js';

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
