import { DEFAULT_BACKOFF, RESERVED_BACKOFF_TYPES } from './backoff.js';
import type { Backoff, BackoffFunction, BackoffStrategy, BuiltInBackoff, JobOptions, RemoveOnComplete } from './types.js';

/** Job options as stored with the job: plain data only (a backoff function stays in memory). */
export interface StoredOptions {
  backoff: Exclude<Backoff, BackoffFunction> | { type: 'function' };
  timeout: number | undefined;
  requiresNetwork: boolean;
  removeOnComplete: RemoveOnComplete;
}

export interface NormalizedJobOptions {
  priority: number;
  runAt: number;
  maxAttempts: number;
  idempotencyKey: string | undefined;
  stored: StoredOptions;
  backoffFn: BackoffFunction | undefined;
  group: string | undefined;
  onDuplicate: 'keep' | 'replace';
  expiresAt: number | undefined;
  /** As given: ids, and in `addBulk` indexes of earlier items (resolved by the caller). */
  dependsOn: readonly (string | number)[];
  /** `delay` or `runAt` was given to this call (a replace moves the run time only then). */
  timed: boolean;
}

const KNOWN = new Set(['priority', 'delay', 'runAt', 'retries', 'backoff', 'timeout', 'idempotencyKey', 'requiresNetwork', 'removeOnComplete', 'group', 'onDuplicate', 'expiresAt', 'expiresIn', 'dependsOn']);

export const DEFAULT_RETRIES = 5;

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return value.toString();
  if (value instanceof Date) return `Date(${String(value.getTime())})`;
  if (Array.isArray(value)) return 'an array';
  return `an object`;
}

function fail(kind: 'type' | 'range', option: string, expected: string, value: unknown): never {
  const message = `Expected \`${option}\` to be ${expected}, got ${describe(value)}`;
  throw kind === 'type' ? new TypeError(message) : new RangeError(message);
}

/** Checks a number option: a TypeError for a non-number, a RangeError for a bad value. */
export function checkNumber(option: string, value: unknown, { integer = false, min = 0, exclusiveMin = false } = {}): number {
  const expected = `a ${integer ? 'non-negative integer' : 'non-negative number'}${exclusiveMin ? ' greater than ' + String(min) : min > 0 ? ' ≥ ' + String(min) : ''}`;
  if (typeof value !== 'number') fail('type', option, expected, value);
  if (!Number.isFinite(value) || (integer && !Number.isSafeInteger(value)) || value < min || (exclusiveMin && value === min)) {
    fail('range', option, expected, value);
  }
  return value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Checks handlers by job name (of a runner, a drain or `serveHandlers`, named by `call`). */
export function checkHandlers(handlers: unknown, call?: string): void {
  if (!isPlainObject(handlers)) throw new TypeError(`Expected \`handlers\`${call ? ` of ${call}` : ''} to be an object of functions by job name, got ${describe(handlers)}`);
  for (const [name, fn] of Object.entries(handlers)) {
    if (typeof fn !== 'function') throw new TypeError(`Expected handler \`${name}\` to be a function, got ${describe(fn)}`);
  }
}

/** Names of the backoff strategies an add may name: those registered where it is checked. */
export type KnownStrategies = { has(name: string): boolean; keys(): Iterable<string> };

const NO_STRATEGIES: KnownStrategies = new Map<string, BackoffStrategy>();

/** Checks a `backoffStrategies` option (of openQueue, startWorkers or the drain): functions by name. */
export function checkBackoffStrategies(value: unknown): Map<string, BackoffStrategy> {
  const out = new Map<string, BackoffStrategy>();
  if (value === undefined) return out;
  if (!isPlainObject(value)) fail('type', 'backoffStrategies', 'an object of functions by strategy name, e.g. { linear: (attempt) => attempt * 1000 }', value);
  for (const [name, fn] of Object.entries(value)) {
    if (RESERVED_BACKOFF_TYPES.includes(name) || name === '') {
      throw new TypeError(`Backoff strategy name ${describe(name)} is taken: the built-in types are ${RESERVED_BACKOFF_TYPES.join(', ')}. Give the strategy another name`);
    }
    if (typeof fn !== 'function') fail('type', `backoffStrategies.${name}`, 'a function (attempt, error, job) => ms', fn);
    out.set(name, fn as BackoffStrategy);
  }
  return out;
}

function checkBackoff(value: unknown, strategies: KnownStrategies): Backoff {
  if (typeof value === 'function') return value as BackoffFunction;
  if (!isPlainObject(value)) fail('type', 'backoff', "an object `{ type: 'exponential' | 'fixed' | <a registered strategy>, … }` or a function", value);
  if (typeof value.type === 'string' && !RESERVED_BACKOFF_TYPES.includes(value.type) && strategies.has(value.type)) {
    for (const key of Object.keys(value)) {
      if (key !== 'type' && key !== 'delay') throw new TypeError(`Unknown option \`backoff.${key}\` for the backoff strategy "${value.type}": expected type and delay`);
    }
    return value.delay === undefined ? { type: value.type } : { type: value.type, delay: checkNumber('backoff.delay', value.delay) };
  }
  for (const key of Object.keys(value)) {
    if (!['type', 'delay', 'maxDelay', 'jitter'].includes(key)) throw new TypeError(`Unknown option \`backoff.${key}\`: expected type, delay, maxDelay or jitter`);
  }
  if (value.jitter !== undefined && typeof value.jitter !== 'boolean') fail('type', 'backoff.jitter', 'a boolean', value.jitter);
  if (value.type === 'exponential') {
    const out: Extract<BuiltInBackoff, { type: 'exponential' }> = { type: 'exponential' };
    if (value.delay !== undefined) out.delay = checkNumber('backoff.delay', value.delay);
    if (value.maxDelay !== undefined) out.maxDelay = checkNumber('backoff.maxDelay', value.maxDelay);
    if (value.jitter !== undefined) out.jitter = value.jitter as boolean;
    return out;
  }
  if (value.type === 'fixed') {
    if (value.maxDelay !== undefined) throw new TypeError('Unknown option `backoff.maxDelay` for a fixed backoff');
    const out: Extract<BuiltInBackoff, { type: 'fixed' }> = { type: 'fixed', delay: checkNumber('backoff.delay', value.delay) };
    if (value.jitter !== undefined) out.jitter = value.jitter as boolean;
    return out;
  }
  const names = [...strategies.keys()].map((n) => JSON.stringify(n));
  return fail('type', 'backoff.type', `'exponential', 'fixed' or a strategy named in \`backoffStrategies\` of openQueue or of a runner of this queue (${names.join(', ') || 'none'})`, value.type);
}

function checkRemoveOnComplete(value: unknown): RemoveOnComplete {
  if (typeof value === 'boolean') return value;
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === 'age') return { age: checkNumber('removeOnComplete.age', value.age) };
    if (keys.length === 1 && keys[0] === 'count') return { count: checkNumber('removeOnComplete.count', value.count, { integer: true }) };
  }
  return fail('type', 'removeOnComplete', 'a boolean, `{ age: ms }` or `{ count: n }`', value);
}

