/**
 * Repeatable jobs: `queue.schedule(id, spec, name, data?, options?)`.
 *
 * Schedules live in the queue database's meta store (key `schedules`), so every tab sees
 * the same ones. Every started runner keeps one timer to the earliest `nextRunAt`; when it
 * fires, one transaction creates the due tick's job and moves `nextRunAt` on. A tick's job
 * carries the idempotency key `schedule:<id>:<tick epoch ms>`, so however many tabs fire
 * the same tick, the unique index leaves exactly one job.
 */
import type { Cron } from 'croner';
import { cronModule, loadCron } from './cron.js';
import { report } from './errors.js';
import { checkCloneable, draftJob, insertJobs, measureJobData, type Draft } from './enqueue.js';
import { checkJobName, checkJobOptions, describe, isPlainObject, normalizeJobOptions, type KnownStrategies, type StoredOptions } from './options.js';
import type { QueueInternals } from './internals.js';
import type { Engine, Tx } from './store/engine.js';
import { SCHEDULES_META_KEY } from './store/schema.js';
import { toJob, type JobRecord } from './store/record.js';
import type { Backoff, BackoffFunction, JobOptions } from './types.js';

/**
 * What happens to ticks that fell due while no runner of the queue was open (all tabs
 * closed, the computer asleep), once a runner starts again:
 * - `'one'` (default): one job, for the latest missed tick, however many were missed.
 * - `'all'`: one job per missed tick, oldest first, at most {@link MAX_CATCH_UP} (the latest ones).
 * - `'none'`: no job for missed ticks; the schedule resumes at its next tick. A tick seen less
 *   than {@link LATE_GRACE_MS} late (a throttled background tab) still runs.
 */
export type CatchUp = 'one' | 'none' | 'all';

/** Most jobs one schedule creates at once with `catchUp: 'all'`. */
export const MAX_CATCH_UP = 100;

/** A tick seen at most this late is on time, not missed (background tabs run timers late). */
export const LATE_GRACE_MS = 60_000;

/** When a schedule fires: every `every` ms, or at the times of a cron expression. */
export type ScheduleSpec =
  | {
      /** Interval in whole ms (≥ 1); the first tick is `every` ms after the schedule is created. */
      every: number;
      cron?: undefined;
      tz?: undefined;
      /** @default 'one' */
      catchUp?: CatchUp;
    }
  | {
      every?: undefined;
      /**
       * A cron expression read by `croner`: 5 fields (minute precision), 6 (with seconds
       * first) or 7 (with years), or a nickname such as `@daily`.
       */
      cron: string;
      /** IANA time zone of the expression, e.g. `'Europe/Berlin'`. @default the runtime's local zone */
      tz?: string;
      /** @default 'one' */
      catchUp?: CatchUp;
    };

/**
 * Job options of a scheduled job: those of `add`, less the ones a schedule sets per tick
 * (`delay`, `runAt`, `idempotencyKey`, and `onDuplicate`, `expiresAt`, `dependsOn`, which need
 * one job to refer to), and with a backoff that can be stored (no function).
 */
export type ScheduleJobOptions = Omit<JobOptions, 'delay' | 'runAt' | 'idempotencyKey' | 'backoff' | 'onDuplicate' | 'expiresAt' | 'dependsOn'> & {
  backoff?: Exclude<Backoff, BackoffFunction>;
};

/** A stored schedule, as `schedules()` lists it. */
export interface ScheduleInfo<Data = unknown, Name extends string = string> {
  readonly id: string;
  readonly every?: number;
  readonly cron?: string;
  readonly tz?: string;
  readonly catchUp: CatchUp;
  /** Name of the job each tick adds. */
  readonly name: Name;
  readonly data: Data;
  readonly options: ScheduleJobOptions;
  /** Epoch ms of the next tick, or undefined when a cron expression has no run left. */
  readonly nextRunAt: number | undefined;
}

/** A schedule as kept in the meta store. */
export interface ScheduleRecord {
  id: string;
  every?: number;
  cron?: string;
  tz?: string;
  catchUp: CatchUp;
  name: string;
  data: unknown;
  options: ScheduleJobOptions;
  /** The job fields every tick gets, fixed when the schedule was saved (queue defaults included). */
  job: { priority: number; maxAttempts: number; opts: StoredOptions; group?: string; expiresIn?: number };
  nextRunAt: number | null;
  createdAt: number;
  updatedAt: number;
}

