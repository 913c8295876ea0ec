import { describe, expect, it } from 'vitest';
import { draftJob } from '../src/enqueue.js';
import { JobrailError, PermanentError, serializeError, storageError } from '../src/errors.js';
import { normalizeJobOptions } from '../src/options.js';
import { applyOutcome, created, cutOff, revive, type SettleContext } from '../src/transitions.js';
import { withKeys, type JobRecord } from '../src/store/record.js';
import type { JobOptions } from '../src/types.js';

const T = 1_000_000;

/** A job in `processing` after `attempts` attempts, as a claim leaves it. */
function running(attempts: number, options: JobOptions = {}, over: Partial<JobRecord> = {}): JobRecord {
  const draft = draftJob('q', 'work', { x: 1 }, normalizeJobOptions({}, options, T), T);
  return withKeys({ ...draft, id: '7', seq: 7, state: 'processing', attempts, lease: 'L', owner: 'o', leaseUntil: T + 10_000, ...over });
}
const ctx = (over: Partial<SettleContext> = {}): SettleContext => ({ now: T + 500, random: 0.5, maxCrashes: 2, backoffFn: undefined, strategies: new Map(), ...over });
const boom = { name: 'Error', message: 'boom' };

describe('how an attempt outcome becomes a state', () => {
  it('completes with the result and the finish time, releasing the lease', () => {
    const next = applyOutcome(running(1), { type: 'completed', result: { ok: 1 } }, ctx());
    expect(next).toMatchObject({ state: 'completed', result: { ok: 1 }, finishedAt: T + 500, updatedAt: T + 500, lease: undefined, owner: undefined, leaseUntil: undefined });
    expect(next.kFinished).toEqual(['completed', T + 500, 7]);
    expect(next.kReady).toBeUndefined();
  });

  it('schedules a retry after the backoff while attempts are left', () => {
    const next = applyOutcome(running(2, { retries: 3, backoff: { type: 'exponential', delay: 100, jitter: false } }), { type: 'failed', error: boom }, ctx());
    expect(next).toMatchObject({ state: 'retrying', attempts: 2, runAt: T + 500 + 200, ready: false, error: boom, finishedAt: undefined });
    expect(next.kDue).toEqual([T + 700, 7]);
  });

  it('makes a retry with no wait ready at once', () => {
    const next = applyOutcome(running(1, { backoff: { type: 'fixed', delay: 0 } }), { type: 'failed', error: boom }, ctx());
    expect(next).toMatchObject({ state: 'retrying', ready: true, runAt: T + 500 });
    expect(next.kReady).toEqual([0, -0, 7]);
  });

  it('fails the job when its last attempt fails', () => {
    const next = applyOutcome(running(3, { retries: 2 }), { type: 'failed', error: boom }, ctx());
    expect(next).toMatchObject({ state: 'failed', attempts: 3, error: boom, finishedAt: T + 500 });
  });

  it('fails the job at once on a permanent failure', () => {
    const next = applyOutcome(running(1, { retries: 9 }), { type: 'failed', error: { name: 'PermanentError', message: 'no' }, permanent: true }, ctx());
    expect(next).toMatchObject({ state: 'failed', attempts: 1 });
  });

  it('counts attempts that killed their worker and fails the job at maxCrashes (poison jobs end)', () => {
    const crash = { type: 'failed' as const, error: { name: 'JobrailError', message: 'worker died' }, crash: true };
    const once = applyOutcome(running(1, { retries: 10, backoff: { type: 'fixed', delay: 0 } }), crash, ctx());
    expect(once).toMatchObject({ state: 'retrying', crashes: 1 });
    const twice = applyOutcome({ ...once, state: 'processing', attempts: 2 }, crash, ctx());
    expect(twice).toMatchObject({ state: 'failed', crashes: 2, finishedAt: T + 500 });
    expect(twice.error?.message).toMatch(/killed or hung its worker 2 times \(maxCrashes 2\); last: worker died/);
  });

  it('does not count an attempt that asked to run later, whatever its retries', () => {
    const next = applyOutcome(running(1, { retries: 0 }), { type: 'failed', error: boom, uncountedDelay: 3000 }, ctx());
    expect(next).toMatchObject({ state: 'retrying', attempts: 0, runAt: T + 3500, ready: false });
    const now = applyOutcome(running(1, { retries: 0 }), { type: 'failed', error: boom, uncountedDelay: 0 }, ctx());
    expect(now).toMatchObject({ state: 'retrying', attempts: 0, ready: true });
  });

  it('uses the job backoff function when this tab knows it, else the default exponential backoff', () => {
    const job = running(2, { backoff: (n) => n * 1000 });
    expect(job.opts.backoff).toEqual({ type: 'function' });
    expect(applyOutcome(job, { type: 'failed', error: boom }, ctx({ backoffFn: (n) => n * 1000 })).runAt).toBe(T + 500 + 2000);
    // unknown here (added in another tab): 1 s · 2^(2−1) = 2 s, jittered with random 0.5 → 1.5 s
    expect(applyOutcome(job, { type: 'failed', error: boom }, ctx()).runAt).toBe(T + 500 + 1500);
  });
});

