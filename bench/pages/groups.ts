/**
 * Scenario "groups" (opt-in, issue 14) — what ordered groups cost.
 *
 * `claim`: one claim (the internal `claimJobs`, one readwrite transaction) with `size` jobs
 * stored. With groups: `groups` groups of `size / groups` jobs each, the head of all but one
 * group `processing` (busy), so every job behind a busy head waits; the claim must find the
 * one runnable head. Without groups: the same jobs and the same busy ones, no group. Each
 * repetition claims the runnable job and gives it back (cut off: ready again), `claims` times;
 * the metric is the median claim.
 *
 * `e2e`: end-to-end throughput of `jobs` no-op jobs in the page (concurrency 8), each in a
 * group of its own, against the same without groups.
 */
import { openQueue, startWorkers, type Queue } from 'jobrail';
import { claimJobs } from '../../src/claim.js';
import { INTERNALS } from '../../src/internals.js';
import { releaseJob } from '../../src/reclaim.js';
import type { Engine } from '../../src/store/engine.js';
import { countEvents, deleteDb, freshName, jobrailDb, now, percentile, seed, type Metrics } from './common.js';

const engineOf = (q: Queue): Engine => (q as unknown as { [INTERNALS]: { engine: Engine } })[INTERNALS].engine;

let tokens = 0;
const token = () => `bench-${String(++tokens)}`;

function request(concurrency: number) {
  const t = Date.now();
  return { now: t, owner: 'bench', lease: token(), leaseUntil: t + 3_600_000, concurrency, online: true, limiter: undefined };
}

export async function claim({ size, groups, grouped, claims }: { size: number; groups: number; grouped: boolean; claims: number }): Promise<Metrics> {
  const name = freshName(`groups-claim-${grouped ? 'g' : 'n'}`);
  const queue = await openQueue(name);
  const engine = engineOf(queue);
  try {
    const t0 = now();
    // Round robin: job i belongs to group i % groups, so the first `groups` jobs are the heads.
    await seed(queue, size, (i) => ({ name: 'noop', data: { i }, options: { retries: 100_000, ...(grouped ? { group: `g${String(i % groups)}` } : {}) } }));
    const seedMs = now() - t0;
    // All heads but one busy: claimed (processing) under a lease nobody renews (no runner runs here).
    let busy = 0;
    while (busy < groups - 1) {
      const res = await claimJobs(engine, request(size), Math.min(500, groups - 1 - busy), token);
      busy += res.jobs.length;
      if (res.jobs.length === 0) throw new Error('seeding the busy heads found nothing to claim');
    }
    const samples: number[] = [];
    for (let k = 0; k < claims; k++) {
      const req = request(size);
      const c0 = now();
      const res = await claimJobs(engine, req, 1, token);
      samples.push(now() - c0);
      const job = res.jobs[0];
      if (!job) throw new Error(`claim ${String(k)} found no runnable job (stop: ${res.stop})`);
      if (grouped && job.group !== `g${String(groups - 1)}`) throw new Error(`claimed ${job.id} of ${String(job.group)}, a busy group`);
      await releaseJob(engine, job.id, job.lease as string, Date.now());
    }
    const counts = await queue.counts();
    if (counts.processing !== groups - 1) throw new Error(`expected ${String(groups - 1)} busy jobs, found ${String(counts.processing)}`);
    return { ms: percentile(samples, 50), p90: percentile(samples, 90), seedMs };
  } finally {
    await queue.close();
    await deleteDb(jobrailDb(name));
  }
}

export async function e2e({ jobs, grouped }: { jobs: number; grouped: boolean }): Promise<Metrics> {
  const name = freshName(`groups-e2e-${grouped ? 'g' : 'n'}`);
  const queue = await openQueue(name);
  try {
    await seed(queue, jobs, (i) => ({ name: 'noop', data: { i }, options: grouped ? { group: `own-${String(i)}` } : {} }));
    const started = countEvents(queue, 'active', jobs);
    const completed = countEvents(queue, 'completed', jobs);
    const runner = startWorkers(queue, { handlers: { noop: () => undefined }, concurrency: 8 });
    const t1 = await completed.all;
    const ms = t1 - started.first();
    await runner.stop();
    return { rate: (jobs / ms) * 1000, ms };
  } finally {
    await queue.close();
    await deleteDb(jobrailDb(name));
  }
}
