/**
 * A runner's outcome batching: outcomes that arrive close together are written in one
 * transaction, which also claims the slots they free, and each is announced once written.
 */
import { claimWithin, type ClaimRequest, type Claimed } from './claim.js';
import { nextTask } from './environment.js';
import type { Flight } from './flights.js';
import type { QueueInternals } from './internals.js';
import { unstorableResult, type Outcome } from './outcome.js';
import { settleAttempts, settleWithin, type Fenced, type SettleItem, type Settled } from './settle.js';
import { Writes } from './store/engine.js';
import type { JobRecord } from './store/record.js';
import { endEvent } from './transitions.js';
import type { JobEventName } from './types.js';

/** What the batching needs from the runner's loop. */
export interface SettleHooks {
  /** Attempts whose handler is still running (their outcome is not here yet). */
  running(): number;
  /** How many slots a batch of `settling` outcomes frees for claiming (0 while stopping). */
  freeAfter(settling: number): number;
  claimRequest(): ClaimRequest;
  token(): string;
  /** Launches what the claim of a batch returned. */
  claimed(res: Claimed): Promise<unknown>;
  emit(event: JobEventName, rec: JobRecord): void;
  /** The queue's error path for failures nobody awaits. */
  report(error: unknown): void;
}

/**
 * How long a batch waits for outcomes still on their way. Measured (bench e2e, 1,000 jobs,
 * 2 workers × concurrency 8, loaded machine): transactions per job 0.37 → 0.31; 4 ms did no
 * better than 1 ms. Every batch of a settle loop waits, not only its first: the two workers'
 * shares of one claim then settle together (bench e2e, 3,000 jobs, quiet machine: 0.325 →
 * 0.14 transactions per job, workers 0.59× → 0.77× in-page). An earlier version of this let
 * one tab refill every slot of the global concurrency (e2e/tabs.spec.ts); the fair share of
 * claim.ts keeps slots for waiting runners since.
 */
const GATHER_MS = 1;
/** Bounds the wait where task turns are slow or the clock is coarse. */
const GATHER_TURNS = 32;
/** Real time, never the injected clock: a fake clock that stands still would never end the wait. */
const realNow = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

interface Waiting {
  flight: Flight;
  outcome: Outcome;
  resolve(): void;
  reject(e: unknown): void;
}

export class SettleBatch {
  private readonly waiting: Waiting[] = [];
  private settling = false;
  /** The settle loop running now, if any: `stop()` waits for it (it may claim and release). */
  private flushing: Promise<void> = Promise.resolve();
  private readonly token = () => this.hooks.token();

  constructor(
    private readonly q: QueueInternals,
    private readonly maxCrashes: number,
    private readonly hooks: SettleHooks,
  ) {}

  /** True while a batch is being gathered or written. */
  get busy(): boolean {
    return this.settling;
  }

  /** Resolves once the batch being written now, if any, is done. */
  idle(): Promise<void> {
    return this.flushing;
  }

  /** Records one attempt's outcome with the others that arrive meanwhile. */
  settle(flight: Flight, outcome: Outcome): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ flight, outcome, resolve, reject });
      if (this.settling) return;
      this.settling = true;
      this.flushing = this.flush();
    });
  }

  /**
   * Waits while attempts are still running, for one task and then up to `GATHER_MS`. Jobs
   * claimed together often finish together, a few promise turns or worker replies apart (two
   * workers each answer for their share of a batch): gathered, they share one transaction
   * instead of each settling (and refilling its slots) alone. Task turns, not a timer:
   * timers in background tabs are throttled to one wake-up a second.
   */
  private async gather(): Promise<void> {
    const started = realNow();
    for (let turn = 0; turn < GATHER_TURNS && this.hooks.running() > 0; turn += 1) {
      if (turn > 0 && realNow() - started >= GATHER_MS) return;
      await nextTask();
    }
  }

  /** Writes every outcome waiting now in one transaction; outcomes arriving meanwhile wait for the next. */
  private async flush(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        // Every batch, the first and those that arrived while the last was written: their siblings may be a worker reply away.
        await this.gather();
        const batch = this.waiting.splice(0, this.waiting.length);
        const items = batch.map((p) => this.item(p.flight, p.outcome));
        // The slots these attempts free are claimed again in the same transaction: one
        // transaction per batch of jobs in a busy queue, not one to settle and one to claim.
        const free = this.hooks.freeAfter(batch.length);
        let written: { results: Fenced<Settled>[]; next: Claimed | undefined };
        try {
          written = await this.q.engine.write(async (tx) => {
            // The claim's reads follow the settle's writes without waiting for them: requests run in order.
            const writes = new Writes();
            const settledNow = await settleWithin(tx, items, writes);
            const claim = free > 0 ? await claimWithin(tx, this.hooks.claimRequest(), free, this.token) : undefined;
            await writes.all();
            return { results: settledNow, next: claim };
          }, 'relaxed');
        } catch {
          // The transaction did not commit, so nothing of it was written and each outcome can
          // be tried again on its own: one bad outcome (a result storage refuses) fails the
          // whole batch, and a connection closed under us is reopened by the next write. An
          // outcome that fails alone too rejects its attempt (reported, job given back).
          for (const p of batch) await this.alone(p.flight, p.outcome).then(p.resolve, p.reject);
          continue;
        }
        // Written: from here on a failure is reported, and nothing is settled again.
        const { results, next } = written;
        for (const [i, p] of batch.entries()) {
          try {
            this.settled(p.flight, results[i] as Fenced<Settled>);
          } catch (error) {
            this.hooks.report(error);
          }
          p.resolve();
        }
        if (next) await this.hooks.claimed(next).catch(this.hooks.report);
      }
    } finally {
      this.settling = false;
    }
  }

  private item(flight: Flight, outcome: Outcome): SettleItem {
    const { env } = this.q;
    const id = flight.rec.id;
    return {
      id,
      lease: flight.lease,
      outcome,
      ctx: {
        now: env.now(),
        random: env.random(),
        maxCrashes: this.maxCrashes,
        backoffFn: this.q.backoffFns.get(id) ?? this.q.defaultBackoffFn,
        strategies: this.q.backoffStrategies,
        data: flight.rec.data,
      },
    };
  }

  private async alone(flight: Flight, outcome: Outcome): Promise<void> {
    let res: Fenced<Settled>;
    try {
      res = (await settleAttempts(this.q.engine, [this.item(flight, outcome)]))[0] as Fenced<Settled>;
    } catch (error) {
      if (outcome.type !== 'completed' || (error as { name?: string }).name !== 'DataCloneError') throw error;
      res = (await settleAttempts(this.q.engine, [this.item(flight, unstorableResult(flight.rec))]))[0] as Fenced<Settled>;
    }
    this.settled(flight, res);
  }

  /** Announces a recorded outcome; a refused one (lease lost) is silently dropped. */
  private settled(flight: Flight, res: Fenced<Settled>): void {
    if (!res.ok) return;
    const id = flight.rec.id;
    const rec = { ...res.value.job, data: flight.rec.data };
    if (rec.state !== 'retrying') this.q.backoffFns.delete(id);
    this.hooks.emit(endEvent(rec.state), rec);
    for (const failed of res.value.cascade) this.hooks.emit('failed', failed);
  }
}
