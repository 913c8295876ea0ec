/**
 * Diagnostics (opt-in: `npm run bench -- --only diag`): where jobrail's time goes, to
 * explain the targets it misses. Not targets themselves.
 *
 * - `txProfile`: counts IndexedDB transactions and requests (by patching IDBDatabase,
 *   IDBObjectStore and IDBIndex for the duration of the run; cursor steps are not counted)
 *   and BroadcastChannel messages, per job, for
 *   `add`, `addBulk`, an in-page run at concurrency 8 and a run in 2 workers × concurrency 8;
 *   with the mean lifetime of each
 *   kind of transaction.
 * - `variants`: the same operations with jobrail's cross-tab channel switched off
 *   (`environment.channel` → undefined), and raw baselines on jobrail's own schema (its 8
 *   indexes, its record shape, its `seq` counter in `meta`), with and without batching.
 */
import { openQueue, startWorkers, type Queue } from 'jobrail';
import * as e2e from './e2e.js';
import * as enqueue from './enqueue.js';
import { countEvents, deleteDb, done, freshName, headTail, jobrailDb, noopWorker, notes, now, request, seed, type Metrics } from './common.js';

const payload = (i: number) => ({ i, to: `user${String(i)}@example.com` });

// ------------------------------------------------------------------ IDB instrumentation

interface TxRecord {
  mode: string;
  durability: string;
  created: number;
  ended?: number;
  ops: string[];
}

const txs = new WeakMap<IDBTransaction, TxRecord>();
let finished: TxRecord[] = [];
let messages = 0;
let messageMs = 0;
let unpatch: (() => void) | undefined;

function note(tx: IDBTransaction | null | undefined, op: string): void {
  if (tx) txs.get(tx)?.ops.push(op);
}

function patch(): void {
  const undo: (() => void)[] = [];
  const wrap = <T extends object>(proto: T, name: string, make: (orig: (...a: unknown[]) => unknown) => (...a: unknown[]) => unknown) => {
    const p = proto as Record<string, unknown>;
    const orig = p[name] as (...a: unknown[]) => unknown;
    p[name] = make(orig);
    undo.push(() => (p[name] = orig));
  };
  wrap(IDBDatabase.prototype, 'transaction', (orig) =>
    function (this: IDBDatabase, ...args: unknown[]) {
      const tx = orig.apply(this, args) as IDBTransaction;
      const opts = args[2] as { durability?: string } | undefined;
      const rec: TxRecord = { mode: String(args[1] ?? 'readonly'), durability: opts?.durability ?? 'default', created: now(), ops: [] };
      txs.set(tx, rec);
      const end = () => {
        rec.ended = now();
        finished.push(rec);
      };
      tx.addEventListener('complete', end);
      tx.addEventListener('abort', end);
      return tx;
    },
  );
  for (const m of ['get', 'getKey', 'getAll', 'put', 'add', 'delete', 'count', 'openCursor', 'openKeyCursor']) {
    wrap(IDBObjectStore.prototype, m, (orig) =>
      function (this: IDBObjectStore, ...args: unknown[]) {
        note(this.transaction, `${this.name}.${m}`);
        return orig.apply(this, args);
      },
    );
  }
  for (const m of ['get', 'getKey', 'getAll', 'count', 'openCursor', 'openKeyCursor']) {
    wrap(IDBIndex.prototype, m, (orig) =>
      function (this: IDBIndex, ...args: unknown[]) {
        note(this.objectStore.transaction, `${this.name}.${m}`);
        return orig.apply(this, args);
      },
    );
  }
  // IDBCursor's methods are NOT patched: the `idb` library recognises cursor.continue() and
  // friends by identity (it caches the native functions on first use), and a patched
  // `continue` makes its cursors end after the first row — which changes what jobrail does.
  // Cursor steps are therefore not counted.
  wrap(BroadcastChannel.prototype, 'postMessage', (orig) =>
    function (this: BroadcastChannel, ...args: unknown[]) {
      const t0 = now();
      const out = orig.apply(this, args);
      messageMs += now() - t0;
      messages += 1;
      return out;
    },
  );
  unpatch = () => undo.forEach((u) => u());
}

