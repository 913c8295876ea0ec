/**
 * e2e page for schema upgrades (issue 7), driven by Playwright through `window.up`: builds a
 * schema version 1 database with Chromium's own IndexedDB (test/fixtures/schema-v1.ts), opens
 * it with jobrail and runs it. `?queue=<name>` opens that queue on load, so a reload reopens it.
 */
import { openQueue, startWorkers, type Handlers, type Job, type Queue } from 'jobrail';
import { buildSchemaV1, type V1Fixture, type V1Job } from '../../test/fixtures/schema-v1.js';
import { buildSchemaV2 } from '../../test/fixtures/schema-v2.js';

/**
 * A value in a form Playwright carries over unchanged and `toEqual` compares strictly:
 * Blob, Date, Map, Set, typed arrays and `undefined` are spelled out.
 */
export type Encoded = unknown;

export type EncodedJob = Omit<V1Job, 'data'> & { data: Encoded };
export type EncodedFixture = Omit<V1Fixture, 'jobs'> & { jobs: EncodedJob[] };
/** A job as the upgraded queue returns it, data encoded. */
export type SeenJob = Omit<Job, 'data'> & { data: Encoded };

export interface UpgradeApi {
  /** Builds the v1 database of `queue` (with a Blob job) at the page's current time. */
  /** `blob: false` where the browser refuses Blobs in IndexedDB (WebKit's ephemeral session): an older version could not have stored one there. */
  build(queue: string, version?: 1 | 2, blob?: boolean): Promise<EncodedFixture>;
  open(queue: string): Promise<void>;
  close(): Promise<void>;
  /** Every job, oldest first. */
  jobs(): Promise<SeenJob[]>;
  counts(): Promise<Record<string, number>>;
  /** The version the database is stored at, read without asking for one. */
  version(): Promise<number>;
  /** Every record of every store of the database, keys included: what is really on disk. */
  raw(): Promise<Record<string, [IDBValidKey, Encoded][]>>;
  /** Runs the queue with a handler for each name until it drains; what each handler saw. */
  run(names: string[]): Promise<{ calls: { id: string; attempt: number; data: Encoded }[]; failed: string[] }>;
}

async function encode(v: unknown): Promise<Encoded> {
  if (v === undefined) return { $: 'undefined' };
  if (typeof v !== 'object' || v === null) return v;
  if (v instanceof Blob) return { $: 'Blob', type: v.type, text: await v.text() };
  if (v instanceof Date) return { $: 'Date', time: v.getTime() };
  if (v instanceof Map) return { $: 'Map', entries: await encode([...v]) };
  if (v instanceof Set) return { $: 'Set', values: await encode([...v]) };
  if (ArrayBuffer.isView(v)) return { $: v.constructor.name, bytes: [...new Uint8Array(v.buffer, v.byteOffset, v.byteLength)] };
  if (Array.isArray(v)) return Promise.all(v.map(encode));
  return Object.fromEntries(await Promise.all(Object.entries(v).map(async ([k, x]) => [k, await encode(x)])));
}

const request = <T>(r: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });

let queue: Queue | undefined;
let queueName = '';
const q = () => {
  if (!queue) throw new Error('open a queue first');
  return queue;
};

/** Opens the database at whatever version it is, for `fn`, then closes it. */
async function withDb<T>(fn: (db: IDBDatabase) => Promise<T>): Promise<T> {
  const db = await request(indexedDB.open(`jobrail:${queueName}`));
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

const up: UpgradeApi = {
  async build(name, version = 1, blob = true) {
    const fixture: V1Fixture = await (version === 1 ? buildSchemaV1 : buildSchemaV2)(indexedDB, name, Date.now(), { blob });
    return { ...fixture, jobs: await Promise.all(fixture.jobs.map(async (j) => ({ ...j, data: await encode(j.data) }))) };
  },
  async open(name) {
    queueName = name;
    queue = await openQueue(name, { storage: 'indexeddb' });
  },
  async close() {
    await queue?.close();
    queue = undefined;
  },
  async jobs() {
    const jobs = (await q().list()).reverse();
    return Promise.all(jobs.map(async (j) => ({ ...j, data: await encode(j.data) })));
  },
  counts: () => q().counts(),
  version: () => withDb(async (db) => db.version),
  raw: () =>
    withDb(async (db) => {
      const out: Record<string, [IDBValidKey, Encoded][]> = {};
      for (const store of db.objectStoreNames) {
        const tx = db.transaction(store, 'readonly');
        const [keys, values] = await Promise.all([request(tx.objectStore(store).getAllKeys()), request(tx.objectStore(store).getAll())]);
        out[store] = await Promise.all(keys.map(async (k, i) => [k, await encode(values[i])] as [IDBValidKey, Encoded]));
      }
      return out;
    }),
  async run(names) {
    const calls: { id: string; attempt: number; data: Encoded }[] = [];
    const failed: string[] = [];
    const handlers: Handlers = Object.fromEntries(
      names.map((name) => [
        name,
        async (data: unknown, ctx: { job: Job; attempt: number }) => {
          calls.push({ id: ctx.job.id, attempt: ctx.attempt, data: await encode(data) });
          return `ran ${name}`;
        },
      ]),
    );
    const offFailed = q().on('failed', (job: Job) => failed.push(`${job.id} (${job.name}): ${job.error?.message ?? ''}`));
    const drained = new Promise<void>((resolve) => {
      const off = q().on('drained', () => {
        off();
        resolve();
      });
    });
    const runner = startWorkers(q(), { handlers, concurrency: 1 });
    // A bound, so a job that never becomes runnable fails the test with the counts, not a timeout.
    let bound: ReturnType<typeof setTimeout> | undefined;
    const stuck = new Promise<never>((_, reject) => {
      bound = setTimeout(() => {
        void q().counts().then((c) => reject(new Error(`the queue did not drain within 20 s: ${JSON.stringify(c)}; ran ${calls.map((c) => c.id).join(',')}`)));
      }, 20_000);
    });
    try {
      await Promise.race([drained, stuck]);
    } finally {
      clearTimeout(bound);
      await runner.stop();
      offFailed();
    }
    return { calls, failed };
  },
};

(window as unknown as { up: UpgradeApi }).up = up;

const status = document.getElementById('status') as HTMLElement;
const name = new URLSearchParams(location.search).get('queue');
(name ? up.open(name) : Promise.resolve()).then(
  () => {
    status.textContent = 'ready';
  },
  (error: unknown) => {
    status.textContent = `error: ${(error as Error).message}`;
  },
);