/** Refuses unknown keys and bad values of one options object, naming the option. */
export function checkJobOptions(options: unknown, where = 'options', strategies: KnownStrategies = NO_STRATEGIES): JobOptions {
  if (options === undefined) return {};
  if (!isPlainObject(options)) fail('type', where, 'an object of job options', options);
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new TypeError(`Unknown job option \`${key}\` in ${where}: expected one of ${[...KNOWN].join(', ')}`);
  }
  const o = options as JobOptions & Record<string, unknown>;
  const out: JobOptions = {};
  if (o.priority !== undefined) {
    if (typeof o.priority !== 'number') fail('type', 'priority', 'an integer', o.priority);
    if (!Number.isSafeInteger(o.priority)) fail('range', 'priority', 'an integer', o.priority);
    out.priority = o.priority;
  }
  if (o.delay !== undefined && o.runAt !== undefined) {
    throw new TypeError('Give either `delay` or `runAt`, not both');
  }
  if (o.delay !== undefined) out.delay = checkNumber('delay', o.delay);
  if (o.runAt !== undefined) {
    if (o.runAt instanceof Date) {
      if (Number.isNaN(o.runAt.getTime())) fail('range', 'runAt', 'a valid Date or epoch ms', o.runAt);
      out.runAt = o.runAt.getTime();
    } else {
      if (typeof o.runAt !== 'number') fail('type', 'runAt', 'a Date or epoch ms', o.runAt);
      out.runAt = checkNumber('runAt', o.runAt);
    }
  }
  if (o.retries !== undefined) out.retries = checkNumber('retries', o.retries, { integer: true });
  if (o.backoff !== undefined) out.backoff = checkBackoff(o.backoff, strategies);
  if (o.timeout !== undefined) out.timeout = checkNumber('timeout', o.timeout, { exclusiveMin: true });
  if (o.idempotencyKey !== undefined) {
    if (typeof o.idempotencyKey !== 'string') fail('type', 'idempotencyKey', 'a non-empty string', o.idempotencyKey);
    if (o.idempotencyKey.length === 0) fail('range', 'idempotencyKey', 'a non-empty string', o.idempotencyKey);
    out.idempotencyKey = o.idempotencyKey;
  }
  if (o.requiresNetwork !== undefined) {
    if (typeof o.requiresNetwork !== 'boolean') fail('type', 'requiresNetwork', 'a boolean', o.requiresNetwork);
    out.requiresNetwork = o.requiresNetwork;
  }
  if (o.removeOnComplete !== undefined) out.removeOnComplete = checkRemoveOnComplete(o.removeOnComplete);
  if (o.group !== undefined) {
    if (typeof o.group !== 'string') fail('type', 'group', 'a non-empty string', o.group);
    if (o.group.length === 0) fail('range', 'group', 'a non-empty string', o.group);
    out.group = o.group;
  }
  if (o.onDuplicate !== undefined) {
    if (o.onDuplicate !== 'keep' && o.onDuplicate !== 'replace') fail('type', 'onDuplicate', "'keep' or 'replace'", o.onDuplicate);
    out.onDuplicate = o.onDuplicate;
  }
  if (o.expiresAt !== undefined && o.expiresIn !== undefined) {
    throw new TypeError('Give either `expiresAt` or `expiresIn`, not both');
  }
  if (o.expiresAt !== undefined) {
    if (o.expiresAt instanceof Date) {
      if (Number.isNaN(o.expiresAt.getTime())) fail('range', 'expiresAt', 'a valid Date or epoch ms', o.expiresAt);
      out.expiresAt = o.expiresAt.getTime();
    } else {
      if (typeof o.expiresAt !== 'number') fail('type', 'expiresAt', 'a Date or epoch ms', o.expiresAt);
      out.expiresAt = checkNumber('expiresAt', o.expiresAt);
    }
  }
  if (o.expiresIn !== undefined) out.expiresIn = checkNumber('expiresIn', o.expiresIn, { exclusiveMin: true });
  if (o.dependsOn !== undefined) {
    if (!Array.isArray(o.dependsOn)) fail('type', 'dependsOn', 'an array of job ids', o.dependsOn);
    for (const [i, dep] of (o.dependsOn as unknown[]).entries()) {
      if (typeof dep === 'string') {
        if (dep.length === 0) fail('range', `dependsOn[${String(i)}]`, 'a job id (non-empty string) or, in addBulk, the index of an earlier item', dep);
      } else if (typeof dep === 'number') {
        if (!Number.isSafeInteger(dep) || dep < 0) fail('range', `dependsOn[${String(i)}]`, 'a job id or, in addBulk, the index of an earlier item (a non-negative integer)', dep);
      } else {
        fail('type', `dependsOn[${String(i)}]`, 'a job id (string) or, in addBulk, the index of an earlier item (number)', dep);
      }
    }
    out.dependsOn = [...(o.dependsOn as (string | number)[])];
  }
  return out;
}