function startProfile(): void {
  finished = [];
  messages = 0;
  messageMs = 0;
  patch();
}

/** Stops profiling; per-job figures, and one line per kind of transaction. */
function stopProfile(jobs: number, label: string): { metrics: Metrics; kinds: string[] } {
  unpatch?.();
  unpatch = undefined;
  const kinds = new Map<string, { n: number; ms: number; requests: number }>();
  let requests = 0;
  for (const t of finished) {
    // Requests by kind in order of first use, with counts: "jobs.put×8, payloads.get×8".
    const tally = new Map<string, number>();
    for (const op of t.ops) tally.set(op, (tally.get(op) ?? 0) + 1);
    const sig = `${t.mode}/${t.durability}: ${[...tally].map(([op, c]) => (c > 1 ? `${op}×${String(c)}` : op)).join(', ')}`;
    const k = kinds.get(sig) ?? { n: 0, ms: 0, requests: 0 };
    k.n += 1;
    k.ms += (t.ended ?? t.created) - t.created;
    k.requests += t.ops.length;
    requests += t.ops.length;
    kinds.set(sig, k);
  }
  const lines = [...kinds.entries()]
    .sort((a, b) => b[1].n - a[1].n)
    .slice(0, 8)
    .map(([sig, k]) => `${label}: ${(k.n / jobs).toFixed(3)} tx/job, ${(k.ms / k.n).toFixed(2)} ms mean lifetime, ${(k.requests / k.n).toFixed(1)} requests — ${sig}`);
  return {
    metrics: { txPerJob: finished.length / jobs, requestsPerJob: requests / jobs, messagesPerJob: messages / jobs, postMessageMsPerJob: messageMs / jobs },
    kinds: lines,
  };
}

// ------------------------------------------------------------------ jobrail runs

async function withQueue<T>(prefix: string, fn: (q: Queue) => Promise<T>, noChannel = false): Promise<T> {
  const name = freshName(prefix);
  const queue = await openQueue(name, noChannel ? { environment: { channel: () => undefined } } : undefined);
  try {
    return await fn(queue);
  } finally {
    await queue.close();
    await deleteDb(jobrailDb(name));
  }
}

async function addLoop(q: Queue, jobs: number): Promise<number> {
  const t0 = now();
  for (let i = 0; i < jobs; i += 1) await q.add('noop', payload(i));
  return (jobs / (now() - t0)) * 1000;
}

async function bulk(q: Queue, jobs: number): Promise<number> {
  const items = Array.from({ length: jobs }, (_, i) => ({ name: 'noop', data: payload(i) }));
  const t0 = now();
  await q.addBulk(items);
  return (jobs / (now() - t0)) * 1000;
}

async function runAll(q: Queue, jobs: number, concurrency: number): Promise<Metrics> {
  await seed(q, jobs, (i) => ({ name: 'noop', data: payload(i) }));
  const started = countEvents(q, 'active', jobs);
  const completed = countEvents(q, 'completed', jobs);
  const runner = startWorkers(q, { handlers: { noop: () => undefined }, concurrency });
  const t1 = await completed.all;
  await runner.stop();
  return { rate: (jobs / (t1 - started.first())) * 1000, ...headTail(started.first(), completed.times) };
}

