/**
 * A clock for `openQueue({ environment })` in the scheduling, offline and limiter tests:
 * it also drives the online state, and `advance` lets storage work settle between timers.
 */
import type { Environment } from '../../src/environment.js';

/** A clock that moves only when told to; `advance` fires due timers in order, letting storage work settle in between. */
export class Clock {
  t = Date.UTC(2030, 0, 1, 0, 0, 0);
  online = true;
  private id = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  private readonly listeners = new Set<(online: boolean) => void>();
  readonly env: Partial<Environment> = {
    now: () => this.t,
    setTimeout: (fn, ms) => {
      const id = ++this.id;
      this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
      return id;
    },
    clearTimeout: (handle) => {
      this.timers.delete(handle as number);
    },
    random: () => 0.5,
    isOnline: () => this.online,
    onOnlineChange: (listener) => {
      this.listeners.add(listener);
      return () => this.listeners.delete(listener);
    },
    locks: undefined,
  };

  /** How many timers are set to fire at exactly `at`. */
  timersAt(at: number): number {
    return [...this.timers.values()].filter((t) => t.at === at).length;
  }

  setOnline(online: boolean): void {
    this.online = online;
    for (const listener of [...this.listeners]) listener(online);
  }

  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
    }
    this.t = end;
    await settle();
  }
}

/** Lets IndexedDB (fake-indexeddb answers on setImmediate) and promise chains run; no time passes. */
export async function settle(turns = 60): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
