import { claimJobs, claimWithin, nextDueAt, type ClaimRequest, type Claimed } from './claim.js';
import { JobrailError, TimeoutError } from './errors.js';
import type { Executor } from './executor.js';
import { judgeAttempt, unstorableResult, type Outcome } from './outcome.js';
import type { AttemptResult } from './protocol.js';
import type { QueueMessage } from './events.js';
import { nextTask } from './environment.js';
import type { RunnerLease } from './lease.js';
import type { QueueInternals } from './internals.js';
import { reclaimOrphans, releaseJob } from './reclaim.js';
import { syncIfNetworkJobsWait } from './background-sync.js';
import { startSchedulerWhenNeeded } from './schedule-starter.js';
import { recordProgress, renewLease, settleAttempts, settleWithin, type Fenced, type SettleItem, type Settled } from './settle.js';
import { Writes } from './store/engine.js';
import { handlerKey, toJob, type JobRecord } from './store/record.js';
import { endEvent } from './transitions.js';
import type { JobEventName } from './types.js';

export interface DispatchOptions {
  concurrency: number;
  maxCrashes: number;
  limiter: { max: number; duration: number } | undefined;
  /** Time lease length where Web Locks are missing. */
  leaseMs: number;
  /** Fire the queue's schedules from this runner. @default true (false in a service-worker drain) */
  schedules?: boolean;
}

interface Flight {
  rec: JobRecord;
  lease: string;
  controller: AbortController;
  /** Removed, or lease lost: the outcome is not ours to record. */
  discard: boolean;
  /** The runner is closing: give the job back instead of recording an outcome. */
  abandon: boolean;
  done: Promise<void>;
}

function report(error: unknown): void {
  const g = globalThis as { reportError?: (e: unknown) => void };
  if (typeof g.reportError === 'function') g.reportError(error);
  else console.error(error);
}

/** How often runners look for jobs whose holder died, where Web Locks tell them at once. */
const RECLAIM_INTERVAL_MS = 1000;

/**
 * The loop of one runner: wakes on events from every tab, on timers for the next delayed
 * job and the limiter, and on reconnect; claims up to `concurrency` jobs; hands them to the
 * executor; records each outcome. Every state change is a transaction in `claim`,
 * `settle` or `reclaim`; this file only decides when to call them.
 */
export class Dispatcher {
  private readonly flights = new Map<string, Flight>();
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private pumping = false;
  private again = false;
  private dueTimer: unknown;
  private dueAt = Infinity;
  private reclaimTimer: unknown;
  private busySinceDrained = false;
  private cleanups: (() => void)[] = [];
  private readonly settleQueue: { flight: Flight; outcome: Outcome; resolve(): void; reject(e: unknown): void }[] = [];
  private settling = false;
  /** The settle loop running now, if any: `stop()` waits for it (it may claim and release). */
  private flushing: Promise<void> = Promise.resolve();
  private readonly closer = () => this.stop({ timeout: 0 });

  constructor(
    private readonly q: QueueInternals,
    private readonly executor: Executor,
    private readonly opts: DispatchOptions,
    private readonly lease: RunnerLease,
  ) {}

  async start(): Promise<void> {
    this.q.closers.add(this.closer);
    try {
      await this.executor.start?.();
    } catch (error) {
      await this.stop({ timeout: 0 });
      throw error;
    }
    await this.lease.acquire();
    if (this.stopping) return;
    this.cleanups.push(this.q.hub.subscribe((msg) => this.onMessage(msg)));
    // Back online: run what waited. Gone offline: a pass finds what now waits (see fill).
    this.cleanups.push(this.q.env.onOnlineChange(() => this.wake()));
    if (this.opts.schedules !== false) this.cleanups.push(startSchedulerWhenNeeded(this.q));
    await this.reclaim();
    this.wake();
  }

  private onMessage(msg: QueueMessage): void {
    if (msg.kind === 'job') {
      const flight = this.flights.get(msg.job.id);
      if (msg.event === 'removed' && flight) {
        // No `discard`: the outcome write is refused by fencing if the job is really gone,
        // and a job that is still there (a stray message) is retried, never left stuck.
        flight.controller.abort(new JobrailError(`Job ${msg.job.id} was removed while running`));
      }
      if (msg.event === 'added') this.busySinceDrained = true;
      if (msg.event === 'active' || msg.event === 'progress') return;
      this.wake();
    } else if (msg.kind === 'wake' || msg.kind === 'changed' || (msg.kind === 'paused' && !msg.paused)) {
      this.wake();
    }
  }

