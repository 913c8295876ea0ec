// jobrail/sqlite in the real runtimes: Node 22, Bun and Deno processes on one SQLite file
// (runtimes/scenario.mjs), and a Durable Object in workerd through Miniflare
// (runtimes/workerd.mjs). Runs the built package (dist/); `npm run test:runtimes`.
//   node runtimes/run.mjs [--runtime node22|bun|deno|workerd]...
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { workerdTests } from './workerd.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => `${root}runtimes/node_modules/.bin/${name}`;
const scenario = `${root}runtimes/scenario.mjs`;
const RUNTIMES = {
  node22: [bin('node'), '--no-warnings', scenario],
  bun: [bin('bun'), scenario],
  deno: [bin('deno'), 'run', '-A', '--node-modules-dir=manual', scenario],
};

const wanted = process.argv.flatMap((a, i, all) => (all[i - 1] === '--runtime' ? [a] : []));
const selected = wanted.length > 0 ? wanted : [...Object.keys(RUNTIMES), 'workerd'];
const dir = mkdtempSync(`${tmpdir()}/jobrail-runtimes-`);
let files = 0;
const freshDb = () => `${dir}/db-${String(++files)}.sqlite`;

/** A scenario process: its stdout lines, and waits on them. */
function start(runtime, role, ...args) {
  const [cmd, ...pre] = RUNTIMES[runtime];
  const child = spawn(cmd, [...pre, role, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  let stderr = '';
  let buffer = '';
  const waiters = new Set();
  const check = () => {
    for (const w of [...waiters]) if (w.test()) (waiters.delete(w), w.resolve());
  };
  child.stdout.on('data', (chunk) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop();
    lines.push(...parts.filter(Boolean));
    check();
  });
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const proc = {
    lines,
    child,
    exited,
    get stderr() {
      return stderr;
    },
    /** Resolves once `test()` holds for the lines seen; rejects after `ms`. */
    until(test, ms = 20_000, what = 'output') {
      return new Promise((resolve, reject) => {
        const w = { test: () => test(lines), resolve };
        if (w.test()) return resolve();
        waiters.add(w);
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`${runtime} ${role}: no ${what} within ${String(ms)} ms; stdout: ${lines.slice(-10).join(' | ')}; stderr: ${stderr.slice(-2000)}`));
        }, ms);
        exited.then(() => setTimeout(() => (waiters.has(w) ? (waiters.delete(w), clearTimeout(timer), reject(new Error(`${runtime} ${role} exited before ${what}; stdout: ${lines.slice(-10).join(' | ')}; stderr: ${stderr.slice(-2000)}`))) : undefined), 50));
        const done = w.resolve;
        w.resolve = () => (clearTimeout(timer), done());
      });
    },
    /** Waits for a clean exit. */
    async finish(ms = 30_000) {
      const timer = setTimeout(() => child.kill('SIGKILL'), ms);
      const { code, signal } = await exited;
      clearTimeout(timer);
      if (code !== 0) throw new Error(`${runtime} ${role} exited with ${String(code ?? signal)}; stdout: ${lines.slice(-10).join(' | ')}; stderr: ${stderr.slice(-2000)}`);
      return lines;
    },
  };
  return proc;
}

const fields = (lines, word) => lines.filter((l) => l.startsWith(`${word} `)).map((l) => l.split(' ').slice(1));
function assert(ok, message) {
  if (!ok) throw new Error(message);
}

