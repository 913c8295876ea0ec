/** Counts events in a sliding time window (e.g. completions in the last minute). */
export class SlidingCounter {
  private readonly times: number[] = [];
  private head = 0;

  constructor(readonly windowMs: number) {}

  /** Records one event at `at`. */
  add(at: number): void {
    this.times.push(at);
  }

  /** Events within the window that ends at `now`. */
  count(now: number): number {
    const from = now - this.windowMs;
    while (this.head < this.times.length && (this.times[this.head] as number) <= from) this.head += 1;
    // Compact now and then, so memory stays bounded by the events in one window.
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times.splice(0, this.head);
      this.head = 0;
    }
    return this.times.length - this.head;
  }

  clear(): void {
    this.times.length = 0;
    this.head = 0;
  }
}
