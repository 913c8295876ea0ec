import { report } from './errors.js';
import type { QueueInternals } from './internals.js';
import { SCHEDULES_META_KEY } from './store/schema.js';

/**
 * Starts a runner's `Scheduler` once the queue holds a schedule. Most queues never have
 * one: their runners then never load the schedule code, nor croner (dynamic imports,
 * split into chunks of their own by bundlers). Re-checks when a tab changes the schedules.
 *
 * @returns the function that stops it (and the scheduler, if it started)
 */
export function startSchedulerWhenNeeded(q: Pick<QueueInternals, 'name' | 'engine' | 'hub' | 'env'>): () => void {
  let stopScheduler: (() => void) | undefined;
  let stopped = false;
  let checking = false;
  let again = false;
  const check = async (): Promise<void> => {
    if (stopScheduler || stopped) return;
    if (checking) {
      again = true; // the read in flight may predate the change
      return;
    }
    checking = true;
    try {
      do {
        again = false;
        const table = await q.engine.read((tx) => tx.getMeta<Record<string, unknown>>(SCHEDULES_META_KEY));
        if (stopped) return;
        if (table && Object.keys(table).length > 0) {
          const { Scheduler } = await import('./schedule.js');
          if (stopped) return;
          unsubscribe();
          stopScheduler = new Scheduler(q).start();
          return;
        }
      } while (again);
    } catch (error) {
      if (!stopped) report(error);
    } finally {
      checking = false;
    }
  };
  const unsubscribe = q.hub.subscribe((msg) => {
    if (msg.kind === 'changed') void check();
  });
  void check();
  return () => {
    stopped = true;
    unsubscribe();
    stopScheduler?.();
  };
}
