import { describe, expect, it } from 'vitest';
import type { StorageManagerLike } from '../src/index.js';
import { openTest } from './helpers/queues.js';

/** A fake `navigator.storage` that records what was asked. */
function fakeStorage(opts: { grant?: boolean; persisted?: boolean; usage?: number; quota?: number; reject?: boolean } = {}) {
  const calls: string[] = [];
  let persisted = opts.persisted ?? false;
  const sm: Required<StorageManagerLike> = {
    persist: async () => {
      calls.push('persist');
      if (opts.reject) throw new DOMException('not allowed', 'SecurityError');
      if (opts.grant) persisted = true;
      return persisted;
    },
    persisted: async () => {
      calls.push('persisted');
      if (opts.reject) throw new DOMException('not allowed', 'SecurityError');
      return persisted;
    },
    estimate: async () => {
      calls.push('estimate');
      return { usage: opts.usage, quota: opts.quota };
    },
  };
  return { sm, calls };
}

describe('storage persistence and status', () => {
  it('persist() asks the browser and reports persisted storage with usage and quota when granted', async () => {
    const { sm, calls } = fakeStorage({ grant: true, usage: 12_345, quota: 1_000_000 });
    const { queue } = await openTest('indexeddb', { environment: { storage: sm } });
    expect(await queue.storageStatus()).toEqual({ persisted: false, usage: 12_345, quota: 1_000_000 });
    expect(calls).not.toContain('persist');
    expect(await queue.persist()).toEqual({ persisted: true, usage: 12_345, quota: 1_000_000 });
    expect(calls.filter((c) => c === 'persist')).toHaveLength(1);
    expect(await queue.storageStatus()).toMatchObject({ persisted: true });
  });

  it('a refusal is not an error: persisted is false', async () => {
    const { sm } = fakeStorage({ grant: false, usage: 1, quota: 2 });
    const { queue } = await openTest('indexeddb', { environment: { storage: sm } });
    expect(await queue.persist()).toEqual({ persisted: false, usage: 1, quota: 2 });
  });

  it('reports unknown, never throws, where navigator.storage or its calls are missing (WebKit automation)', async () => {
    const none = await openTest('indexeddb', { environment: { storage: undefined } });
    expect(await none.queue.storageStatus()).toEqual({ persisted: 'unknown', usage: undefined, quota: undefined });
    expect(await none.queue.persist()).toEqual({ persisted: 'unknown', usage: undefined, quota: undefined });

    // Only persist(): its answer is the status.
    const onlyPersist = await openTest('indexeddb', { environment: { storage: { persist: async () => true } } });
    expect(await onlyPersist.queue.storageStatus()).toEqual({ persisted: 'unknown', usage: undefined, quota: undefined });
    expect(await onlyPersist.queue.persist()).toEqual({ persisted: true, usage: undefined, quota: undefined });
  });

  it('calls that reject (e.g. SecurityError) read as unknown', async () => {
    const { sm } = fakeStorage({ reject: true, usage: 5, quota: 10 });
    const { queue } = await openTest('indexeddb', { environment: { storage: sm } });
    expect(await queue.persist()).toEqual({ persisted: 'unknown', usage: 5, quota: 10 });
    expect(await queue.storageStatus()).toEqual({ persisted: 'unknown', usage: 5, quota: 10 });
  });

  it('a memory queue is never persisted and asks the browser for nothing but the estimate', async () => {
    const { sm, calls } = fakeStorage({ grant: true, usage: 7, quota: 70 });
    const { queue } = await openTest('memory', { environment: { storage: sm } });
    expect(await queue.persist()).toEqual({ persisted: false, usage: 7, quota: 70 });
    expect(calls).toEqual(['estimate']);
  });

  it('rejects on a closed queue', async () => {
    const { queue } = await openTest('indexeddb', { environment: { storage: fakeStorage().sm } });
    await queue.close();
    await expect(queue.persist()).rejects.toThrow(/closed/);
    await expect(queue.storageStatus()).rejects.toThrow(/closed/);
  });
});
