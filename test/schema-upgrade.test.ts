/**
 * Schema upgrades (issues 7 and 12): a database exactly as schema version 1 or 2 wrote it,
 * opened with the current code, keeps every job and runs every job that was waiting. The
 * fixtures are frozen; see test/fixtures/schema-v1.ts and schema-v2.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openQueue, startWorkers, type Handlers, type Job, type JobState, type Queue } from '../src/index.js';
import { DB_VERSION } from '../src/store/schema.js';
import { buildSchemaV1, type V1Fixture, type V1Job } from './fixtures/schema-v1.js';
import { buildSchemaV2 } from './fixtures/schema-v2.js';
import { FakeClock } from './helpers/clock.js';
import { engineOf, nextDrained, uniqueName } from './helpers/queues.js';

const queues: Queue[] = [];
afterEach(async () => {
  await Promise.all(queues.splice(0).map((q) => q.close()));
});

async function open(name: string, clock: FakeClock): Promise<Queue> {
  const queue = await openQueue(name, { storage: 'indexeddb', environment: clock.env });
  queues.push(queue);
  return queue;
}

/** The fixture of each older version; both build the same jobs, each the way its version stored them. */
const FIXTURES = [
  { version: 1, build: async (name: string, now: number): Promise<V1Fixture> => buildSchemaV1(indexedDB, name, now) },
  // Version 2 kept small data in the record: the fixture says which (`inline`).
  { version: 2, build: async (name: string, now: number): Promise<V1Fixture> => buildSchemaV2(indexedDB, name, now) },
] as const;

/** Reads the database at whatever version it is stored at, without upgrading it. */
function inspectDb<T>(dbName: string, read: (db: IDBDatabase) => T): Promise<T> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(dbName);
    request.onsuccess = () => {
      try {
        resolve(read(request.result));
      } finally {
        request.result.close();
      }
    };
    request.onerror = () => reject(request.error);
  });
}

const storedVersion = (dbName: string) => inspectDb(dbName, (db) => db.version);

/** Stores and indexes with their key paths: what the next upgrade step will start from. */
const layout = (dbName: string) =>
  inspectDb(dbName, (db) => {
    const tx = db.transaction([...db.objectStoreNames], 'readonly');
    return Object.fromEntries(
      [...db.objectStoreNames].map((name) => {
        const store = tx.objectStore(name);
        const indexes = [...store.indexNames].map((i) => store.index(i)).map((i) => [i.name, { keyPath: i.keyPath, unique: i.unique, multiEntry: i.multiEntry }]);
        return [name, { keyPath: store.keyPath, autoIncrement: store.autoIncrement, indexes: Object.fromEntries(indexes) }];
      }),
    );
  });

const label = (job: V1Job) => `job ${job.id} (${job.name}, ${job.state} in v1)`;

async function getKept(queue: Queue, job: V1Job): Promise<Job> {
  const got = await queue.get(job.id);
  expect(got, `${label(job)} was lost in the upgrade`).toBeDefined();
  return got as Job;
}

