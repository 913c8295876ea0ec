/** Relative times and the throughput window move on once a second. */
export const TICK_MS = 1000;

const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | undefined;

function tickAll(): void {
  for (const listener of [...listeners]) {
    try {
      listener();
    } catch (error) {
      const g = globalThis as { reportError?: (e: unknown) => void };
      if (typeof g.reportError === 'function') g.reportError(error);
      else console.error(error);
    }
  }
}

/**
 * Calls `listener` every {@link TICK_MS} ms; returns the unsubscribe. One interval serves
 * every dashboard on the page (ten dashboards wake the page once a second, not ten times), and
 * it stops when the last one unsubscribes, so a page without dashboards has no timer.
 */
export function onTick(listener: () => void): () => void {
  listeners.add(listener);
  timer ??= setInterval(tickAll, TICK_MS);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}
