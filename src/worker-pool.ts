import { proxy, releaseProxy, wrap, type Remote } from 'comlink';
import { pageUnloading, randomToken, type Environment } from './environment.js';
import { JobrailError, serializeError } from './errors.js';
import type { Attempt, Executor } from './executor.js';
import { HANDSHAKE_MS, HELLO, isStartupFailure, toWireError, type AttemptResult, type RunOutcome, type RunRequest, type WireError, type WorkerApi } from './protocol.js';
import { loadFailure, reportedFailure } from './worker-startup.js';

export interface PoolOptions {
  size: number;
  /** How long an aborted handler has to stop before its worker is terminated. */
  gracePeriod: number;
  env: Environment;
  /**
   * Names the Web Lock a new worker holds for its life. Named after the runner, so other tabs
   * count the runner alive while any of its workers still runs code (see `RunnerLease.alive`).
   */
  lockName(): string | undefined;
}

/**
 * `terminate()` does not stop a busy worker at once: Chromium was seen running its code for
 * about 2 s more. A terminated worker's attempts end only once its lock is released (it has
 * really stopped), or after this long where Web Locks are missing or the release is late.
 */
const STOP_WAIT_MS = 5_000;

interface Slot {
  progress(value: unknown): Promise<void>;
  /** Ends the attempt; only the first call counts. */
  settle(result: AttemptResult): void;
  /** The result to give when the worker is buried for this attempt's own hang. */
  override?: AttemptResult;
}

/** One Web Worker of the pool, with the attempts it runs. */
class PooledWorker {
  readonly runs = new Map<number, Slot>();
  /** Attempts assigned to it that wait for its handshake. */
  reserved = 0;
  /** Attempts to send in the next message: all that start in one task go together. */
  private outbox: { request: RunRequest; failed(result: AttemptResult): void }[] = [];
  /** Aborts of attempts still in the outbox: sent after them, or the worker would not know the attempt yet. */
  private readonly lateAborts = new Map<number, WireError>();
  dead = false;
  readonly api: Remote<WorkerApi>;
  readonly started: Promise<void>;
  private lockHeld = false;
  private markGone: () => void = () => {};
  private readonly gone = new Promise<void>((resolve) => (this.markGone = resolve));
  /** The handshake has ended (either way): later errors are crashes, not start-up failures. */
  private answered = false;
  private failStart: (error: JobrailError) => void = () => {};
  /** Rejects as soon as the worker fails to load or start, with what the browser said. */
  private readonly startFailed = new Promise<never>((_, reject) => (this.failStart = reject));

  constructor(
    private readonly worker: Worker,
    private readonly env: Environment,
    private readonly lockName: string | undefined,
    /** One-off worker for a single attempt of a job suspected of crashing workers. */
    readonly dedicated: boolean,
    private readonly onDeath: (w: PooledWorker, message: string) => void,
  ) {
    this.api = wrap<WorkerApi>(worker);
    this.startFailed.catch(() => undefined);
    pageUnloading();
    worker.addEventListener('error', (event: ErrorEvent) => {
      event.preventDefault?.();
      // While the page unloads, a worker that fails to load says nothing about its script:
      // rejecting runner.ready with "could not be loaded" would report a broken script on every
      // reload in Firefox (seen in the chaos soak).
      if (!this.answered && !pageUnloading()) this.failStart(loadFailure(event));
      this.onDeath(this, `Worker crashed: ${event.message || 'uncaught error in the worker'}`);
    });
    worker.addEventListener('message', (event: MessageEvent) => {
      if (this.answered || !isStartupFailure(event.data)) return;
      const error = reportedFailure(event.data.error);
      this.failStart(error);
      this.onDeath(this, error.message);
    });
    worker.addEventListener('messageerror', () => this.onDeath(this, 'Worker crashed: a message could not be deserialized'));
    this.started = this.handshake();
  }