/** Merges checked defaults and per-call options once, into what is stored with the job. */
export function normalizeJobOptions(defaults: JobOptions, options: JobOptions, now: number): NormalizedJobOptions {
  const timing = options.delay !== undefined || options.runAt !== undefined ? options : defaults;
  const merged = { ...defaults, ...options };
  const at = timing.runAt;
  const runAt = at instanceof Date ? at.getTime() : (at ?? now + (timing.delay ?? 0));
  const backoff = merged.backoff ?? DEFAULT_BACKOFF;
  const expiring = options.expiresAt !== undefined || options.expiresIn !== undefined ? options : defaults;
  const ex = expiring.expiresAt;
  const expiresAt = ex instanceof Date ? ex.getTime() : (ex ?? (expiring.expiresIn === undefined ? undefined : now + expiring.expiresIn));
  if (expiresAt !== undefined && expiresAt <= runAt) {
    throw new RangeError(`Expected \`expiresAt\` to be later than the job's run time (${String(runAt)}), got ${String(expiresAt)}: the job could never run`);
  }
  return {
    group: merged.group,
    onDuplicate: merged.onDuplicate ?? 'keep',
    expiresAt,
    dependsOn: options.dependsOn ?? [],
    timed: options.delay !== undefined || options.runAt !== undefined,
    priority: merged.priority ?? 0,
    runAt,
    maxAttempts: (merged.retries ?? DEFAULT_RETRIES) + 1,
    idempotencyKey: merged.idempotencyKey,
    backoffFn: typeof backoff === 'function' ? backoff : undefined,
    stored: {
      backoff: typeof backoff === 'function' ? { type: 'function' } : { ...backoff },
      timeout: merged.timeout,
      requiresNetwork: merged.requiresNetwork ?? false,
      removeOnComplete: merged.removeOnComplete ?? false,
    },
  };
}

/** A job name must be a non-empty string: handlers are looked up by it. */
export function checkJobName(name: unknown): string {
  if (typeof name !== 'string') fail('type', 'name', 'a non-empty string (the job name)', name);
  if (name.length === 0) fail('range', 'name', 'a non-empty string (the job name)', name);
  return name;
}
