import { proxy, releaseProxy, wrap, type Remote } from 'comlink';
import { randomToken, type Environment } from './environment.js';
import { JobrailError, serializeError } from './errors.js';
import { toWireError, type Attempt, type AttemptResult, type Executor } from './executor.js';
import { HELLO, type WorkerApi } from './protocol.js';

export interface PoolOptions {
  size: number;
  /** Attempts in flight across the pool; spread over its workers. */
  concurrency: number;
  /** How long an aborted handler has to stop before its worker is terminated. */
  gracePeriod: number;
  env: Environment;
}

/** How long a new worker has to answer; one that never calls `serveHandlers` fails here. */
const HANDSHAKE_MS = 10_000;

interface Slot {
  resolve(result: AttemptResult): void;
  progress(value: unknown): Promise<void>;
}

/** One Web Worker of the pool, with the attempts it runs. */
class PooledWorker {
  readonly runs = new Map<number, Slot>();
  dead = false;
  readonly api: Remote<WorkerApi>;
  readonly started: Promise<void>;

  constructor(
    private readonly worker: Worker,
    private readonly env: Environment,
    private readonly onDeath: (w: PooledWorker, message: string, blame?: boolean) => void,
  ) {
    this.api = wrap<WorkerApi>(worker);
    worker.addEventListener('error', (event: ErrorEvent) => {
      event.preventDefault?.();
      this.onDeath(this, `Worker crashed: ${event.message || 'uncaught error in the worker'}`);
    });
    worker.addEventListener('messageerror', () => this.onDeath(this, 'Worker crashed: a message could not be deserialized'));
    this.started = this.handshake();
  }

  private async handshake(): Promise<void> {
    let timer: unknown;
    const late = new Promise<never>((_, reject) => {
      timer = this.env.setTimeout(
        () => reject(new JobrailError(`The job worker did not answer within ${String(HANDSHAKE_MS / 1000)} s: does the worker script call serveHandlers() from 'jobrail/worker' at its top level?`)),
        HANDSHAKE_MS,
      );
    });
    try {
      const hello = await Promise.race([this.api.hello(), late]);
      if (hello !== HELLO) throw new JobrailError(`The job worker answered ${JSON.stringify(hello)}, not jobrail's worker protocol: it must call serveHandlers() from 'jobrail/worker'`);
      const locks = this.env.locks;
      const lockName = locks ? `jobrail-worker:${randomToken(this.env)}` : undefined;
      await Promise.race([this.api.init(lockName, proxy((runId: number, value: unknown) => this.runs.get(runId)?.progress(value) ?? Promise.resolve())), late]);
      if (locks && lockName) {
        // Granted only when the worker's own hold ends: it died (self.close, crash, out of memory).
        void locks.request(lockName, () => this.onDeath(this, 'Worker died (closed itself, crashed or ran out of memory)'));
      }
    } finally {
      this.env.clearTimeout(timer);
    }
  }

  terminate(): void {
    this.dead = true;
    this.api[releaseProxy]();
    this.worker.terminate();
  }
}

/**
 * Runs attempts in a pool of module Web Workers over comlink. A worker that dies fails its
 * attempts as crashes and is replaced; an aborted handler that does not stop within the
 * grace period has its worker terminated, so it can never run beside its own retry.
 */
export function workerPool(factory: () => Worker, options: PoolOptions): Executor & { start(): Promise<void> } {
  const { env } = options;
  const workers: PooledWorker[] = [];
  let nextRun = 0;
  let fatal: JobrailError | undefined;

  /** Ends a worker; its other attempts fail too, counted as crashes only when `blame` says so. */
  const bury = (w: PooledWorker, message: string, blame = true) => {
    if (w.dead) return;
    w.terminate();
    const i = workers.indexOf(w);
    if (i >= 0) workers.splice(i, 1);
    for (const slot of w.runs.values()) slot.resolve({ ok: false, error: serializeError(new JobrailError(message)), crash: blame });
    w.runs.clear();
  };

  const spawn = (): PooledWorker => {
    let worker: Worker;
    try {
      worker = factory();
    } catch (error) {
      throw new JobrailError('The `worker` factory of startWorkers threw: it must return a new Worker', { cause: error });
    }
    const w = new PooledWorker(worker, env, bury);
    workers.push(w);
    return w;
  };

  const pick = async (): Promise<PooledWorker> => {
    if (fatal) throw fatal;
    while (workers.length < options.size) spawn();
    const alive = workers.filter((w) => !w.dead);
    const w = alive.reduce((a, b) => (b.runs.size < a.runs.size ? b : a));
    await w.started;
    return w;
  };

  return {
    async start() {
      while (workers.length < options.size) spawn();
      try {
        await Promise.all(workers.map((w) => w.started));
      } catch (error) {
        fatal = error as JobrailError;
        for (const w of [...workers]) bury(w, fatal.message);
        throw error;
      }
    },
    async run(attempt: Attempt): Promise<AttemptResult> {
      let w: PooledWorker;
      try {
        w = await pick();
      } catch (error) {
        return { ok: false, error: toWireError(error) };
      }
      const runId = ++nextRun;
      return new Promise<AttemptResult>((resolve) => {
        let graceTimer: unknown;
        const done = (result: AttemptResult) => {
          if (!w.runs.has(runId)) return;
          w.runs.delete(runId);
          env.clearTimeout(graceTimer);
          attempt.signal.removeEventListener('abort', onAbort);
          resolve(result);
        };
        const onAbort = () => {
          const reason = toWireError(attempt.signal.reason);
          void w.api.abort(runId, reason).catch(() => undefined);
          graceTimer = env.setTimeout(() => {
            if (!w.runs.has(runId)) return;
            const hung = reason.name === 'TimeoutError';
            // The handler ignored its signal: only terminating the worker stops it.
            w.runs.delete(runId);
            bury(w, `Attempt cut off: another job's handler in the same worker ignored its abort, so the worker was terminated`, false);
            resolve({ ok: false, error: { ...reason, message: `${reason.message}; the handler ignored the abort and its worker was terminated` }, crash: hung });
          }, options.gracePeriod);
        };
        w.runs.set(runId, { resolve: done, progress: attempt.progress });
        attempt.signal.addEventListener('abort', onAbort, { once: true });
        w.api.run(runId, attempt.job, attempt.attempt, attempt.idempotencyKey).then(done, (error: unknown) =>
          done({ ok: false, error: toWireError(new JobrailError('The attempt could not be sent to its worker (job data must be structured-cloneable)', { cause: error })) }),
        );
        if (attempt.signal.aborted) onAbort();
      });
    },
    async close() {
      for (const w of [...workers]) {
        w.terminate();
      }
      workers.length = 0;
    },
  };
}