  get load(): number {
    return this.runs.size + this.reserved;
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
      const hello = await Promise.race([this.api.hello(), late, this.startFailed]);
      if (hello !== HELLO) throw new JobrailError(`The job worker answered ${JSON.stringify(hello)}, not jobrail's worker protocol: it must call serveHandlers() from 'jobrail/worker'`);
      const locks = this.env.locks;
      const lockName = locks ? this.lockName : undefined;
      const progress = proxy((runId: number, value: unknown) => this.runs.get(runId)?.progress(value) ?? Promise.resolve());
      const outcomes = proxy(async (batch: RunOutcome[]) => {
        for (const { runId, result } of batch) this.ended(runId, result);
      });
      await Promise.race([this.api.init(lockName, progress, outcomes), late, this.startFailed]);
      if (locks && lockName) {
        this.lockHeld = true;
        // Granted only when the worker's own hold ends: it died (self.close, crash, out of
        // memory) or, after terminate(), really stopped running code.
        void locks.request(lockName, () => {
          this.markGone();
          this.onDeath(this, 'Worker died (closed itself, crashed or ran out of memory)');
        });
      }
    } finally {
      this.answered = true;
      this.env.clearTimeout(timer);
    }
  }

  /** An attempt's outcome from the worker; late answers of a buried worker are ignored (bury settles its attempts). */
  private ended(runId: number, result: AttemptResult): void {
    const slot = this.runs.get(runId);
    if (!slot) return;
    this.runs.delete(runId);
    slot.settle(result);
  }

  /** Starts an attempt in the worker, in one message with the others started in this task. */
  send(request: RunRequest, failed: (result: AttemptResult) => void): void {
    this.outbox.push({ request, failed });
    if (this.outbox.length === 1) queueMicrotask(() => this.flush());
  }

  /** Asks the worker to abort an attempt's signal. */
  abort(runId: number, reason: WireError): void {
    // A buried worker's proxy is released: calling it would throw.
    if (this.dead) return;
    if (this.outbox.some((i) => i.request.runId === runId)) this.lateAborts.set(runId, reason);
    else void this.api.abort(runId, reason).catch(() => undefined);
  }

  private flush(): void {
    const batch = this.outbox.splice(0);
    const aborts = new Map(this.lateAborts);
    this.lateAborts.clear();
    if (this.dead) return; // bury settled its attempts
    const post = (items: typeof batch) => this.api.start(items.map((i) => i.request));
    const abortSent = (items: typeof batch) => {
      for (const { request } of items) {
        const reason = aborts.get(request.runId);
        if (reason) void this.api.abort(request.runId, reason).catch(() => undefined);
      }
    };
    post(batch).catch(() => {
      // One job's data could not be cloned: the others must still run, so send them one by one.
      for (const item of batch) {
        if (this.dead) return;
        post([item]).catch((error: unknown) =>
          item.failed({ ok: false, error: toWireError(new JobrailError('The attempt could not be sent to its worker (job data must be structured-cloneable)', { cause: error })) }),
        );
        abortSent([item]);
      }
    });
    abortSent(batch);
  }

  terminate(): void {
    this.dead = true;
    this.api[releaseProxy]();
    this.worker.terminate();
  }

  /** Resolves once the worker can no longer run any code of an attempt. */
  stopped(): Promise<void> {
    if (!this.lockHeld && this.env.locks) return Promise.resolve(); // no handler code ever ran
    return new Promise<void>((resolve) => {
      const timer = this.env.setTimeout(resolve, STOP_WAIT_MS);
      void this.gone.then(() => {
        this.env.clearTimeout(timer);
        resolve();
      });
    });
  }
}

/**
 * Runs attempts in a pool of module Web Workers over comlink. A worker that dies fails its
 * attempts as crashes and is replaced; an aborted handler that does not stop within the
 * grace period has its worker terminated. Attempts of a terminated worker end only once it
 * has really stopped, so a job never runs beside its own retry. A job whose attempts have
 * crashed a worker before runs alone in a worker of its own, so the next crash is surely its
 * own and other jobs are not blamed (or cut off) for it.
 */