/** Transactions, requests and messages per job; the kinds of transaction go to the console. */
export async function txProfile({ jobs }: { jobs: number }): Promise<Metrics> {
  const out: Metrics = {};
  const lines: string[] = [];
  const take = (label: string, r: { metrics: Metrics; kinds: string[] }) => {
    for (const [k, v] of Object.entries(r.metrics)) out[`${label}.${k}`] = v;
    lines.push(...r.kinds);
  };
  await withQueue('diag-add', async (q) => {
    startProfile();
    await addLoop(q, jobs);
    take('add', stopProfile(jobs, 'add'));
  });
  await withQueue('diag-bulk', async (q) => {
    startProfile();
    await bulk(q, jobs);
    take('addBulk', stopProfile(jobs, 'addBulk'));
  });
  await withQueue('diag-run', async (q) => {
    await seed(q, jobs, (i) => ({ name: 'noop', data: payload(i) }));
    const completed = countEvents(q, 'completed', jobs);
    startProfile();
    const runner = startWorkers(q, { handlers: { noop: () => undefined }, concurrency: 8 });
    await completed.all;
    await runner.stop();
    take('run8', stopProfile(jobs, 'run c=8'));
  });
  await withQueue('diag-workers', async (q) => {
    await seed(q, jobs, (i) => ({ name: 'noop', data: payload(i) }));
    const completed = countEvents(q, 'completed', jobs);
    startProfile();
    const runner = startWorkers(q, { worker: noopWorker, workers: 2, concurrency: 8 });
    await completed.all;
    await runner.stop();
    take('workers2x8', stopProfile(jobs, 'run 2 workers × c=8'));
  });
  notes.push(...lines);
  return out;
}

// ------------------------------------------------------------------ raw on a jobrail-like schema

/**
 * A copy of the layout jobrail's IndexedDB engine uses (as of this bench): a `jobs` store
 * keyed by id with 8 indexes over derived key fields, a `payloads` store holding each job's
 * data apart, a `meta` store holding the `seq` counter. Built here, not imported, so the
 * diagnostic keeps working while the core changes; it answers "what does this layout cost
 * without the library around it?".
 */
const LIKE_INDEXES: [string, string, boolean][] = [
  ['seq', 'seq', false],
  ['state', 'kState', false],
  ['name', 'kName', false],
  ['stateName', 'kStateName', false],
  ['ready', 'kReady', false],
  ['due', 'kDue', false],
  ['finished', 'kFinished', false],
  ['idempotencyKey', 'idempotencyKey', true],
];

interface LikeRecord {
  id: string;
  name: string;
  state: string;
  seq: number;
  priority: number;
  attempts: number;
  runAt: number;
  finishedAt?: number;
  lease?: string;
  kState: [string, number];
  kName: [string, number];
  kStateName: [string, string, number];
  kReady?: [number, number, number];
  kFinished?: [string, number, number];
  [more: string]: unknown;
}

function likeRecord(seq: number): LikeRecord {
  const at = Date.now();
  return {
    id: String(seq),
    queue: 'like',
    name: 'noop',
    state: 'pending',
    priority: 0,
    attempts: 0,
    maxAttempts: 6,
    runAt: at,
    createdAt: at,
    updatedAt: at,
    seq,
    opts: { backoff: { type: 'exponential', delay: 1000, maxDelay: 3_600_000, jitter: true }, requiresNetwork: false, removeOnComplete: false },
    ready: true,
    crashes: 0,
    kState: ['pending', seq],
    kName: ['noop', seq],
    kStateName: ['pending', 'noop', seq],
    kReady: [0, 0, seq],
  };
}

function rekey(rec: LikeRecord, state: string, at: number): LikeRecord {
  const out: LikeRecord = { ...rec, state, updatedAt: at, kState: [state, rec.seq], kStateName: [state, rec.name, rec.seq] };
  delete out.kReady;
  if (state === 'completed') {
    out.finishedAt = at;
    out.kFinished = ['completed', at, rec.seq];
  }
  return out;
}

/** The indexes a leaner layout would keep: claim (`ready`, `due`), `counts()`/`list({state})` (`state`), `clean()` (`finished`). */
const LEAN_INDEXES = new Set(['ready', 'due', 'state', 'finished', 'idempotencyKey']);