  /** Runs the claim loop now, or once more after the current pass. */
  wake(): void {
    if (this.stopping) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      do {
        this.again = false;
        await this.fill();
      } while (this.again && !this.stopping);
    } catch (error) {
      report(error);
      // Storage hiccup (e.g. the database was closed under us): try again shortly.
      this.arm(this.q.env.now() + 1000);
    } finally {
      this.pumping = false;
    }
  }

  private claimRequest(): ClaimRequest {
    const { env } = this.q;
    const now = env.now();
    return {
      now,
      owner: this.lease.owner,
      lease: this.lease.token(),
      leaseUntil: now + this.opts.leaseMs,
      concurrency: this.opts.concurrency,
      online: env.isOnline(),
      limiter: this.opts.limiter,
    };
  }

  private readonly token = () => this.lease.token();

  private async fill(): Promise<void> {
    while (!this.stopping && this.flights.size < this.opts.concurrency) {
      // Claim every free slot in one transaction.
      const res = await claimJobs(this.q.engine, this.claimRequest(), this.opts.concurrency - this.flights.size, this.token);
      if (!(await this.claimed(res))) return;
    }
  }

  /** Launches what a claim returned; true if the claim filled every slot it asked for. */
  private async claimed(res: Claimed): Promise<boolean> {
    const { env, engine } = this.q;
    for (const job of res.jobs) {
      if (this.stopping) await releaseJob(engine, job.id, job.lease as string, env.now());
      else this.launch(job);
    }
    if (res.stop === 'full') return true;
    if (res.stop === 'limited' && res.until !== undefined) this.arm(res.until);
    if (res.stop === 'empty') {
      // requiresNetwork jobs may wait: ask the service worker to run them once online.
      if (!env.isOnline()) void syncIfNetworkJobsWait(this.q);
      const due = await nextDueAt(engine);
      if (due !== undefined) this.arm(due);
      if (res.processing === 0 && this.flights.size === 0 && this.busySinceDrained) {
        this.busySinceDrained = false;
        this.q.hub.emit({ kind: 'drained' });
      }
    }
    return false;
  }

  /** Wakes the loop at `at` (the earliest of all requested times wins). */
  private arm(at: number): void {
    if (this.stopping) return;
    if (at <= this.q.env.now()) {
      // Already due: look again now rather than hold a timer that would block earlier ones.
      queueMicrotask(() => this.wake());
      return;
    }
    if (this.dueTimer !== undefined && at >= this.dueAt) return;
    if (this.dueTimer !== undefined) this.q.env.clearTimeout(this.dueTimer);
    this.dueAt = at;
    this.dueTimer = this.q.env.setTimeout(() => {
      this.dueTimer = undefined;
      this.dueAt = Infinity;
      this.wake();
    }, Math.max(0, at - this.q.env.now()));
  }

  private scheduleReclaim(): void {
    if (this.stopping) return;
    const every = this.lease.usesLocks ? RECLAIM_INTERVAL_MS : this.opts.leaseMs / 2;
    this.reclaimTimer = this.q.env.setTimeout(() => void this.reclaim(), every);
  }

  /** Takes over jobs whose runner died (closed tab, reload, crash). */
  private async reclaim(): Promise<void> {
    try {
      const alive = await this.lease.alive();
      const recs = await reclaimOrphans(this.q.engine, this.q.env.now(), alive);
      // A `retrying` event wakes idle runners in every tab.
      for (const rec of recs) this.emit(endEvent(rec.state), rec);
    } catch (error) {
      report(error);
    } finally {
      this.scheduleReclaim();
    }
  }

  private emit(event: JobEventName, rec: JobRecord): void {
    this.q.hub.emit({ kind: 'job', event, job: toJob(rec) });
  }

  private launch(rec: JobRecord): void {
    const flight: Flight = {
      rec,
      lease: rec.lease as string,
      controller: new AbortController(),
      discard: false,
      abandon: false,
      done: Promise.resolve(),
    };
    this.flights.set(rec.id, flight);
    this.busySinceDrained = true;
    this.emit('active', rec);
    flight.done = this.run(flight)
      .catch(async (error: unknown) => {
        report(error);
        // The outcome could not be recorded: give the job back (fenced) rather than leave it
        // `processing` under a runner that is alive and so would never be taken over.
        const released = await releaseJob(this.q.engine, rec.id, flight.lease, this.q.env.now()).catch(() => undefined);
        if (released) this.emit(endEvent(released.state), { ...released, data: rec.data });
      })
      .finally(() => {
        this.flights.delete(rec.id);
        this.wake();
      });
  }

  private async run(flight: Flight): Promise<void> {
    const { rec, controller } = flight;
    const { env } = this.q;
    const timers: unknown[] = [];
    const timeout = rec.opts.timeout;
    if (timeout !== undefined) {
      timers.push(env.setTimeout(() => controller.abort(new TimeoutError(`Job ${rec.id} (${rec.name}) timed out after ${String(timeout)} ms`)), timeout));
    }
    if (!this.lease.usesLocks) this.renewLoop(flight, timers);
    let result: AttemptResult;
    try {
      result = await this.executor.run({
        job: toJob(rec),
        attempt: rec.attempts,
        signal: controller.signal,
        idempotencyKey: handlerKey(rec),
        progress: (value) => this.progress(flight, value),
        isolate: rec.crashes > 0,
      });
    } finally {
      for (const t of timers) env.clearTimeout(t);
      timers.length = 0;
    }
    if (flight.abandon) {
      const released = await releaseJob(this.q.engine, rec.id, flight.lease, env.now());
      if (released) this.emit(endEvent(released.state), { ...released, data: rec.data });
      return;
    }
    if (flight.discard) return;
    await this.settle(flight, judgeAttempt(rec, result, env.isOnline()));
  }

  private renewLoop(flight: Flight, timers: unknown[]): void {
    const { env, engine } = this.q;
    let renewal: unknown;
    const tick = () => {
      // Replace only the previous renewal timer: `timers` also holds the attempt's timeout.
      if (timers.includes(renewal)) timers.splice(timers.indexOf(renewal), 1);
      timers.push(
        (renewal = env.setTimeout(() => {
          void renewLease(engine, flight.rec.id, flight.lease, env.now() + this.opts.leaseMs).then((res) => {
            if (!timers.includes(renewal)) return; // the attempt ended while this renewal ran
            if (res.ok) return tick();
            this.lose(flight);
          }, report);
        }, this.opts.leaseMs / 3)),
      );
    };
    tick();
  }

  /** Another runner owns the job now: stop this attempt and keep its outcome out of the store. */
  private lose(flight: Flight): void {
    flight.discard = true;
    flight.controller.abort(new JobrailError(`Lease on job ${flight.rec.id} was lost: another runner took it over`));
  }

  private settle(flight: Flight, outcome: Outcome): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.settleQueue.push({ flight, outcome, resolve, reject });
      if (this.settling) return;
      this.settling = true;
      this.flushing = this.gather().then(() => this.flushSettles());
    });
  }

  /**
   * Waits for the next task unless every attempt in flight has its outcome waiting. Jobs
   * claimed together often finish together, a few promise turns or worker replies apart:
   * gathered, they share one transaction instead of each settling (and refilling its slot)
   * alone.
   */
  private gather(): Promise<void> {
    return this.settleQueue.length >= this.flights.size ? Promise.resolve() : nextTask();
  }

  /** Writes every outcome waiting now in one transaction; outcomes arriving meanwhile wait for the next. */
  private async flushSettles(): Promise<void> {
    try {
      while (this.settleQueue.length > 0) {
        const batch = this.settleQueue.splice(0, this.settleQueue.length);
        const items = batch.map((p) => this.settleItem(p.flight, p.outcome));
        // The slots these attempts free are claimed again in the same transaction: one
        // transaction per batch of jobs in a busy queue, not one to settle and one to claim.
        const free = this.stopping ? 0 : this.opts.concurrency - (this.flights.size - batch.length);
        try {
          const { results, next } = await this.q.engine.write(async (tx) => {
            // The claim's reads follow the settle's writes without waiting for them: requests run in order.
            const writes = new Writes();
            const settledNow = await settleWithin(tx, items, writes);
            const claim = free > 0 ? await claimWithin(tx, this.claimRequest(), free, this.token) : undefined;
            await writes.all();
            return { results: settledNow, next: claim };
          }, 'relaxed');
          batch.forEach((p, i) => this.settled(p.flight, results[i] as Fenced<Settled>));
          for (const p of batch) p.resolve();
          if (next) await this.claimed(next);
        } catch {
          // One bad outcome (e.g. a result that cannot be stored) fails the whole batch: retry one by one.
          for (const p of batch) await this.settleAlone(p.flight, p.outcome).then(p.resolve, p.reject);
        }
      }
    } finally {
      this.settling = false;
    }
  }

  private settleItem(flight: Flight, outcome: Outcome): SettleItem {
    const { env } = this.q;
    const id = flight.rec.id;
    return {
      id,
      lease: flight.lease,
      outcome,
      ctx: { now: env.now(), random: env.random(), maxCrashes: this.opts.maxCrashes, backoffFn: this.q.backoffFns.get(id) ?? this.q.defaultBackoffFn },
    };
  }

  private async settleAlone(flight: Flight, outcome: Outcome): Promise<void> {
    let res: Fenced<Settled>;
    try {
      res = (await settleAttempts(this.q.engine, [this.settleItem(flight, outcome)]))[0] as Fenced<Settled>;
    } catch (error) {
      if (outcome.type !== 'completed' || (error as { name?: string }).name !== 'DataCloneError') throw error;
      res = (await settleAttempts(this.q.engine, [this.settleItem(flight, unstorableResult(flight.rec))]))[0] as Fenced<Settled>;
    }
    this.settled(flight, res);
  }

  /** Announces a recorded outcome; a refused one (lease lost) is silently dropped. */
  private settled(flight: Flight, res: Fenced<Settled>): void {
    if (!res.ok) return;
    const id = flight.rec.id;
    const rec = { ...res.value.job, data: flight.rec.data };
    if (rec.state !== 'retrying') this.q.backoffFns.delete(id);
    this.emit(endEvent(rec.state), rec);
  }

  private async progress(flight: Flight, value: unknown): Promise<void> {
    if (flight.discard || flight.abandon) return;
    let res;
    try {
      res = await recordProgress(this.q.engine, flight.rec.id, flight.lease, value, this.q.env.now());
    } catch (error) {
      throw new JobrailError(`Progress of job ${flight.rec.id} cannot be stored: pass a structured-cloneable value such as a number`, { cause: error });
    }
    if (!res.ok) {
      if (!flight.discard) this.lose(flight);
      return;
    }
    this.emit('progress', { ...res.value, data: flight.rec.data });
  }

  /**
   * Stops claiming and waits for in-flight attempts. After `timeout` ms (default: no limit)
   * their signals abort and their jobs are given back to the queue to run again.
   */
  stop(options: { timeout?: number } = {}): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      this.q.closers.delete(this.closer);
      const { env } = this.q;
      if (this.dueTimer !== undefined) env.clearTimeout(this.dueTimer);
      if (this.reclaimTimer !== undefined) env.clearTimeout(this.reclaimTimer);
      const abandon = () => {
        for (const flight of this.flights.values()) {
          flight.abandon = true;
          flight.controller.abort(new JobrailError('The runner was stopped before the attempt finished'));
        }
      };
      const timeout = options.timeout ?? Infinity;
      let timer: unknown;
      if (timeout <= 0) abandon();
      else if (Number.isFinite(timeout)) timer = env.setTimeout(abandon, timeout);
      while (this.pumping || this.settling || this.flights.size > 0) {
        await Promise.all([...this.flights.values()].map((f) => f.done));
        await this.flushing;
        if (this.pumping) await new Promise((r) => setTimeout(r, 0));
      }
      if (timer !== undefined) env.clearTimeout(timer);
      for (const cleanup of this.cleanups) cleanup();
      await this.executor.close();
      this.lease.dispose();
    })();
    return this.stopped;
  }

  get inFlight(): number {
    return this.flights.size;
  }
}