const processTests = {
  async 'durability across SIGKILL: nothing lost, nothing completed runs again'(rt) {
    const db = freshDb();
    const first = start(rt, 'add-and-run', db, '40');
    await first.until((l) => fields(l, 'added').length === 40 && fields(l, 'done').length >= 8, 20_000, '40 adds and 8 completions');
    first.child.kill('SIGKILL');
    const { signal } = await first.exited;
    assert(signal === 'SIGKILL', `expected the first process to die by SIGKILL, got ${String(signal)}`);
    const added = fields(first.lines, 'added').map(([id]) => id);
    const second = start(rt, 'resume', db, '40');
    const lines = await second.finish();
    const completedBefore = fields(lines, 'completed-before')[0][0].split(',').filter((x) => x !== '-');
    const stored = Number(fields(lines, 'stored')[0][0]);
    const counts = JSON.parse(fields(lines, 'counts')[0].join(' '));
    const rerun = fields(lines, 'start').filter(([id]) => completedBefore.includes(id));
    const takenOver = fields(lines, 'start').filter(([, attempt]) => attempt !== '1').length;
    assert(stored === 40 && added.length === 40, `expected the 40 added jobs stored after the kill, found ${String(stored)}`);
    assert(completedBefore.length >= 1, 'expected some jobs recorded completed before the kill');
    assert(rerun.length === 0, `jobs recorded completed ran again after the restart: ${rerun.map(([id]) => id).join(', ')}`);
    assert(counts.completed === 40, `expected all 40 completed after the restart, got ${JSON.stringify(counts)}`);
    return `40 added, ${String(completedBefore.length)} completed before the kill, none of them ran again, ${String(takenOver)} cut-off attempts taken over`;
  },

  async 'two processes on one file: no job runs twice, both do work'(rt) {
    const db = freshDb();
    // The tables exist before the two start at once (either may create them; this keeps the timing simple).
    await start(rt, 'resume', db, '0').finish();
    const a = start(rt, 'both', db, '30', '60', 'a');
    const b = start(rt, 'both', db, '30', '60', 'b');
    const [la, lb] = await Promise.all([a.finish(), b.finish()]);
    const starts = [...fields(la, 'start'), ...fields(lb, 'start')];
    const ids = starts.map(([id]) => id);
    const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
    const byA = fields(la, 'start').length;
    const byB = fields(lb, 'start').length;
    assert(new Set(ids).size === 60, `expected 60 distinct jobs run, got ${String(new Set(ids).size)}`);
    assert(twice.length === 0, `jobs ran twice: ${twice.join(', ')}`);
    assert(byA >= 1 && byB >= 1, `expected both processes to run jobs, got ${String(byA)} and ${String(byB)}`);
    return `60 jobs, each run once: ${String(byA)} by one process, ${String(byB)} by the other`;
  },

  async 'idempotency across processes: one job per key when two add it at once'(rt) {
    const db = freshDb();
    await start(rt, 'resume', db, '0').finish();
    const [la, lb] = await Promise.all([start(rt, 'idempotent', db, 'a').finish(), start(rt, 'idempotent', db, 'b').finish()]);
    const ka = new Map(fields(la, 'key').map(([k, id]) => [k, id]));
    const kb = new Map(fields(lb, 'key').map(([k, id]) => [k, id]));
    const differ = [...ka].filter(([k, id]) => kb.get(k) !== id);
    const stored = Number(fields(await start(rt, 'resume', db, '0').finish(), 'stored')[0][0]);
    assert(ka.size === 40 && kb.size === 40, 'expected 40 keys added by each process');
    assert(differ.length === 0, `keys resolved to different jobs in the two processes: ${differ.map(([k]) => k).join(', ')}`);
    assert(stored === 40, `expected 40 stored jobs, got ${String(stored)}`);
    return '40 keys added by both at once: 40 jobs, the same id in both';
  },

  async 'a job added in one process starts in another within a second; waitFor resolves across processes'(rt) {
    const db = freshDb();
    await start(rt, 'resume', db, '0').finish();
    const server = start(rt, 'serve', db, '1');
    await server.until((l) => l.includes('ready'), 20_000, 'ready');
    // Let its first passes find nothing: the job below must wake it.
    await new Promise((r) => setTimeout(r, 500));
    const lines = await start(rt, 'wait-remote', db).finish();
    await server.finish();
    const [ms, result] = fields(lines, 'waited')[0];
    assert(JSON.parse(result).by === 'server', `expected the other process to run the job, got ${result}`);
    assert(Number(ms) < 1500, `expected the other process to start and finish it within about a second, took ${ms} ms`);
    return `added → run by the other process → waitFor resolved in ${ms} ms`;
  },

  async 'data round-trip: Date, Map, Set, ArrayBuffer, typed arrays (Blob in Bun); the rest refused, nothing written'(rt) {
    const lines = await start(rt, 'roundtrip', freshDb()).finish();
    const { checks, refusals, written } = JSON.parse(fields(lines, 'roundtrip')[0].join(' '));
    const failed = Object.entries(checks).filter(([, ok]) => !ok).map(([k]) => k);
    const notRefused = Object.entries(refusals).filter(([, r]) => r !== 'JobrailError');
    assert(failed.length === 0, `lost in the round-trip: ${failed.join(', ')}`);
    assert(notRefused.length === 0, `not refused with a JobrailError: ${JSON.stringify(notRefused)}`);
    assert(written === 0, `refused adds wrote ${String(written)} jobs`);
    return `kept ${Object.keys(checks).join(', ')}; refused ${Object.keys(refusals).join(', ')}`;
  },
};

let passed = 0;
let failed = 0;
const t0 = Date.now();
for (const rt of selected) {
  const tests = rt === 'workerd' ? workerdTests(root, dir) : Object.fromEntries(Object.entries(processTests).map(([name, fn]) => [name, () => fn(rt)]));
  for (const [name, fn] of Object.entries(tests)) {
    const started = Date.now();
    try {
      const detail = await fn();
      passed += 1;
      console.log(`✓ ${rt.padEnd(7)} ${name} (${String(Date.now() - started)} ms): ${detail}`);
    } catch (error) {
      failed += 1;
      console.log(`✗ ${rt.padEnd(7)} ${name}\n    ${String(error?.stack ?? error).split('\n').join('\n    ')}`);
    }
  }
}
rmSync(dir, { recursive: true, force: true });
console.log(`\nruntimes (${selected.join(', ')}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
console.log(`${String(passed)} passed, ${String(failed)} failed`);
process.exit(failed === 0 ? 0 : 1);
