#!/usr/bin/env node
/**
 * jobrail/sqlite benchmarks in a real runtime (the cases are bench/sqlite-cases.mjs):
 *
 *   npm run bench:sqlite -- --runtime node22|bun|deno [--reps 3] [--scale-reps 9] [--stored 100000]
 *
 * Builds dist/, runs the cases in the runtime from runtimes/ (npm run test:sqlite installs
 * them), prints each figure against its raw SQLite loop from the same process and run, and
 * the issue's targets; writes JSON to bench/results/.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const runtime = argv.includes('--runtime') ? argv[argv.indexOf('--runtime') + 1] : 'node22';
const pass = argv.filter((a, i) => a !== '--runtime' && argv[i - 1] !== '--runtime');
const bin = (name) => `${root}runtimes/node_modules/.bin/${name}`;
const cases = `${root}bench/sqlite-cases.mjs`;
const cmd = {
  node22: [bin('node'), ['--no-warnings', cases]],
  bun: [bin('bun'), [cases]],
  deno: [bin('deno'), ['run', '-A', '--node-modules-dir=manual', cases]],
}[runtime];
if (!cmd) throw new Error(`--runtime must be node22, bun or deno, got ${runtime}`);
execFileSync('node', [`${root}runtimes/install.mjs`], { stdio: 'inherit' });
execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
const run = spawnSync(cmd[0], [...cmd[1], ...pass], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
if (run.status !== 0) throw new Error(`${runtime} failed: ${run.stderr}`);
const out = JSON.parse(run.stdout.trim().split('\n').pop());
const s = out.summary;
const range = (xs) => `${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))}`;
const rows = [];
const row = (what, value, xs, against, ratio, target) => rows.push({ what, value, range: range(xs), against, ratio: ratio.toFixed(2), target, ok: target === '' ? '' : eval(`${ratio} ${target}`) ? 'pass' : 'FAIL' });
const stored = `stored${String(out.sizes.stored)}`;
if (s.add) row('add, awaited one at a time (jobs/s)', s.add.jobrail, out.results.add.jobrail, `raw INSERT per FULL transaction ${s.add.raw}/s`, s.add.jobrail / s.add.raw, '>= 0.6');
if (s.addBulk) row(`addBulk of ${out.sizes.bulk} (jobs/s)`, s.addBulk.jobrail, out.results.addBulk.jobrail, `raw one-transaction batch ${s.addBulk.raw}/s`, s.addBulk.jobrail / s.addBulk.raw, '');
if (s.e2e) {
  row(`end to end, concurrency 8, ${out.sizes.e2e} no-op jobs (jobs/s)`, s.e2e.jobrail, out.results.e2e.jobrail, `raw claim-and-complete, 8 per transaction ${s.e2e.raw8}/s`, s.e2e.jobrail / s.e2e.raw8, '>= 0.7');
  row('  the same', s.e2e.jobrail, out.results.e2e.jobrail, `raw, 1 per transaction ${s.e2e.raw1}/s`, s.e2e.jobrail / s.e2e.raw1, '');
  if (s.e2e.memory) row('  the same runner on the memory store (no SQLite)', s.e2e.memory, out.results.e2e.memory, `raw 8 per transaction ${s.e2e.raw8}/s`, s.e2e.memory / s.e2e.raw8, '');
}
if (s.scale) {
  row(`claims with ${out.sizes.stored} stored: time vs 1,000 stored`, s.scale[stored], out.results.scale[stored], `${s.scale.stored1000}/s with 1,000 stored (${String(out.scaleReps)} repetitions)`, s.scale.stored1000 / s.scale[stored], '<= 1.5');
  // The fastest run of each side: what the claims cost when the machine let them run.
  const best = (xs) => Math.round(Math.max(...xs));
  row('  the same, fastest run of each', best(out.results.scale[stored]), out.results.scale[stored], `${best(out.results.scale.stored1000)}/s with 1,000 stored`, best(out.results.scale.stored1000) / best(out.results.scale[stored]), '');
}
const d = out.results.diag;
if (d) {
  const f = (xs) => xs[0].toFixed(2);
  console.log(`per add: ${f(d.addStatements)} SQL statements (BEGIN and COMMIT included) in ${f(d.addWriteTx)} write transactions; raw: 3 in 1`);
  console.log(`per job end to end: ${f(d.e2eStatements)} SQL statements in ${f(d.e2eWriteTx)} write transactions; raw 8-job loop: ${(21 / 8).toFixed(2)} (per 8 jobs: 2 × BEGIN IMMEDIATE and COMMIT, 1 SELECT, 16 UPDATE) in 0.25\n`);
}
console.log(`jobrail/sqlite on ${out.runtime}, median of ${String(out.reps)} repetitions (min–max)\n`);
for (const r of rows) console.log(`${r.what.padEnd(58)} ${String(r.value).padStart(7)} (${r.range})  ${r.against}  ratio ${r.ratio}${r.target ? ` (target ${r.target}: ${r.ok})` : ''}`);
mkdirSync(`${root}bench/results`, { recursive: true });
const file = `${root}bench/results/sqlite-${runtime}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(file, JSON.stringify({ ...out, rows }, null, 2));
console.log(`\n${file}`);