describe('cut-off attempts', () => {
  it('make the job runnable at once, the attempt counted', () => {
    const next = cutOff(running(1), T + 9, 'cut off');
    expect(next).toMatchObject({ state: 'retrying', attempts: 1, runAt: T + 9, ready: true, lease: undefined, error: { name: 'JobrailError', message: 'cut off' } });
  });

  it('fail the job when no attempt is left', () => {
    expect(cutOff(running(6), T + 9, 'cut off')).toMatchObject({ state: 'failed', finishedAt: T + 9 });
  });
});

describe('errors', () => {
  it('serializes errors, strings and odd objects into { name, message, stack? }', () => {
    const e = new PermanentError('stop');
    expect(serializeError(e)).toEqual({ name: 'PermanentError', message: 'stop', stack: e.stack });
    expect(serializeError('plain string')).toEqual({ name: 'Error', message: 'plain string' });
    expect(serializeError(42)).toEqual({ name: 'Error', message: '42' });
    expect(serializeError({ name: 7, message: 8 })).toEqual({ name: 'Error', message: '[object Object]' });
    expect(serializeError({ name: 'Custom', message: 'm' })).toEqual({ name: 'Custom', message: 'm' });
  });

  it('wraps storage failures in a JobrailError with the original as cause, and passes jobrail and argument errors through', () => {
    const quota = new DOMException('quota', 'QuotaExceededError');
    const wrapped = storageError('add job "x"', quota);
    expect(wrapped).toBeInstanceOf(JobrailError);
    expect(wrapped.message).toBe('jobrail could not add job "x" (QuotaExceededError: quota)');
    expect(wrapped.cause).toBe(quota);
    expect(storageError('read', 'weird').message).toBe('jobrail could not read');
    const own = new JobrailError('mine');
    expect(storageError('x', own)).toBe(own);
    const type = new TypeError('bad');
    expect(storageError('x', type)).toBe(type);
  });
});

describe('revive (retry of a failed job)', () => {
  it('resets every field one run accumulates, so the job starts as a new one would', () => {
    const dead = withKeys({
      ...running(3, { retries: 2 }),
      state: 'failed',
      lease: undefined,
      owner: undefined,
      leaseUntil: undefined,
      crashes: 1,
      netMisses: 5,
      progress: 0.7,
      result: { partial: true },
      error: boom,
      finishedAt: T + 400,
    });
    const next = revive(dead, T + 900);
    const fresh = created({});
    expect(next).toMatchObject({ state: 'pending', runAt: T + 900, updatedAt: T + 900, ready: true, id: '7', seq: 7, data: { x: 1 } });
    for (const field of ['attempts', 'crashes', 'netMisses', 'progress', 'result', 'error', 'finishedAt', 'lease', 'owner', 'leaseUntil'] as const) {
      expect(next[field], field).toEqual((fresh as Partial<JobRecord>)[field]);
    }
    expect(next.kReady).toEqual([0, -0, 7]);
  });
});
