import { report } from './errors.js';
import { syncIfNetworkJobsWait } from './background-sync.js';
import { claimJobs, leaveWaiting, nextDueAt, type ClaimRequest, type Claimed } from './claim.js';
import type { QueueMessage } from './events.js';
import type { Executor } from './executor.js';
import { Flights } from './flights.js';
import type { QueueInternals } from './internals.js';
import type { RunnerLease } from './lease.js';
import { expireWithin, nextExpiryWithin } from './flow.js';
import { reclaimOrphans, releaseJob } from './reclaim.js';
import { startSchedulerWhenNeeded } from './schedule-starter.js';
import { SettleBatch } from './settle-batch.js';
import { toJob, type JobRecord } from './store/record.js';
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

/**
 * Fair share for background tabs: a runner in a hidden tab waits this long before each claim
 * pass, which the browser stretches to its background timer throttle (about 1 s in Firefox),
 * and never claims in the transaction that settles its own jobs. The global `concurrency`
 * then goes to the visible tabs first, whose timers, handlers and settles run at full speed;
 * a hidden tab alone still runs everything, one pass per throttled tick.
 */
const HIDDEN_CLAIM_DELAY_MS = 250;

/** How often runners look for jobs whose holder died, where Web Locks tell them at once. */
const RECLAIM_INTERVAL_MS = 1000;

/**
 * The loop of one runner and its wake-ups: events from every tab, a timer for the next
 * delayed job or the limiter, reconnects, and a reclaim timer for jobs whose runner died.
 * Each pass claims up to `concurrency` jobs and launches them; the attempts in flight are
 * `Flights`' job, the writing of their outcomes `SettleBatch`'s. Every state change is a
 * transaction in `claim`, `settle` or `reclaim`; this file only decides when to call them.
 */
export class Dispatcher {
  private readonly flights: Flights;
  private readonly settles: SettleBatch;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private pumping = false;
  private again = false;
  private dueTimer: unknown;
  private dueAt = Infinity;
  private reclaimTimer: unknown;
  private expiryTimer: unknown;
  private expiryAt = Infinity;
  private busySinceDrained = false;
  private cleanups: (() => void)[] = [];
  private hiddenTimer: unknown;
  private readonly closer = () => this.stop({ timeout: 0 });