describe.each(FIXTURES)('a schema version $version database opened with the current code', ({ version, build }) => {
/** Builds the old database and opens it with the current code (which upgrades it). */
async function upgradeV1(): Promise<{ fixture: V1Fixture; queue: Queue; clock: FakeClock; name: string }> {
  const clock = new FakeClock();
  const name = uniqueName(`schema-v${String(version)}`);
  const fixture = await build(name, clock.now());
  return { fixture, queue: await open(name, clock), clock, name };
}



  it('keeps every job: ids, names, states, data, order, indexes and counts, and is stored at the current version', async () => {
    const { fixture, queue, clock, name } = await upgradeV1();
    expect((await queue.list()).map((j) => j.id), 'ids listed after the upgrade (newest first)').toEqual([...fixture.ids].reverse());
    for (const job of fixture.jobs) {
      const got = await getKept(queue, job);
      expect(got, label(job)).toMatchObject({
        name: job.name,
        state: job.state,
        priority: job.priority,
        attempts: job.attempts,
        runAt: job.runAt,
        idempotencyKey: job.idempotencyKey,
        result: job.result,
        error: job.error,
        finishedAt: job.finishedAt,
      });
      expect(got.data, `data of ${label(job)}`).toStrictEqual(job.data);
      expect((await queue.list({ name: job.name })).map((j) => j.id), `list({ name }) of ${label(job)}`).toEqual([job.id]);
    }
    const states: JobState[] = ['pending', 'processing', 'completed', 'retrying', 'failed'];
    for (const state of states) {
      const ids = fixture.jobs.filter((j) => j.state === state).map((j) => j.id);
      expect((await queue.list({ state })).map((j) => j.id).reverse(), `list({ state: '${state}' })`).toEqual(ids);
    }
    expect(await queue.counts()).toEqual(Object.fromEntries(states.map((s) => [s, fixture.jobs.filter((j) => j.state === s).length])));
    expect(await storedVersion(fixture.dbName)).toBe(DB_VERSION);
    // The upgrade rewrites no job: version 1's records keep their data in `payloads` (read
    // above through get), version 2's small data stays in the record.
    const heads = await engineOf(queue).read((tx) => Promise.all(fixture.jobs.map((j) => tx.head(j.id))));
    const inline = (j: V1Job) => version === 2 && (j as V1Job & { inline?: boolean }).inline === true;
    expect(heads.map((h) => h?.inline === true), 'records with their data inline').toEqual(fixture.jobs.map(inline));

    // Opening it again (already current) changes nothing.
    const before = await queue.list();
    await queue.close();
    const again = await open(name, clock);
    expect(await again.list()).toStrictEqual(before);
    expect(await storedVersion(fixture.dbName)).toBe(DB_VERSION);
  });

  it('is laid out like a database the current code creates (same stores and indexes), so later upgrade steps start from one shape', async () => {
    const { fixture, clock } = await upgradeV1();
    const fresh = uniqueName('schema-fresh');
    await (await open(fresh, clock)).close();
    expect(await layout(fixture.dbName), 'layout of the upgraded database (received) vs a new one (expected)').toEqual(await layout(`jobrail:${fresh}`));
  });

  it('keeps idempotency keys and the enqueue counter', async () => {
    const { fixture, queue } = await upgradeV1();
    const keyed = fixture.jobs.find((j) => j.id === fixture.idempotencyKey.id) as V1Job;
    const same = await queue.add(keyed.name, { other: 'data' }, { idempotencyKey: fixture.idempotencyKey.key });
    expect(same).toMatchObject({ id: keyed.id, state: keyed.state, data: keyed.data });
    // The counter is ahead of every stored id (v1 removed its last job): new ids follow it.
    const fresh = await queue.addBulk([{ name: 'plain', data: 1 }, { name: 'plain', data: 2 }]);
    expect(fresh.map((j) => j.id)).toEqual([String(fixture.seq + 1), String(fixture.seq + 2)]);
    expect((await queue.list()).length).toBe(fixture.jobs.length + 2);
  });

  it('runs every waiting job (orphaned, overdue and retrying ones too) by priority then enqueue order, and leaves finished jobs alone', async () => {
    const { fixture, queue, clock } = await upgradeV1();
    const byId = new Map(fixture.jobs.map((j) => [j.id, j]));
    const finished = fixture.jobs.filter((j) => j.runs === 'never');
    const finishedBefore = await Promise.all(finished.map((j) => getKept(queue, j)));
    const calls: { id: string; data: unknown; attempt: number }[] = [];
    const handlers: Handlers = Object.fromEntries(
      fixture.names.map((name) => [
        name,
        (data: unknown, ctx: { job: Job; attempt: number }) => {
          calls.push({ id: ctx.job.id, data, attempt: ctx.attempt });
          return `ran ${name}`;
        },
      ]),
    );
    const failed: string[] = [];
    queue.on('failed', (job: Job) => failed.push(`${job.id} (${job.name}): ${job.error?.message ?? ''}`));
    const drained = nextDrained(queue);
    const runner = startWorkers(queue, { handlers, concurrency: 1 });
    await drained;

    const expectedOrder = fixture.jobs.filter((j) => j.runs === 'now').sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    expect(calls.map((c) => c.id), 'jobs run, in order').toEqual(expectedOrder.map((j) => j.id));
    for (const call of calls) {
      const job = byId.get(call.id) as V1Job;
      expect(call.data, `data the handler of ${label(job)} received`).toStrictEqual(job.data);
      expect(call.attempt, `attempt of ${label(job)}`).toBe(job.attempts + 1);
    }
    for (const id of fixture.runnable) {
      const job = byId.get(id) as V1Job;
      expect(await getKept(queue, job), label(job)).toMatchObject({ state: 'completed', result: `ran ${job.name}`, attempts: job.attempts + 1 });
    }
    expect(await Promise.all(finished.map((j) => getKept(queue, j)))).toStrictEqual(finishedBefore);
    expect(failed, 'jobs that failed').toEqual([]);

    // A job delayed past the upgrade is still in the delayed index: it runs at its time.
    const later = fixture.jobs.filter((j) => j.runs === 'later');
    expect(later.length).toBeGreaterThan(0);
    for (const job of later) {
      expect(await getKept(queue, job), label(job)).toMatchObject({ state: 'pending', attempts: 0 });
      await clock.timerAt(job.runAt);
      const result = queue.waitFor(job.id);
      clock.advance(job.runAt - clock.now());
      expect(await result, label(job)).toBe(`ran ${job.name}`);
    }
    await runner.stop();
    expect(await queue.counts()).toEqual({
      pending: 0,
      processing: 0,
      retrying: 0,
      completed: fixture.jobs.filter((j) => j.state !== 'failed').length,
      failed: fixture.jobs.filter((j) => j.state === 'failed').length,
    });
    expect(failed, 'jobs that failed').toEqual([]);
  });
});

