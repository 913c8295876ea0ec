import { claimJobs, type ClaimRequest } from '../../src/claim.js';
import type { Outcome } from '../../src/outcome.js';
import { settleAttempts, type Fenced, type Settled } from '../../src/settle.js';
import type { SettleContext } from '../../src/transitions.js';
import type { Engine } from '../../src/store/engine.js';
import type { JobRecord } from '../../src/store/record.js';

/** One claim's answer, one job at a time: what the lease tests reason about. */
export type ClaimResult =
  | { job: JobRecord }
  | { job?: undefined; reason: 'paused' | 'busy' | 'empty'; processing: number }
  | { job?: undefined; reason: 'limited'; until: number; processing: number };

/** Claims the next job under `req.lease` (the runner claims batches with `claimJobs`). */
export async function claimNext(engine: Engine, req: ClaimRequest): Promise<ClaimResult> {
  const res = await claimJobs(engine, req, 1, () => req.lease);
  const job = res.jobs[0];
  if (job) return { job };
  if (res.stop === 'limited') return { reason: 'limited', until: res.until as number, processing: res.processing };
  return { reason: res.stop === 'full' ? 'empty' : res.stop, processing: res.processing };
}

/** Records one attempt's outcome, fenced by its lease (the runner settles batches). */
export async function settleAttempt(engine: Engine, id: string, lease: string, outcome: Outcome, ctx: SettleContext): Promise<Fenced<Settled>> {
  return (await settleAttempts(engine, [{ id, lease, outcome, ctx }]))[0] as Fenced<Settled>;
}