const META_KEY = SCHEDULES_META_KEY;
const SPEC_KEYS = new Set(['every', 'cron', 'tz', 'catchUp']);
const CATCH_UP: readonly CatchUp[] = ['one', 'none', 'all'];

type Timing = Pick<ScheduleRecord, 'every' | 'cron' | 'tz'>;

const crons = new Map<string, Cron>();

/** A paused croner instance (no timer of its own), cached per expression and zone. */
function cronOf(expr: string, tz: string | undefined): Cron {
  const key = `${tz ?? ''}\u0000${expr}`;
  let cron = crons.get(key);
  if (!cron) {
    cron = new (cronModule().Cron)(expr, tz === undefined ? { paused: true } : { timezone: tz, paused: true });
    if (crons.size > 200) crons.clear();
    crons.set(key, cron);
  }
  return cron;
}

/** The first tick strictly after `after`, or undefined if the expression never fires again. */
export function nextTick(timing: Timing, after: number): number | undefined {
  if (timing.every !== undefined) return after + timing.every;
  const next = cronOf(timing.cron as string, timing.tz).nextRun(new Date(after));
  return next ? next.getTime() : undefined;
}

/** Which ticks get a job when a runner sees `nextRunAt` due at `now`, and the next tick. */
export interface TickPlan {
  /** Tick times (epoch ms) that get a job, oldest first. */
  ticks: number[];
  /** The first tick after `now`, or undefined if there is none. */
  next: number | undefined;
}

/**
 * Pure: given a schedule whose `nextRunAt` ≤ `now`, the ticks that get a job under its
 * catch-up policy, and its next `nextRunAt`. Costs the same however many ticks were missed.
 */
export function planTicks(timing: Timing, catchUp: CatchUp, nextRunAt: number, now: number): TickPlan {
  if (nextRunAt > now) return { ticks: [], next: nextRunAt };
  let due: number[];
  let next: number | undefined;
  if (timing.every !== undefined) {
    const every = timing.every;
    const count = Math.floor((now - nextRunAt) / every) + 1;
    const take = catchUp === 'all' ? Math.min(count, MAX_CATCH_UP) : 1;
    due = Array.from({ length: take }, (_, i) => nextRunAt + (count - take + i) * every);
    next = nextRunAt + count * every;
  } else {
    const cron = cronOf(timing.cron as string, timing.tz);
    const take = catchUp === 'all' ? MAX_CATCH_UP : 1;
    // previousRuns is strictly before its reference: `now + 1` includes a tick at `now`.
    due = cron
      .previousRuns(take, new Date(now + 1))
      .map((d) => d.getTime())
      .filter((t) => t >= nextRunAt && t <= now)
      .reverse();
    if (due.length === 0) due = [nextRunAt];
    const after = cron.nextRun(new Date(now));
    next = after ? after.getTime() : undefined;
  }
  if (catchUp === 'none') due = due.filter((t) => now - t <= LATE_GRACE_MS).slice(-1);
  return { ticks: due, next };
}

/** The idempotency key of one tick's job. */
export const tickKey = (id: string, tick: number): string => `schedule:${id}:${String(tick)}`;

function specError(problem: string): TypeError {
  return new TypeError(`Invalid schedule spec: ${problem}. Expected { every: ms } or { cron: 'expression', tz?: 'Area/City' }, with catchUp?: 'one' | 'none' | 'all'. Nothing was written.`);
}

