import { afterEach } from 'vitest';
import { openQueue, type Queue } from '../../src/index.js';
import { INTERNALS } from '../../src/internals.js';
import type { Engine } from '../../src/store/engine.js';
import type { JobRecord } from '../../src/store/record.js';
import type { Job, JobEventName, JobMap, QueueOptions } from '../../src/types.js';
import { FakeClock } from './clock.js';
import { sqliteStorage } from '../../src/sqlite.js';
import { OPEN_STORE, type OpenStore, type QueueStore } from '../../src/store/external.js';
import { resolveEnvironment } from '../../src/environment.js';

export type Storage = 'indexeddb' | 'memory' | 'sqlite';

/**
 * The engines the contract tests run on. `sqlite` needs `node:sqlite` (Node ≥ 22.5), which
 * the Node 20 that runs Vitest lacks: `npm run test:sqlite` runs the suite again under the
 * Node 22 of runtimes/ with JOBRAIL_STORAGES=sqlite.
 */
export const STORAGES: Storage[] = (process.env.JOBRAIL_STORAGES?.split(',') as Storage[] | undefined) ?? ['indexeddb', 'memory'];

interface SyncDb {
  prepare(sql: string): { run(...p: never[]): unknown; all(...p: never[]): unknown[] };
  exec(sql: string): unknown;
  close(): void;
}
const dbs = new Set<SyncDb>();
let tmpDir: string | undefined;

/**
 * What `openQueue` takes as `storage` for a test storage: for `sqlite`, a store on a new
 * connection to the queue's own database file (another connection, like another process).
 */
export async function storageFor(storage: Storage, name: string): Promise<QueueOptions['storage']> {
  return storage === 'sqlite' ? sqliteFor(name) : storage;
}

/** A SQLite engine of its own database file, for engine-level tests. */
export async function sqliteEngine(name: string): Promise<Engine> {
  const store = (await sqliteFor(name)) as QueueStore;
  return (await (store[OPEN_STORE] as OpenStore)(name, resolveEnvironment(undefined))).engine;
}

async function sqliteFor(name: string): Promise<QueueOptions['storage']> {
  const { DatabaseSync } = (await import('node:' + 'sqlite')) as { DatabaseSync: new (path: string) => SyncDb };
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  tmpDir ??= mkdtempSync(`${tmpdir()}/jobrail-sqlite-`);
  const db = new DatabaseSync(`${tmpDir}/${name}.db`);
  dbs.add(db);
  return sqliteStorage(db);
}

let counter = 0;
/** A queue name no other test uses. */
export const uniqueName = (prefix = 'q'): string => `${prefix}-${String(++counter)}-${Math.random().toString(36).slice(2, 8)}`;

const opened = new Set<Queue<JobMap>>();
afterEach(async () => {
  const all = [...opened];
  opened.clear();
  await Promise.all(all.map((q) => q.close()));
  for (const db of dbs) db.close();
  dbs.clear();
});

export interface TestQueue<M extends JobMap = JobMap> {
  queue: Queue<M>;
  clock: FakeClock;
  name: string;
  /** Opens another queue object of the same name (another tab) on the same clock. */
  another(options?: QueueOptions): Promise<Queue<M>>;
}

/** Opens a fresh queue on a fake clock; closed after the test. */
export async function openTest<M extends JobMap = JobMap>(storage: Storage, options: QueueOptions = {}, clock = new FakeClock()): Promise<TestQueue<M>> {
  const name = uniqueName(storage);
  const open = async (extra: QueueOptions = {}) => {
    const store = await storageFor(storage, name);
    const q = await openQueue<M>(name, { storage: store, ...options, ...extra, environment: { ...clock.env, ...options.environment, ...extra.environment } });
    opened.add(q as unknown as Queue<JobMap>);
    return q;
  };
  return { queue: await open(), clock, name, another: open };
}

export const engineOf = (q: Queue<never> | Queue<JobMap> | Queue<any>): Engine => (q as Queue<JobMap>)[INTERNALS].engine;

/** Every stored record and meta value, to prove a call wrote nothing. */
export function dump(engine: Engine): Promise<{ jobs: JobRecord[]; meta: Record<string, unknown> }> {
  return engine.read(async (tx) => {
    const ids = await tx.ids('state', undefined, 'next', Number.MAX_SAFE_INTEGER);
    const jobs: JobRecord[] = [];
    for (const id of ids) jobs.push((await tx.get(id)) as JobRecord);
    const meta: Record<string, unknown> = {};
    // every meta key jobrail writes: enqueue counter, paused flag, limiter window, schedules, database id
    for (const key of ['seq', 'paused', 'limiter', 'schedules', 'databaseId']) meta[key] = await tx.getMeta(key);
    return { jobs, meta };
  });
}

/** The next `event` whose job matches. Subscribe before causing it. */
export function nextEvent(q: Queue<any>, event: JobEventName, match: (job: Job) => boolean = () => true): Promise<Job> {
  return new Promise((resolve) => {
    const off = q.on(event, (job: Job) => {
      if (!match(job)) return;
      off();
      resolve(job);
    });
  });
}

export function nextDrained(q: Queue<any>): Promise<void> {
  return new Promise((resolve) => {
    const off = q.on('drained', () => {
      off();
      resolve();
    });
  });
}

/** Records `event:jobName:state` for every job event, in order. */
export function record(q: Queue<any>, events: JobEventName[] = ['added', 'active', 'progress', 'completed', 'retrying', 'failed', 'removed']): string[] {
  const log: string[] = [];
  for (const event of events) q.on(event, (job: Job) => log.push(`${event}:${job.name}:${job.state}`));
  return log;
}

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
