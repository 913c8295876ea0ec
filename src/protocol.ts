/**
 * The wire contract between a runner's worker pool and `serveHandlers` inside a Web Worker.
 * Both sides import it; the page sees `Remote<WorkerApi>` through comlink.
 */
import type { AttemptResult, WireError } from './executor.js';
import type { Job } from './types.js';

/** Answer of `hello`, so a pool can tell a worker that serves jobrail from one that does not. */
export const HELLO = 'jobrail-worker/1';

export interface WorkerApi {
  hello(): string;
  /**
   * Takes a Web Lock named `lockName` for the worker's whole life (so the page learns of its
   * death at once) and registers the progress callback; resolves once the lock is held.
   */
  init(lockName: string | undefined, progress: (runId: number, value: unknown) => Promise<void>): Promise<void>;
  run(runId: number, job: Job, attempt: number, idempotencyKey: string): Promise<AttemptResult>;
  abort(runId: number, reason: WireError): void;
}
