import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, backoffDelay } from '../src/backoff.js';

const error = { name: 'Error', message: 'boom' };

describe('backoffDelay', () => {
  it('doubles an exponential wait with every retry, starting at its delay', () => {
    const policy = { type: 'exponential', delay: 1000, jitter: false } as const;
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(policy, n, error, 0.5))).toEqual([1000, 2000, 4000, 8000, 16000]);
  });

  it('caps an exponential wait at maxDelay', () => {
    const policy = { type: 'exponential', delay: 1000, maxDelay: 5000, jitter: false } as const;
    expect([1, 2, 3, 4, 10].map((n) => backoffDelay(policy, n, error, 0.5))).toEqual([1000, 2000, 4000, 5000, 5000]);
  });

  it('defaults to 1 s doubling up to one hour', () => {
    const policy = { type: 'exponential', jitter: false } as const;
    expect(backoffDelay(policy, 1, error, 0)).toBe(1000);
    expect(backoffDelay(policy, 3, error, 0)).toBe(4000);
    expect(backoffDelay(policy, 30, error, 0)).toBe(3_600_000);
    expect(DEFAULT_BACKOFF).toEqual({ type: 'exponential', delay: 1000, maxDelay: 3_600_000, jitter: true });
  });

  it('draws a jittered wait uniformly from [wait/2, wait]', () => {
    const policy = { type: 'exponential', delay: 1000 } as const; // jitter defaults to on
    expect(backoffDelay(policy, 3, error, 0)).toBe(2000);
    expect(backoffDelay(policy, 3, error, 0.5)).toBe(3000);
    expect(backoffDelay(policy, 3, error, 0.999999)).toBeCloseTo(4000, 1);
    for (let i = 0; i < 100; i++) {
      const wait = backoffDelay(policy, 3, error, Math.random());
      expect(wait).toBeGreaterThanOrEqual(2000);
      expect(wait).toBeLessThanOrEqual(4000);
    }
  });

  it('jitters a capped wait within [maxDelay/2, maxDelay]', () => {
    const policy = { type: 'exponential', delay: 1000, maxDelay: 3000, jitter: true } as const;
    expect(backoffDelay(policy, 10, error, 0)).toBe(1500);
    expect(backoffDelay(policy, 10, error, 0.999)).toBeLessThanOrEqual(3000);
  });

  it('waits the same for every retry with a fixed backoff, without jitter by default', () => {
    const policy = { type: 'fixed', delay: 750 } as const;
    expect([1, 2, 7].map((n) => backoffDelay(policy, n, error, 0.1))).toEqual([750, 750, 750]);
    expect(backoffDelay({ type: 'fixed', delay: 1000, jitter: true }, 2, error, 0)).toBe(500);
  });

  it('asks a backoff function with the retry number and the error', () => {
    const calls: unknown[] = [];
    const fn = (attempt: number, e: { message: string }) => {
      calls.push([attempt, e.message]);
      return attempt * 100;
    };
    expect(backoffDelay(fn, 3, error, 0.5)).toBe(300);
    expect(calls).toEqual([[3, 'boom']]);
  });

  it('treats a negative or NaN answer of a backoff function as no wait', () => {
    expect(backoffDelay(() => -5, 1, error, 0)).toBe(0);
    expect(backoffDelay(() => Number.NaN, 1, error, 0)).toBe(0);
  });
});
