/**
 * The attempts a runner has in flight: each claimed job handed to the executor with its
 * signal, timeout, progress and (without Web Locks) lease renewals, until its outcome is
 * handed on to be recorded. A job whose lease is lost, or that is removed, is aborted; on
 * stop, attempts are abandoned and their jobs given back.
 */
import { JobrailError, TimeoutError } from './errors.js';
import type { Executor } from './executor.js';
import type { QueueInternals } from './internals.js';
import type { RunnerLease } from './lease.js';
import { judgeAttempt, type Outcome } from './outcome.js';
import type { AttemptResult } from './protocol.js';
import { releaseJob } from './reclaim.js';
import { recordProgress, renewLease } from './settle.js';
import { handlerKey, toJob, type JobRecord } from './store/record.js';
import { endEvent } from './transitions.js';
import type { JobEventName } from './types.js';

export interface Flight {
  rec: JobRecord;
  lease: string;
  controller: AbortController;
  /** Removed, or lease lost: the outcome is not ours to record. */
  discard: boolean;
  /** The runner is closing: give the job back instead of recording an outcome. */
  abandon: boolean;
  done: Promise<void>;
}

/** What the attempts need from the runner that launched them. */
export interface FlightHooks {
  /** Records an attempt's outcome; resolves once it is written (or refused by fencing). */
  settle(flight: Flight, outcome: Outcome): Promise<void>;
  /** A job's event, announced in every tab. */
  emit(event: JobEventName, rec: JobRecord): void;
  /** An attempt ended, its outcome recorded or not: its slot is free. */
  ended(): void;
  report(error: unknown): void;
}

export class Flights {
  private readonly running = new Map<string, Flight>();
  private attempts = 0;

  constructor(
    private readonly q: QueueInternals,
    private readonly executor: Executor,
    private readonly lease: RunnerLease,
    private readonly leaseMs: number,
    private readonly hooks: FlightHooks,
  ) {}

  get size(): number {
    return this.running.size;
  }

  /** Attempts whose handler has not ended yet: in flight, minus those whose outcome is being recorded. */
  get attempting(): number {
    return this.attempts;
  }

  /** Aborts the attempt of a job that was removed while running. */
  removed(id: string): void {
    // No `discard`: the outcome write is refused by fencing if the job is really gone,
    // and a job that is still there (a stray message) is retried, never left stuck.
    this.running.get(id)?.controller.abort(new JobrailError(`Job ${id} was removed while running`));
  }

  /** Aborts every attempt; their jobs go back to the queue instead of recording an outcome. */
  abandonAll(): void {
    for (const flight of this.running.values()) {
      flight.abandon = true;
      flight.controller.abort(new JobrailError('The runner was stopped before the attempt finished'));
    }
  }

  /** Resolves once every attempt in flight now has ended. */
  async ended(): Promise<void> {
    await Promise.all([...this.running.values()].map((f) => f.done));
  }

  /** Starts the attempt of a job this runner just claimed. */
  launch(rec: JobRecord): void {
    const flight: Flight = {
      rec,
      lease: rec.lease as string,
      controller: new AbortController(),
      discard: false,
      abandon: false,
      done: Promise.resolve(),
    };
    this.running.set(rec.id, flight);
    this.hooks.emit('active', rec);
    flight.done = this.run(flight)
      .catch(async (error: unknown) => {
        this.hooks.report(error);
        // The outcome could not be recorded: give the job back (fenced) rather than leave it
        // `processing` under a runner that is alive and so would never be taken over.
        await this.giveBack(flight).catch(() => undefined);
      })
      .finally(() => {
        this.running.delete(rec.id);
        this.hooks.ended();
      });
  }

  /** Releases the job (fenced by the attempt's lease) and announces where it went. */
  private async giveBack(flight: Flight): Promise<void> {
    const released = await releaseJob(this.q.engine, flight.rec.id, flight.lease, this.q.env.now());
    if (!released) return;
    this.hooks.emit(endEvent(released.job.state), { ...released.job, data: flight.rec.data });
    for (const rec of released.cascade) this.hooks.emit('failed', rec);
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
    this.attempts += 1;
    try {
      result = await this.executor.run({
        job: toJob(rec),
        attempt: rec.attempts,
        signal: controller.signal,
        idempotencyKey: handlerKey(rec),
        dependencies: { ...rec.depResults },
        progress: (value) => this.progress(flight, value),
        isolate: rec.crashes > 0,
      });
    } finally {
      this.attempts -= 1;
      for (const t of timers) env.clearTimeout(t);
      timers.length = 0;
    }
    if (flight.abandon) return this.giveBack(flight);
    if (flight.discard) return;
    await this.hooks.settle(flight, judgeAttempt(rec, result, env.isOnline()));
  }

  private renewLoop(flight: Flight, timers: unknown[]): void {
    const { env, engine } = this.q;
    let renewal: unknown;
    const tick = () => {
      // Replace only the previous renewal timer: `timers` also holds the attempt's timeout.
      if (timers.includes(renewal)) timers.splice(timers.indexOf(renewal), 1);
      timers.push(
        (renewal = env.setTimeout(() => {
          void renewLease(engine, flight.rec.id, flight.lease, env.now() + this.leaseMs).then((res) => {
            if (!timers.includes(renewal)) return; // the attempt ended while this renewal ran
            if (res.ok) return tick();
            this.lose(flight);
          }, this.hooks.report);
        }, this.leaseMs / 3)),
      );
    };
    tick();
  }

  /** Another runner owns the job now: stop this attempt and keep its outcome out of the store. */
  private lose(flight: Flight): void {
    flight.discard = true;
    flight.controller.abort(new JobrailError(`Lease on job ${flight.rec.id} was lost: another runner took it over`));
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
    this.hooks.emit('progress', { ...res.value, data: flight.rec.data });
  }
}
