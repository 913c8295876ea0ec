// The jobrail/sqlite benchmark cases, run inside one runtime (Node 22, Bun or Deno) by
// bench/sqlite.mjs. Every jobrail figure has a raw SQLite loop beside it, in the same process
// and run, on a database file of its own in the same directory, repetitions interleaved.
// Prints one JSON line with every measurement.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { openQueue, startWorkers } from '../dist/index.js';
import { sqliteStorage } from '../dist/sqlite.js';

const args = globalThis.Deno ? Deno.args : process.argv.slice(2);
const opt = (name, d) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const REPS = opt('reps', 3);
const ADDS = opt('adds', 500);
const BULK = opt('bulk', 5000);
const E2E = opt('e2e', 2000);
const STORED = opt('stored', 100_000);
// A scale run is short (500 jobs, a fraction of a second), so one busy spell of the machine moves
// it several times over: it gets more repetitions than the long cases.
const SCALE_REPS = opt('scale-reps', 9);

const isBun = typeof globalThis.Bun !== 'undefined';
const { open: openDb } = isBun
  ? await (async () => { const { Database } = await import('bun:' + 'sqlite'); return { open: (f) => new Database(f) }; })()
  : await (async () => { const { DatabaseSync } = await import('node:' + 'sqlite'); return { open: (f) => new DatabaseSync(f) }; })();
const v8 = process.getBuiltinModule('node:v8');
const dir = mkdtempSync(`${tmpdir()}/jobrail-sqlite-bench-`);
let files = 0;
const fresh = () => openDb(`${dir}/b-${String(++files)}.db`);
const now = () => performance.now();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A raw database: WAL, a jobs table with a state index, as a hand-written queue would have. */
function rawDb() {
  const db = fresh();
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('CREATE TABLE jobs (id INTEGER PRIMARY KEY, state TEXT NOT NULL, seq INTEGER NOT NULL, body BLOB)');
  db.exec('CREATE INDEX jobs_state ON jobs (state, seq)');
  return db;
}
const body = () => v8.serialize({ name: 'work', data: { n: 1 }, attempts: 0 });

let queues = 0;
async function queueOn(db) {
  return openQueue('bench', { storage: sqliteStorage(db) });
}

/**
 * A database that counts what jobrail asks of it: statements run (prepared ones and `exec`)
 * and write transactions (`BEGIN IMMEDIATE`). Only for the untimed `diag` case.
 */
function counting(db) {
  const n = { statements: 0, writeTx: 0 };
  return {
    n,
    db: {
      prepare(sql) {
        const st = db.prepare(sql);
        return { run: (...a) => (n.statements++, st.run(...a)), all: (...a) => (n.statements++, st.all(...a)) };
      },
      exec(sql) {
        n.statements++;
        if (sql === 'BEGIN IMMEDIATE') n.writeTx++;
        return db.exec(sql);
      },
    },
  };
}

