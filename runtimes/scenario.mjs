// One process of a runtime test (runtimes/run.mjs starts it under Node 22, Bun or Deno):
//   scenario.mjs <role> <database file> [args...]
// It talks to the driver through stdout, one line per event.
import { openQueue, startWorkers, JobrailError } from '../dist/index.js';
import { sqliteStorage } from '../dist/sqlite.js';

const [role, file, ...args] = (globalThis.Deno ? Deno.args : process.argv.slice(2));
const isBun = typeof globalThis.Bun !== 'undefined';
const db = isBun ? new (await import('bun:' + 'sqlite')).Database(file) : new (await import('node:' + 'sqlite')).DatabaseSync(file);
const queue = await openQueue('jobs', { storage: sqliteStorage(db) });
const say = (...parts) => console.log(parts.join(' '));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const exit = async (code = 0) => {
  await queue.close();
  if (globalThis.Deno) Deno.exit(code);
  else process.exit(code);
};

/** Runs `work` jobs, telling the driver when each starts and ends; exits once `total` completed. */
async function run(total, concurrency, ms, tag) {
  const runner = startWorkers(queue, {
    concurrency,
    leaseMs: 1000,
    handlers: {
      work: async (data, ctx) => {
        say('start', ctx.job.id, ctx.attempt, tag);
        await sleep(ms);
        say('done', ctx.job.id, tag);
        return { by: tag };
      },
    },
  });
  await runner.ready;
  for (;;) {
    const counts = await queue.counts();
    if (counts.completed >= total) break;
    await sleep(50);
  }
  await runner.stop();
}

switch (role) {
  case 'add-and-run': {
    // Adds jobs one by one (each durable once added), then runs them until killed.
    const n = Number(args[0]);
    for (let i = 0; i < n; i++) say('added', (await queue.add('work', { i })).id);
    await run(Infinity, 4, 30, 'first');
    break;
  }
  case 'resume': {
    const n = Number(args[0]);
    const completed = (await queue.list({ state: 'completed' })).map((j) => j.id);
    say('completed-before', completed.join(',') || '-');
    say('stored', (await queue.list()).length);
    await run(n, 4, 5, 'second');
    say('counts', JSON.stringify(await queue.counts()));
    break;
  }
  case 'both': {
    // Adds `n` jobs, runs jobs (its own and the other process's) until `total` completed.
    const [n, total, tag] = [Number(args[0]), Number(args[1]), args[2]];
    const runner = run(total, 2, 25, tag);
    for (let i = 0; i < n; i += 5) await queue.addBulk(Array.from({ length: 5 }, (_, k) => ({ name: 'work', data: { i: i + k, tag } })));
    await runner;
    break;
  }
  case 'idempotent': {
    // Adds the same keys as the other process, at the same time, in another order.
    const tag = args[0];
    const keys = Array.from({ length: 40 }, (_, i) => `key-${String(i)}`);
    if (tag === 'b') keys.reverse();
    for (const key of keys) say('key', key, (await queue.add('work', { tag }, { idempotencyKey: key })).id);
    say('stored', (await queue.list({ limit: 1000 })).length);
    break;
  }
  case 'serve': {
    // Runs jobs until `total` completed; no adds of its own.
    say('ready');
    await run(Number(args[0]), 1, 0, 'server');
    break;
  }
  case 'wait-remote': {
    // Adds a job for the other process to run and waits for its result across processes.
    const t0 = Date.now();
    const job = await queue.add('work', { remote: true });
    const result = await queue.waitFor(job.id);
    say('waited', Date.now() - t0, JSON.stringify(result));
    break;
  }
  case 'roundtrip': {
    const data = { date: new Date(5), map: new Map([['k', new Set([1, 2])]]), buf: new Uint8Array([1, 2, 3]).buffer, f64: new Float64Array([1.5, -0]), big: 12n, nested: { a: [undefined, null, NaN] } };
    if (isBun) data.blob = new Blob(['bun keeps blobs'], { type: 'text/plain' });
    let seen;
    const runner = startWorkers(queue, { handlers: { work: (d) => ((seen = d), { back: d.map }) } });
    const job = await queue.add('work', data);
    const result = await queue.waitFor(job.id);
    await runner.stop();
    const stored = (await queue.get(job.id)).data;
    const checks = {
      date: stored.date instanceof Date && stored.date.getTime() === 5 && seen.date instanceof Date,
      map: stored.map instanceof Map && stored.map.get('k') instanceof Set && stored.map.get('k').has(2),
      arrayBuffer: stored.buf instanceof ArrayBuffer && new Uint8Array(stored.buf)[2] === 3,
      typedArray: stored.f64 instanceof Float64Array && Object.is(stored.f64[1], -0),
      bigint: stored.big === 12n,
      holes: stored.nested.a.length === 3 && Number.isNaN(stored.nested.a[2]) && stored.nested.a[0] === undefined,
      result: result.back instanceof Map && result.back.get('k').has(1),
      blob: isBun ? stored.blob instanceof Blob && (await stored.blob.text()) === 'bun keeps blobs' && stored.blob.type === data.blob.type : true,
    };
    const before = (await queue.list()).length;
    const refusals = {};
    const refused = async (what, value) => {
      try {
        await queue.add('work', value);
        refusals[what] = 'stored';
      } catch (error) {
        refusals[what] = error instanceof JobrailError ? 'JobrailError' : error.name;
      }
    };
    await refused('function', { fn() {} });
    await refused('symbol', { s: Symbol('x') });
    await refused('url', { u: new URL('https://example.invalid/') });
    if (!isBun) await refused('blob', { b: new Blob(['lost by node:v8']) });
    const written = (await queue.list()).length - before;
    say('roundtrip', JSON.stringify({ checks, refusals, written }));
    break;
  }
  default:
    throw new Error(`unknown role ${role}`);
}
await exit(0);