async function openLike(prefix: string, lean = false): Promise<{ name: string; db: IDBDatabase }> {
  const name = freshName(prefix);
  const req = indexedDB.open(name, 1);
  req.onupgradeneeded = () => {
    const jobs = req.result.createObjectStore('jobs', { keyPath: 'id' });
    for (const [index, keyPath, unique] of LIKE_INDEXES) if (!lean || LEAN_INDEXES.has(index)) jobs.createIndex(index, keyPath, { unique });
    req.result.createObjectStore('payloads');
    req.result.createObjectStore('meta');
  };
  return { name, db: await request(req) };
}

const STORES = ['jobs', 'payloads', 'meta'];

/**
 * `add`'s transaction on the jobrail-like layout, without the library: strict; read `seq`,
 * put each job and its payload, write `seq`. `awaited`: every request waits for the previous
 * one to succeed (as jobrail's promise-based transaction code does today). `chained`: the
 * `seq` read is the only wait — the puts are issued together from its success callback,
 * which is what a core change would do (two round trips per transaction, whatever its size).
 */
async function likeAdd(
  jobs: number,
  perTx: number,
  style: 'awaited' | 'chained',
  layout: { leanIndexes?: boolean; inlineData?: boolean } = {},
): Promise<number> {
  const { name, db } = await openLike('diag-like-add', layout.leanIndexes);
  try {
    const t0 = now();
    for (let n = 0; n < jobs; n += perTx) {
      const tx = db.transaction(STORES, 'readwrite', { durability: 'strict' });
      const [store, payloads, meta] = STORES.map((s) => tx.objectStore(s)) as [IDBObjectStore, IDBObjectStore, IDBObjectStore];
      const putJob = (seq: number) => {
        if (layout.inlineData) return store.put({ ...likeRecord(seq), data: payload(seq) });
        store.put(likeRecord(seq));
        return payloads.put({ data: payload(seq) }, String(seq));
      };
      if (style === 'awaited') {
        let seq = ((await request(meta.get('seq'))) as number | undefined) ?? 0;
        for (let i = 0; i < perTx; i += 1) {
          seq += 1;
          await request(store.put(likeRecord(seq)));
          if (!layout.inlineData) await request(payloads.put({ data: payload(seq) }, String(seq)));
        }
        await request(meta.put(seq, 'seq'));
      } else {
        const get = meta.get('seq');
        get.onsuccess = () => {
          let seq = (get.result as number | undefined) ?? 0;
          for (let i = 0; i < perTx; i += 1) putJob((seq += 1));
          meta.put(seq, 'seq');
        };
      }
      await done(tx);
    }
    return (jobs / (now() - t0)) * 1000;
  } finally {
    db.close();
    await deleteDb(name);
  }
}

/**
 * A claim → run → settle loop on the jobrail-like layout, `batch` jobs per cycle.
 * `style: 'core'` issues the requests of jobrail's current claim one after another (count of
 * `processing`, paused flag, due walk, then per job: two `ready` lookups, job + payload
 * read, put) and of its settle (per job: fenced read, put). `style: 'lean'` reads the paused
 * flag, takes the batch in one cursor walk over `ready` (values, updated in place),
 * requests the payloads from the cursor callback, and settles with every fenced read issued
 * at once and each put issued from its read's callback; no count of `processing`.
 * `style: 'merged'`: as lean, but one transaction per cycle both settles the previous batch
 * and claims the next (one readwrite transaction per batch instead of two).
 * `slim`: 5 indexes instead of 8 and data inline in the job record (no payload store).
 */