/** Checks `schedule()`'s spec; every problem is a TypeError naming it. A cron spec needs {@link loadCron} first. */
export function checkSpec(spec: unknown, now: number): Timing & { catchUp: CatchUp } {
  if (!isPlainObject(spec)) throw specError(`got ${describe(spec)} instead of an object`);
  for (const key of Object.keys(spec)) {
    if (!SPEC_KEYS.has(key)) throw specError(`unknown key \`${key}\``);
  }
  const { every, cron, tz, catchUp = 'one' } = spec as Record<string, unknown>;
  if (!CATCH_UP.includes(catchUp as CatchUp)) throw specError(`\`catchUp\` must be 'one', 'none' or 'all', got ${describe(catchUp)}`);
  if (every !== undefined && cron !== undefined) throw specError('give either `every` or `cron`, not both');
  if (every !== undefined) {
    if (typeof every !== 'number' || !Number.isSafeInteger(every) || every < 1) {
      throw specError(`\`every\` must be a whole number of milliseconds ≥ 1, got ${describe(every)}`);
    }
    if (tz !== undefined) throw specError('`tz` goes with `cron`, not with `every`');
    return { every, catchUp: catchUp as CatchUp };
  }
  if (cron === undefined) throw specError('neither `every` nor `cron` was given');
  if (typeof cron !== 'string' || cron.trim() === '') throw specError(`\`cron\` must be a non-empty cron expression, got ${describe(cron)}`);
  if (tz !== undefined && (typeof tz !== 'string' || tz === '')) throw specError(`\`tz\` must be an IANA time zone name such as 'Europe/Berlin', got ${describe(tz)}`);
  let instance: Cron;
  try {
    instance = new (cronModule().Cron)(cron, tz === undefined ? { paused: true } : { timezone: tz as string, paused: true });
  } catch (error) {
    throw specError(`\`cron\` ${JSON.stringify(cron)} is not a valid cron expression (${(error as Error).message})`);
  }
  // croner also accepts an ISO date string as a one-off time: a schedule must repeat.
  if (instance.getPattern() === undefined) throw specError(`\`cron\` ${JSON.stringify(cron)} is a date, not a repeating cron expression`);
  let next: Date | null;
  try {
    next = instance.nextRun(new Date(now));
  } catch (error) {
    throw specError(`\`tz\` ${JSON.stringify(tz)} is not a time zone this runtime knows (${(error as Error).message})`);
  }
  if (!next) throw specError(`\`cron\` ${JSON.stringify(cron)} has no run after now, so it would never fire`);
  const out: Timing & { catchUp: CatchUp } = { cron, catchUp: catchUp as CatchUp };
  if (tz !== undefined) out.tz = tz as string;
  return out;
}

/** Checks the job options of a schedule: those of `add`, less the per-tick ones. */
export function checkScheduleOptions(options: unknown, strategies?: KnownStrategies): ScheduleJobOptions {
  const checked = checkJobOptions(options, 'options', strategies);
  for (const key of ['delay', 'runAt', 'idempotencyKey'] as const) {
    if (checked[key] !== undefined) {
      throw new TypeError(`Job option \`${key}\` cannot be given to schedule(): each tick sets it (a tick's job runs at the tick, with the key schedule:<id>:<tick>). Leave it out. Nothing was written.`);
    }
  }
  for (const key of ['onDuplicate', 'expiresAt', 'dependsOn'] as const) {
    if (checked[key] !== undefined) {
      throw new TypeError(`Job option \`${key}\` cannot be given to schedule(): every tick adds a job of its own (use \`expiresIn\` for an expiry per tick). Leave it out. Nothing was written.`);
    }
  }
  if (typeof checked.backoff === 'function') {
    throw new TypeError('A backoff function cannot be stored with a schedule: give `backoff` as { type, delay, … } (a built-in type, or a strategy named in `backoffStrategies`, which works in every tab), or set the function in openQueue `defaults`. Nothing was written.');
  }
  return checked as ScheduleJobOptions;
}

export interface ScheduleInput {
  id: unknown;
  spec: unknown;
  name: unknown;
  data: unknown;
  options: unknown;
}