  constructor(
    private readonly q: QueueInternals,
    private readonly executor: Executor,
    private readonly opts: DispatchOptions,
    private readonly lease: RunnerLease,
  ) {
    const emit = (event: JobEventName, rec: JobRecord) => this.emit(event, rec);
    this.settles = new SettleBatch(q, opts.maxCrashes, {
      running: () => this.flights.attempting,
      freeAfter: (settling) => (this.stopping || this.q.env.isHidden() ? 0 : this.opts.concurrency - (this.flights.size - settling)),
      claimRequest: () => this.claimRequest(),
      token: this.token,
      claimed: (res) => this.claimed(res),
      emit,
      report,
    });
    this.flights = new Flights(q, executor, lease, opts.leaseMs, {
      settle: (flight, outcome) => this.settles.settle(flight, outcome),
      emit,
      ended: () => this.wake(),
      report,
    });
  }

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
    // Shown again: claim now instead of at the next throttled tick.
    this.cleanups.push(this.q.env.onVisibilityChange(() => this.wake()));
    if (this.opts.schedules !== false) this.cleanups.push(startSchedulerWhenNeeded(this.q));
    await this.reclaim();
    await this.expire();
    this.wake();
  }

  private onMessage(msg: QueueMessage): void {
    if (msg.kind === 'job') {
      if (msg.event === 'removed') this.flights.removed(msg.job.id);
      if (msg.event === 'added') this.busySinceDrained = true;
      if (msg.event === 'active' || msg.event === 'progress') return;
      this.wake();
    } else if (msg.kind === 'wake' || msg.kind === 'changed' || (msg.kind === 'paused' && !msg.paused)) {
      this.wake();
    }
  }

  /** Runs the claim loop now, or once more after the current pass; in a hidden tab, a moment later. */
  wake(): void {
    if (this.stopping) return;
    const { env } = this.q;
    if (env.isHidden()) {
      this.hiddenTimer ??= env.setTimeout(() => {
        this.hiddenTimer = undefined;
        this.pumpNow();
      }, HIDDEN_CLAIM_DELAY_MS);
      return;
    }
    if (this.hiddenTimer !== undefined) {
      env.clearTimeout(this.hiddenTimer);
      this.hiddenTimer = undefined;
    }
    this.pumpNow();
  }

  private pumpNow(): void {
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
      if (this.stopping) {
        const released = await releaseJob(engine, job.id, job.lease as string, env.now());
        if (released) {
          this.emit(endEvent(released.job.state), { ...released.job, data: job.data });
          for (const rec of released.cascade) this.emit('failed', rec);
        }
      } else {
        this.busySinceDrained = true;
        this.flights.launch(job);
      }
    }
    for (const rec of res.expired) this.emit('failed', rec);
    this.armExpiry(res.nextExpiry);
    if (res.stop === 'full') return true;
    if ((res.stop === 'limited' || res.stop === 'busy') && res.until !== undefined) this.arm(res.until);
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
    const now = this.q.env.now();
    if (at <= now) {
      // Already due: look again now rather than hold a timer that would block earlier ones.
      queueMicrotask(() => this.wake());
      return;
    }
    // An earlier timer is kept only while it can still fire: one whose time has passed
    // without firing died with the context that set it (timers end with an edge runtime's
    // request, or a frozen page), so it is replaced.
    if (this.dueTimer !== undefined && at >= this.dueAt && this.dueAt > now) return;
    if (this.dueTimer !== undefined) this.q.env.clearTimeout(this.dueTimer);
    this.dueAt = at;
    this.dueTimer = this.q.env.setTimeout(() => {
      this.dueTimer = undefined;
      this.dueAt = Infinity;
      this.wake();
    }, Math.max(0, at - this.q.env.now()));
  }

  /**
   * Expiry has its own timer: it must fire while paused, and while this tab's slots are all
   * busy (when no claim runs).
   */
  private armExpiry(at: number | undefined): void {
    if (this.stopping || at === undefined) return;
    if (at <= this.q.env.now()) {
      // Already due (e.g. found by a claim that ran late): no timer that would wait for the clock.
      queueMicrotask(() => void this.expire());
      return;
    }
    if (this.expiryTimer !== undefined && at >= this.expiryAt) return;
    if (this.expiryTimer !== undefined) this.q.env.clearTimeout(this.expiryTimer);
    this.expiryAt = at;
    this.expiryTimer = this.q.env.setTimeout(() => {
      this.expiryTimer = undefined;
      this.expiryAt = Infinity;
      void this.expire();
    }, Math.max(0, at - this.q.env.now()));
  }

  /** Fails the waiting jobs whose expiry passed, whether the runner is paused, busy or idle. */
  private async expire(): Promise<void> {
    if (this.stopping) return;
    try {
      const { failed, next } = await this.q.engine.write(async (tx) => {
        const now = this.q.env.now();
        return { failed: await expireWithin(tx, now), next: await nextExpiryWithin(tx) };
      }, 'relaxed');
      for (const rec of failed) this.emit('failed', rec);
      this.armExpiry(next);
    } catch (error) {
      report(error);
      this.armExpiry(this.q.env.now() + 1000);
    }
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
      if (this.expiryTimer !== undefined) env.clearTimeout(this.expiryTimer);
      if (this.hiddenTimer !== undefined) env.clearTimeout(this.hiddenTimer);
      const abandon = () => this.flights.abandonAll();
      const timeout = options.timeout ?? Infinity;
      let timer: unknown;
      if (timeout <= 0) abandon();
      else if (Number.isFinite(timeout)) timer = env.setTimeout(abandon, timeout);
      while (this.pumping || this.settles.busy || this.flights.size > 0) {
        await this.flights.ended();
        await this.settles.idle();
        if (this.pumping) await new Promise((r) => setTimeout(r, 0));
      }
      if (timer !== undefined) env.clearTimeout(timer);
      for (const cleanup of this.cleanups) cleanup();
      await this.executor.close();
      await leaveWaiting(this.q.engine, this.lease.owner).catch(() => undefined);
      this.lease.dispose();
    })();
    return this.stopped;
  }

  get inFlight(): number {
    return this.flights.size;
  }
}