async function likeLoop(jobs: number, batch: number, style: 'core' | 'lean' | 'merged', slim = false): Promise<Metrics> {
  const { name, db } = await openLike('diag-like-loop', slim);
  {
    const tx = db.transaction(STORES, 'readwrite', { durability: 'relaxed' });
    for (let seq = 1; seq <= jobs; seq += 1) {
      if (slim) tx.objectStore('jobs').put({ ...likeRecord(seq), data: payload(seq) });
      else {
        tx.objectStore('jobs').put(likeRecord(seq));
        tx.objectStore('payloads').put({ data: payload(seq) }, String(seq));
      }
    }
    tx.objectStore('meta').put(jobs, 'seq');
    await done(tx);
  }
  const times: number[] = [];
  const readyRange = IDBKeyRange.bound([0], [0, []]);

  /** Lean claim: one cursor walk over `ready`, payloads requested from its callback. */
  const claimLean = (tx: IDBTransaction, claimed: LikeRecord[], at: number) => {
    const store = tx.objectStore('jobs');
    const payloads = tx.objectStore('payloads');
    tx.objectStore('meta').get('paused');
    const cursorReq = store.index('ready').openCursor(readyRange);
    cursorReq.onsuccess = () => {
      const cursor = cursorReq.result;
      if (!cursor) return;
      const rec = cursor.value as LikeRecord;
      const next = { ...rekey(rec, 'processing', at), attempts: rec.attempts + 1, lease: crypto.randomUUID() };
      cursor.update(next);
      if (!slim) payloads.get(rec.id);
      claimed.push(next);
      if (claimed.length < batch) cursor.continue();
    };
  };

  /** Lean, fenced settle: every read at once, each put from its read's callback. */
  const settleLean = (tx: IDBTransaction, recs: LikeRecord[], fin: number) => {
    const store = tx.objectStore('jobs');
    for (const rec of recs) {
      const read = store.get(rec.id);
      read.onsuccess = () => {
        const stored = read.result as LikeRecord | undefined;
        if (stored?.state === 'processing' && stored.lease === rec.lease) store.put(rekey(stored, 'completed', fin));
      };
    }
  };

  /** jobrail's current claim request pattern, each request awaited. */
  const claimCore = async (tx: IDBTransaction, claimed: LikeRecord[], at: number) => {
    const store = tx.objectStore('jobs');
    const payloads = tx.objectStore('payloads');
    await request(store.index('state').count(IDBKeyRange.bound(['processing'], ['processing', []])));
    await request(tx.objectStore('meta').get('paused'));
    await request(store.index('due').openKeyCursor(IDBKeyRange.upperBound([at, []])));
    while (claimed.length < batch) {
      const first = await request(store.index('ready').openKeyCursor(readyRange));
      await request(store.index('ready').openKeyCursor(IDBKeyRange.bound([1], [1, []])));
      if (!first) break;
      const rec = (await request(store.get(first.primaryKey))) as LikeRecord;
      if (!slim) await request(payloads.get(first.primaryKey));
      const next = { ...rekey(rec, 'processing', at), attempts: rec.attempts + 1, lease: crypto.randomUUID() };
      await request(store.put(next));
      claimed.push(next);
    }
  };

  /** jobrail's current settle request pattern: per job a fenced read, then the put. */
  const settleCore = async (tx: IDBTransaction, recs: LikeRecord[], fin: number) => {
    const store = tx.objectStore('jobs');
    for (const rec of recs) {
      const stored = (await request(store.get(rec.id))) as LikeRecord;
      await request(store.put(rekey(stored, 'completed', fin)));
    }
  };

  const rw = () => db.transaction(STORES, 'readwrite', { durability: 'relaxed' });
  try {
    const t0 = now();
    let count = 0;
    const finish = (n: number) => {
      count += n;
      const t = now();
      for (let i = 0; i < n; i += 1) times.push(t);
    };
    let previous: LikeRecord[] = [];
    for (;;) {
      const claimed: LikeRecord[] = [];
      const tx = rw();
      if (style === 'merged') {
        settleLean(tx, previous, Date.now());
        claimLean(tx, claimed, Date.now());
        await done(tx);
        finish(previous.length);
      } else {
        if (style === 'core') await claimCore(tx, claimed, Date.now());
        else claimLean(tx, claimed, Date.now());
        await done(tx);
      }
      if (claimed.length === 0) break;
      await Promise.all(claimed.map(async () => undefined));
      if (style === 'merged') {
        previous = claimed;
        continue;
      }
      const tx2 = rw();
      if (style === 'core') await settleCore(tx2, claimed, Date.now());
      else settleLean(tx2, claimed, Date.now());
      await done(tx2);
      finish(claimed.length);
    }
    if (count !== jobs) throw new Error(`like loop ran ${String(count)} of ${String(jobs)}`);
    return { rate: (jobs / (now() - t0)) * 1000, ...headTail(t0, times) };
  } finally {
    db.close();
    await deleteDb(name);
  }
}