/** Validates everything `schedule()` was given, before anything is written. */
export async function prepareSchedule(input: ScheduleInput, defaults: JobOptions, maxDataBytes: number, now: number, strategies?: KnownStrategies): Promise<Omit<ScheduleRecord, 'nextRunAt' | 'createdAt'>> {
  const id = checkScheduleId(input.id);
  if (isPlainObject(input.spec) && input.spec.cron !== undefined) await loadCron();
  const timing = checkSpec(input.spec, now);
  const name = checkJobName(input.name);
  const options = checkScheduleOptions(input.options, strategies);
  // The template is stored in meta, not as a job: clone it here so a refusal names the schedule's job.
  checkCloneable(name, input.data);
  measureJobData(name, input.data, maxDataBytes);
  const normalized = normalizeJobOptions(defaults, options, now);
  return {
    id,
    ...timing,
    name,
    data: input.data,
    options,
    job: {
      priority: normalized.priority,
      maxAttempts: normalized.maxAttempts,
      opts: normalized.stored,
      ...(normalized.group === undefined ? {} : { group: normalized.group }),
      ...(options.expiresIn === undefined ? {} : { expiresIn: options.expiresIn }),
    },
    updatedAt: now,
  };
}

export function checkScheduleId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > 200) {
    throw new TypeError(`Expected schedule \`id\` to be a non-empty string of at most 200 characters, got ${describe(id)}`);
  }
  return id;
}

type Table = Record<string, ScheduleRecord>;

const readTable = async (tx: Tx): Promise<Table> => (await tx.getMeta<Table>(META_KEY)) ?? {};

export function toScheduleInfo(rec: ScheduleRecord): ScheduleInfo {
  const out: { -readonly [K in keyof ScheduleInfo]: ScheduleInfo[K] } = {
    id: rec.id,
    catchUp: rec.catchUp,
    name: rec.name,
    data: rec.data,
    options: rec.options,
    nextRunAt: rec.nextRunAt ?? undefined,
  };
  if (rec.every !== undefined) out.every = rec.every;
  if (rec.cron !== undefined) out.cron = rec.cron;
  if (rec.tz !== undefined) out.tz = rec.tz;
  return out;
}

/**
 * Saves a schedule (strict durability). Re-saving one with the same timing keeps its
 * `nextRunAt`, so an app that calls `schedule()` on every start neither postpones the
 * next tick nor loses the catch-up of ticks missed while it was closed.
 */
export function upsertSchedule(engine: Engine, prepared: Omit<ScheduleRecord, 'nextRunAt' | 'createdAt'>, now: number): Promise<ScheduleRecord> {
  return engine.write(async (tx) => {
    const table = await readTable(tx);
    const existing = table[prepared.id];
    const sameTiming = existing !== undefined && existing.every === prepared.every && existing.cron === prepared.cron && existing.tz === prepared.tz;
    const rec: ScheduleRecord = {
      ...prepared,
      nextRunAt: sameTiming ? existing.nextRunAt : (nextTick(prepared, now) ?? null),
      createdAt: existing?.createdAt ?? now,
    };
    table[prepared.id] = rec;
    await tx.putMeta(META_KEY, table);
    return rec;
  }, 'strict');
}

/** Deletes a schedule; resolves false if there was none. Jobs it already added stay. */
export function deleteSchedule(engine: Engine, id: string): Promise<boolean> {
  return engine.write(async (tx) => {
    const table = await readTable(tx);
    if (!(id in table)) return false;
    delete table[id];
    await tx.putMeta(META_KEY, table);
    return true;
  }, 'strict');
}