const cases = {
  /** `add` awaited one at a time (strict: synchronous = FULL) vs one INSERT per FULL transaction. */
  async add() {
    const q = await queueOn(fresh());
    const raw = rawDb();
    raw.exec('PRAGMA synchronous = FULL');
    const ins = raw.prepare('INSERT INTO jobs (state, seq, body) VALUES (?, ?, ?)');
    let seq = 0;
    const out = { jobrail: [], raw: [] };
    // Both sides wait for fsync, whose time drifts with the other work on the disk: they
    // take turns every BLOCK adds, so a slow spell of the disk falls on both.
    const BLOCK = 50;
    for (let r = 0; r <= REPS; r++) {
      let ta = 0;
      let tb = 0;
      for (let done = 0; done < ADDS; done += BLOCK) {
        const k = Math.min(BLOCK, ADDS - done);
        let t = now();
        for (let i = 0; i < k; i++) await q.add('work', { n: i });
        ta += now() - t;
        t = now();
        for (let i = 0; i < k; i++) {
          raw.exec('BEGIN IMMEDIATE');
          ins.run('pending', ++seq, body());
          raw.exec('COMMIT');
        }
        tb += now() - t;
      }
      if (r > 0) (out.jobrail.push(ADDS / (ta / 1000)), out.raw.push(ADDS / (tb / 1000)));
    }
    await q.close();
    return out;
  },

  /** `addBulk` of BULK jobs vs one transaction of BULK INSERTs. */
  async addBulk() {
    const q = await queueOn(fresh());
    const raw = rawDb();
    raw.exec('PRAGMA synchronous = FULL');
    const ins = raw.prepare('INSERT INTO jobs (state, seq, body) VALUES (?, ?, ?)');
    let seq = 0;
    const out = { jobrail: [], raw: [] };
    for (let r = 0; r <= REPS; r++) {
      const items = Array.from({ length: BULK }, (_, n) => ({ name: 'work', data: { n } }));
      let t = now();
      await q.addBulk(items);
      const a = BULK / ((now() - t) / 1000);
      t = now();
      raw.exec('BEGIN IMMEDIATE');
      for (let i = 0; i < BULK; i++) ins.run('pending', ++seq, body());
      raw.exec('COMMIT');
      const b = BULK / ((now() - t) / 1000);
      if (r > 0) (out.jobrail.push(a), out.raw.push(b));
    }
    await q.close();
    return out;
  },

  /**
   * E2E no-op jobs at concurrency 8, from stored to completed, vs raw claim-and-complete loops
   * (synchronous = NORMAL, as jobrail's transitions) of 1 and of 8 jobs per transaction.
   */
  async e2e() {
    const out = { jobrail: [], memory: [], raw1: [], raw8: [] };
    for (let r = 0; r <= REPS; r++) {
      out.jobrail.push(await runQueue(E2E, 0));
      // The same runner on the memory store (records structured-cloned in and out, no SQL): what the queue costs without SQLite.
      out.memory.push(await runQueue(E2E, 0, 'memory'));
      for (const batch of [1, 8]) {
        const raw = rawDb();
        raw.exec('PRAGMA synchronous = NORMAL');
        const ins = raw.prepare('INSERT INTO jobs (state, seq, body) VALUES (?, ?, ?)');
        raw.exec('BEGIN');
        for (let i = 0; i < E2E; i++) ins.run('pending', i, body());
        raw.exec('COMMIT');
        const pick = raw.prepare(`SELECT id, body FROM jobs WHERE state = 'pending' ORDER BY seq LIMIT ?`);
        const set = raw.prepare('UPDATE jobs SET state = ?, body = ? WHERE id = ?');
        const t = now();
        for (;;) {
          raw.exec('BEGIN IMMEDIATE');
          const rows = pick.all(batch);
          for (const row of rows) set.run('processing', row.body, row.id);
          raw.exec('COMMIT');
          if (rows.length === 0) break;
          await Promise.all(rows.map(async () => undefined)); // the no-op handlers
          raw.exec('BEGIN IMMEDIATE');
          for (const row of rows) set.run('completed', v8.serialize(v8.deserialize(row.body)), row.id);
          raw.exec('COMMIT');
        }
        out[`raw${String(batch)}`].push(E2E / ((now() - t) / 1000));
      }
    }
    for (const k of Object.keys(out)) out[k].shift();
    return out;
  },

  /**
   * Not timed: SQL statements (prepared and exec, BEGIN and COMMIT included) and write
   * transactions per job, for `add` one at a time and the end-to-end run (E2E jobs, seeding not counted).
   */
  async diag() {
    const out = {};
    {
      const c = counting(fresh());
      const q = await queueOn(c.db);
      for (let i = 0; i < 20; i++) await q.add('work', { n: i });
      const [s0, t0] = [c.n.statements, c.n.writeTx];
      for (let i = 0; i < ADDS; i++) await q.add('work', { n: i });
      out.addStatements = [(c.n.statements - s0) / ADDS];
      out.addWriteTx = [(c.n.writeTx - t0) / ADDS];
      await q.close();
    }
    {
      const c = counting(fresh());
      const before = { ...c.n };
      await runQueue(E2E, 0, c.db, () => Object.assign(before, c.n));
      out.e2eStatements = [(c.n.statements - before.statements) / E2E];
      out.e2eWriteTx = [(c.n.writeTx - before.writeTx) / E2E];
    }
    return out;
  },

  /** The e2e run with 1,000 and with STORED other jobs stored (delayed a year, and completed). */
  async scale() {
    const out = { stored1000: [], [`stored${String(STORED)}`]: [] };
    const dbs = {};
    for (const n of [1000, STORED]) {
      const db = fresh();
      const q = await queueOn(db);
      for (let i = 0; i < n; i += 5000) {
        await q.addBulk(Array.from({ length: Math.min(5000, n - i) }, (_, k) => ({ name: 'other', data: { k }, options: { delay: 365 * 86_400_000 } })));
      }
      await q.close();
      dbs[n] = db;
    }
    for (let r = 0; r <= SCALE_REPS; r++) {
      for (const n of [1000, STORED]) {
        const rate = await runQueue(500, 0, dbs[n]);
        if (r > 0) out[`stored${String(n)}`].push(rate);
      }
    }
    return out;
  },
};

/**
 * Stores `count` no-op jobs, then runs them at concurrency 8 to completion: jobs per second.
 * `db` 'memory': the memory store instead of SQLite. `seeded` is called once the jobs are stored.
 */
async function runQueue(count, _unused, db = fresh(), seeded = () => undefined) {
  const q = db === 'memory' ? await openQueue(`bench-memory-${String(++queues)}`, { storage: 'memory' }) : await queueOn(db);
  for (let i = 0; i < count; i += 1000) await q.addBulk(Array.from({ length: Math.min(1000, count - i) }, (_, n) => ({ name: 'work', data: { n } })));
  seeded();
  let done = 0;
  let finish;
  const all = new Promise((resolve) => (finish = resolve));
  const t = now();
  const runner = startWorkers(q, {
    concurrency: 8,
    handlers: {
      work: async () => {
        if (++done === count) finish();
      },
    },
  });
  await all;
  // The last outcomes are recorded before the clock stops.
  await runner.stop();
  const rate = count / ((now() - t) / 1000);
  await q.close();
  return rate;
}

const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : Object.keys(cases);
const results = {};
for (const name of only) results[name] = await cases[name]();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ runtime: isBun ? `bun ${Bun.version}` : globalThis.Deno ? `deno ${Deno.version.deno}` : `node ${process.version}`, reps: REPS, scaleReps: SCALE_REPS, sizes: { adds: ADDS, bulk: BULK, e2e: E2E, stored: STORED }, results, summary: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).map(([s, xs]) => [s, Math.round(median(xs))]))])) }));
if (globalThis.Deno) Deno.exit(0);
else process.exit(0);
