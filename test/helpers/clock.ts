import type { Environment } from '../../src/environment.js';

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A fake clock for `openQueue({ environment })`: time moves only when a test calls
 * `advance(ms)`, which fires the timers that fall due, earliest first (ties in the order
 * they were set), with `now()` reading each timer's due time while it runs.
 */
export class FakeClock {
  private time: number;
  private nextId = 0;
  private readonly timers = new Map<number, Timer>();
  private readonly watchers = new Set<() => void>();
  /** The value `random()` returns; replace it to script jitter draws. */
  random: () => number = () => 0.5;

  constructor(start = Date.UTC(2030, 0, 1)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  /** The `environment` option of `openQueue`. */
  get env(): Pick<Environment, 'now' | 'setTimeout' | 'clearTimeout' | 'random'> {
    return {
      now: () => this.time,
      setTimeout: (fn, ms) => this.schedule(fn, ms),
      clearTimeout: (handle) => {
        this.timers.delete(handle as number);
      },
      random: () => this.random(),
    };
  }

  /** Due times of the timers that have not fired, in order. */
  pending(): number[] {
    return [...this.timers.values()].map((t) => t.at).sort((a, b) => a - b);
  }

  /**
   * Forgets the timers due at `at` without firing them, as timers die with the context that
   * set them (an edge runtime's request, a suspended page); returns how many were dropped.
   */
  drop(at: number): number {
    let dropped = 0;
    for (const [id, t] of this.timers) {
      if (t.at !== at) continue;
      this.timers.delete(id);
      dropped += 1;
    }
    return dropped;
  }

  /** Moves time forward by `ms`, firing every timer due by then in order. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`advance(${String(ms)})`);
    const target = this.time + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const t of this.timers.values()) {
        if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
      }
      if (!next) break;
      this.timers.delete(next.id);
      this.time = Math.max(this.time, next.at);
      next.fn();
    }
    this.time = target;
  }

  /** Resolves once a timer due exactly at `at` is set (e.g. a runner waiting for a delayed job). */
  timerAt(at: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if ([...this.timers.values()].some((t) => t.at === at)) {
          this.watchers.delete(check);
          resolve();
        }
      };
      this.watchers.add(check);
      check();
    });
  }

  private schedule(fn: () => void, ms: number): number {
    const id = ++this.nextId;
    this.timers.set(id, { id, at: this.time + Math.max(0, ms), fn });
    for (const watch of [...this.watchers]) watch();
    return id;
  }
}