export function listSchedules(engine: Engine): Promise<ScheduleRecord[]> {
  return engine.read(async (tx) => Object.values(await readTable(tx)).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
}

/** An Engine whose transactions are the one already open, so `insertJobs` joins it. */
const within = (tx: Tx, durable: boolean): Engine => ({ durable, read: (fn) => fn(tx), write: (fn) => fn(tx), close() {} });

export interface Fired {
  /** Jobs created by this call (ticks already fired elsewhere create nothing). */
  created: JobRecord[];
  /** The earliest `nextRunAt` of all schedules after this call. */
  nextAt: number | undefined;
  /** Schedules that could not be computed (e.g. an expression this croner refuses). */
  errors: unknown[];
}

/** How long a schedule whose ticks cannot be computed waits before it is tried again. */
const BROKEN_RETRY_MS = 60_000;

/**
 * In one strict transaction: for every schedule due at `now`, adds its tick jobs and moves
 * `nextRunAt` on. Transactions on the queue database run one at a time across tabs, so a
 * second tab firing the same tick finds it already moved on; the idempotency key makes
 * that doubly sure.
 */
export async function fireDueSchedules(engine: Engine, queue: string, now: number): Promise<Fired> {
  // Most passes find nothing due (another tab fired the tick): a read settles those without a write.
  const peek = await engine.read(async (tx) => Object.values(await readTable(tx)));
  if (!peek.some((rec) => rec.nextRunAt !== null && rec.nextRunAt <= now)) {
    const pending = peek.map((rec) => rec.nextRunAt).filter((at): at is number => at !== null);
    return { created: [], nextAt: pending.length > 0 ? Math.min(...pending) : undefined, errors: [] };
  }
  // Any cron schedule, due or not: one may fall due between this read and the write.
  if (peek.some((rec) => rec.cron !== undefined)) await loadCron();
  return engine.write(async (tx) => {
    const table = await readTable(tx);
    const drafts: Draft[] = [];
    const errors: unknown[] = [];
    let changed = false;
    let nextAt: number | undefined;
    for (const rec of Object.values(table)) {
      if (rec.nextRunAt !== null && rec.nextRunAt <= now) {
        changed = true;
        try {
          const plan = planTicks(rec, rec.catchUp, rec.nextRunAt, now);
          for (const tick of plan.ticks) {
            drafts.push(
              draftJob(
                queue,
                rec.name,
                rec.data,
                {
                  ...rec.job,
                  runAt: tick,
                  idempotencyKey: tickKey(rec.id, tick),
                  stored: rec.job.opts,
                  backoffFn: undefined,
                  group: rec.job.group,
                  onDuplicate: 'keep',
                  expiresAt: rec.job.expiresIn === undefined ? undefined : tick + rec.job.expiresIn,
                  dependsOn: [],
                  timed: true,
                },
                now,
              ),
            );
          }
          rec.nextRunAt = plan.next ?? null;
        } catch (error) {
          errors.push(error);
          rec.nextRunAt = now + BROKEN_RETRY_MS;
        }
      }
      if (rec.nextRunAt !== null && (nextAt === undefined || rec.nextRunAt < nextAt)) nextAt = rec.nextRunAt;
    }
    if (changed) await tx.putMeta(META_KEY, table);
    const inserted = drafts.length > 0 ? await insertJobs(within(tx, engine.durable), drafts) : [];
    return { created: inserted.filter((i) => i.created).map((i) => i.job), nextAt, errors };
  }, 'strict');
}

/**
 * Fires a queue's schedules from one runner: a timer to the earliest `nextRunAt` (through
 * the injected environment's clock), re-read whenever a tab changes the schedules.
 * Missed ticks are handled by the first pass, when the runner starts.
 */
export class Scheduler {
  private timer: unknown;
  private running = false;
  private again = false;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly q: Pick<QueueInternals, 'name' | 'engine' | 'hub' | 'env'>) {}

  /** Starts firing; returns the function that stops it. */
  start(): () => void {
    this.unsubscribe = this.q.hub.subscribe((msg) => {
      if (msg.kind === 'changed') this.poke();
    });
    this.poke();
    return () => this.stop();
  }

  /** Fires what is due now and re-arms the timer (once more after a pass in progress). */
  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    const { engine, env, hub, name } = this.q;
    try {
      do {
        this.again = false;
        const fired = await fireDueSchedules(engine, name, env.now());
        for (const error of fired.errors) report(error);
        if (this.stopped) return;
        for (const job of fired.created) hub.emit({ kind: 'job', event: 'added', job: toJob(job) });
        if (fired.created.length > 0) hub.emit({ kind: 'wake' });
        this.arm(fired.nextAt);
      } while (this.again && !this.stopped);
    } catch (error) {
      if (this.stopped) return;
      report(error);
      // Storage hiccup (e.g. the database was closed under us): try again shortly.
      this.arm(env.now() + 1000);
    } finally {
      this.running = false;
    }
  }

  private arm(at: number | undefined): void {
    const { env } = this.q;
    if (this.timer !== undefined) env.clearTimeout(this.timer);
    this.timer = undefined;
    if (at === undefined || this.stopped) return;
    this.timer = env.setTimeout(() => {
      this.timer = undefined;
      this.poke();
    }, Math.max(0, at - env.now()));
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer !== undefined) this.q.env.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