export function workerPool(factory: () => Worker, options: PoolOptions): Executor & { start(): Promise<void> } {
  const { env } = options;
  const workers: PooledWorker[] = [];
  let nextRun = 0;
  let fatal: JobrailError | undefined;

  /** Ends a worker; its attempts fail once it has stopped, as crashes only when `blame` says so. */
  const bury = (w: PooledWorker, message: string, blame = true) => {
    if (w.dead) return;
    w.terminate();
    const i = workers.indexOf(w);
    if (i >= 0) workers.splice(i, 1);
    const slots = [...w.runs.values()];
    w.runs.clear();
    if (slots.length === 0) return;
    const failure: AttemptResult = { ok: false, error: serializeError(new JobrailError(message)), crash: blame };
    void w.stopped().then(() => {
      for (const slot of slots) slot.settle(slot.override ?? failure);
    });
  };

  const spawn = (dedicated: boolean): PooledWorker => {
    let worker: Worker;
    try {
      worker = factory();
    } catch (error) {
      throw new JobrailError('The `worker` factory of startWorkers threw: it must return a new Worker', { cause: error });
    }
    const w = new PooledWorker(worker, env, options.lockName(), dedicated, bury);
    if (!dedicated) workers.push(w);
    return w;
  };

  /** Chooses a worker now, before any await, so a batch of claims spreads over the pool. */
  const pick = (isolate: boolean): PooledWorker => {
    if (fatal) throw fatal;
    let w: PooledWorker;
    if (isolate) w = spawn(true);
    else {
      while (workers.length < options.size) spawn(false);
      w = workers.reduce((a, b) => (b.load < a.load ? b : a));
    }
    w.reserved += 1;
    return w;
  };

  return {
    async start() {
      while (workers.length < options.size) spawn(false);
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
        w = pick(attempt.isolate === true);
      } catch (error) {
        return { ok: false, error: toWireError(error) };
      }
      try {
        await w.started;
      } catch (error) {
        return { ok: false, error: toWireError(error) };
      } finally {
        w.reserved -= 1;
      }
      if (w.dead) return { ok: false, error: serializeError(new JobrailError('Attempt cut off: its worker died before the attempt started')) };
      const runId = ++nextRun;
      return new Promise<AttemptResult>((resolve) => {
        let graceTimer: unknown;
        let finished = false;
        const slot: Slot = {
          progress: attempt.progress,
          settle: (result) => {
            if (finished) return;
            finished = true;
            env.clearTimeout(graceTimer);
            attempt.signal.removeEventListener('abort', onAbort);
            // A worker of its own serves one attempt only.
            if (w.dedicated && !w.dead) w.terminate();
            resolve(result);
          },
        };
        const failed = (result: AttemptResult) => {
          if (w.runs.get(runId) !== slot) return;
          w.runs.delete(runId);
          slot.settle(result);
        };
        const onAbort = () => {
          const reason = toWireError(attempt.signal.reason);
          w.abort(runId, reason);
          graceTimer = env.setTimeout(() => {
            if (w.runs.get(runId) !== slot) return;
            // The handler ignored its signal: only terminating the worker stops it.
            slot.override = {
              ok: false,
              error: { ...reason, message: `${reason.message}; the handler ignored the abort and its worker was terminated` },
              crash: reason.name === 'TimeoutError',
            };
            bury(w, `Attempt cut off: another job's handler in the same worker ignored its abort, so the worker was terminated`, false);
          }, options.gracePeriod);
        };
        w.runs.set(runId, slot);
        attempt.signal.addEventListener('abort', onAbort, { once: true });
        w.send({ runId, job: attempt.job, attempt: attempt.attempt, idempotencyKey: attempt.idempotencyKey, dependencies: attempt.dependencies }, failed);
        if (attempt.signal.aborted) onAbort();
      });
    },
    async close() {
      for (const w of [...workers]) w.terminate();
      workers.length = 0;
    },
  };
}

/** A lock name for one worker of a runner: `<runner lock name>/worker:<token>`. */
export function workerLockName(runnerLock: string, env: Environment): string {
  return `${runnerLock}/worker:${randomToken(env)}`;
}