/**
 * A database as schema version 2 wrote it (version 2's indexes, records with small data
 * inline), built by hand: the v2→v3 step must add the outbox indexes and keep everything else.
 */
function buildSmallV2(dbName: string, now: number): Promise<void> {
  const record = (id: number, state: JobState, extra: Record<string, unknown>) => ({
    id: String(id), queue: dbName.slice('jobrail:'.length), name: 'work', data: { n: id }, state, priority: 0, attempts: state === 'completed' ? 1 : 0, maxAttempts: 6,
    runAt: now, createdAt: now, updatedAt: now, finishedAt: state === 'completed' ? now : undefined, progress: undefined, result: state === 'completed' ? 'done' : undefined,
    error: undefined, seq: id, opts: { backoff: { type: 'exponential' }, timeout: undefined, requiresNetwork: false, removeOnComplete: false },
    ready: state === 'pending', lease: undefined, owner: undefined, leaseUntil: undefined, crashes: 0, inline: true,
    kState: [state, id], kStateName: [state, 'work', id], ...extra,
  });
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(dbName, 2);
    request.onupgradeneeded = () => {
      const db = request.result;
      const jobs = db.createObjectStore('jobs', { keyPath: 'id' });
      jobs.createIndex('state', 'kState');
      jobs.createIndex('stateName', 'kStateName');
      jobs.createIndex('ready', 'kReady');
      jobs.createIndex('due', 'kDue');
      jobs.createIndex('finished', 'kFinished');
      jobs.createIndex('idempotencyKey', 'idempotencyKey', { unique: true });
      db.createObjectStore('meta');
      db.createObjectStore('payloads');
      jobs.put(record(1, 'pending', { kReady: [0, 0, 1], idempotencyKey: 'k1' }));
      jobs.put(record(2, 'completed', { kFinished: ['completed', now, 2] }));
      request.transaction?.objectStore('meta').put(2, 'seq');
    };
    request.onsuccess = () => {
      request.result.close();
      resolve();
    };
    request.onerror = () => reject(request.error);
  });
}

describe('a schema version 2 database opened with the current code', () => {
  it('gains the outbox indexes, keeps its jobs and runs the waiting one; grouped jobs work on it', async () => {
    const clock = new FakeClock();
    const name = uniqueName('schema-v2');
    await buildSmallV2(`jobrail:${name}`, clock.now());
    const queue = await open(name, clock);
    expect(await storedVersion(`jobrail:${name}`)).toBe(DB_VERSION);
    const fresh = uniqueName('schema-fresh');
    await open(fresh, clock);
    expect(await layout(`jobrail:${name}`)).toEqual(await layout(`jobrail:${fresh}`));
    expect(await queue.get('2')).toMatchObject({ state: 'completed', result: 'done', group: undefined, waitingFor: [] });
    expect((await queue.add('work', { n: 3 }, { idempotencyKey: 'k1' })).id).toBe('1');
    const order: string[] = [];
    const handlers: Handlers = { work: (data) => void order.push(JSON.stringify(data)) };
    const a = await queue.add('work', { n: 'a' }, { group: 'g' });
    const b = await queue.add('work', { n: 'b' }, { group: 'g' });
    expect(b.waitingFor).toEqual([a.id]);
    const drained = nextDrained(queue);
    startWorkers(queue, { handlers });
    await drained;
    expect(order).toEqual(['{"n":1}', '{"n":"a"}', '{"n":"b"}']);
    expect(await queue.counts()).toMatchObject({ completed: 4, pending: 0 });
  });
});