/** The same operations with parts of jobrail's cost taken away, one at a time. */
export async function variants({ jobs }: { jobs: number }): Promise<Metrics> {
  const out: Metrics = {};
  const put = (label: string, m: Metrics) => Object.entries(m).forEach(([k, v]) => (out[`${label}.${k}`] = v));
  out['add.raw1Index'] = (await enqueue.rawPutPerTx({ jobs })).rate as number;
  out['add.jobrail'] = await withQueue('diag-v-add', (q) => addLoop(q, jobs));
  out['add.noChannel'] = await withQueue('diag-v-add-nc', (q) => addLoop(q, jobs), true);
  out['add.likeAwaited'] = await likeAdd(jobs, 1, 'awaited');
  out['add.likeChained'] = await likeAdd(jobs, 1, 'chained');
  out['add.likeChainedInline'] = await likeAdd(jobs, 1, 'chained', { inlineData: true });
  out['addBulk.raw1Index'] = (await enqueue.rawOneTx({ jobs })).rate as number;
  out['addBulk.jobrail'] = await withQueue('diag-v-bulk', (q) => bulk(q, jobs));
  out['addBulk.noChannel'] = await withQueue('diag-v-bulk-nc', (q) => bulk(q, jobs), true);
  out['addBulk.likeAwaited'] = await likeAdd(jobs, jobs, 'awaited');
  out['addBulk.likeChained'] = await likeAdd(jobs, jobs, 'chained');
  out['addBulk.likeChainedInline'] = await likeAdd(jobs, jobs, 'chained', { inlineData: true });
  out['addBulk.likeChained5Indexes'] = await likeAdd(jobs, jobs, 'chained', { leanIndexes: true });
  out['addBulk.likeChained5IndexesInline'] = await likeAdd(jobs, jobs, 'chained', { leanIndexes: true, inlineData: true });
  put('run8.jobrail', await withQueue('diag-v-run', (q) => runAll(q, jobs, 8)));
  put('run8.noChannel', await withQueue('diag-v-run-nc', (q) => runAll(q, jobs, 8), true));
  put('loop.raw1Index1', await e2e.raw({ jobs, batch: 1 }));
  put('loop.raw1Index16', await e2e.raw({ jobs, batch: 16 }));
  put('loop.core1', await likeLoop(jobs, 1, 'core'));
  put('loop.core8', await likeLoop(jobs, 8, 'core'));
  put('loop.lean8', await likeLoop(jobs, 8, 'lean'));
  put('loop.lean16', await likeLoop(jobs, 16, 'lean'));
  put('loop.slimLean8', await likeLoop(jobs, 8, 'lean', true));
  put('loop.slimLean16', await likeLoop(jobs, 16, 'lean', true));
  put('loop.merged8', await likeLoop(jobs, 8, 'merged'));
  put('loop.slimMerged8', await likeLoop(jobs, 8, 'merged', true));
  put('loop.merged16', await likeLoop(jobs, 16, 'merged'));
  put('loop.slimMerged16', await likeLoop(jobs, 16, 'merged', true));
  return out;
}
