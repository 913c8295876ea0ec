/**
 * Size budgets: what each entry point costs an app, bundled and minified by esbuild with code
 * splitting (as Vite, Rollup or esbuild would bundle it), gzip level 9. "Loaded at start" is
 * the entry's chunk plus every chunk it imports statically; chunks behind a dynamic import
 * (croner, the worker pool, schedule code, the memory engine) are fetched only when used and
 * are listed apart. Run after `npm run build`; fails if a case exceeds its budget, or if the
 * README's budget table disagrees with the budgets below.
 *
 *   node scripts/check-size.mjs            check
 *   node scripts/check-size.mjs --why NAME  bytes per input file of one case (esbuild metafile)
 */
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;

/** name → [code an app writes, budget in kB gzip]. The README's "Bundle size" table lists the same. */
export const CASES = {
  'openQueue + add + startWorkers': [`import { openQueue, startWorkers } from 'jobrail'; const q = await openQueue('q'); await q.add('a', 1); startWorkers(q, { handlers: {} });`, 26.8],
  'everything from jobrail': [`export * from 'jobrail';`, 27.9],
  'jobrail/worker': [`export * from 'jobrail/worker';`, 3.5],
  'jobrail/sw': [`export * from 'jobrail/sw';`, 27],
  'jobrail/dashboard': [`import 'jobrail/dashboard';`, 29.5],
  // React itself is the app's (external); jobrail's core comes with the app's own import of `jobrail`.
  'jobrail/react': [`export * from 'jobrail/react';`, 2],
  // jobrail's core comes with the app's own import of `jobrail`.
  'jobrail/sqlite': [`export * from 'jobrail/sqlite';`, 8],
};
/**
 * What must stay out of a case's start (behind a dynamic import, or in another entry):
 * input paths, matched as substrings. A match fails the check even within the budget.
 */
const NOT_AT_START = {
  'openQueue + add + startWorkers': ['croner', 'schedule.js', 'worker-pool.js', 'comlink', 'store/memory.js', 'dashboard/', 'react'],
  'everything from jobrail': ['croner', 'schedule.js', 'worker-pool.js', 'comlink', 'store/memory.js', 'dashboard/'],
  'jobrail/worker': ['queue.js', 'idb', 'croner'],
  'jobrail/sw': ['croner', 'schedule.js', 'dashboard/', 'runner.js', 'worker-pool.js', 'comlink'],
};

/** Entries counted once package.json `exports` has them (added by work landing at the same time). */
const OPTIONAL = {};

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const alias = {};
for (const [key, value] of Object.entries(pkg.exports)) {
  if (typeof value === 'object' && value.default) alias[key === '.' ? 'jobrail' : `jobrail${key.slice(1)}`] = join(root, value.default);
}
for (const [name, spec] of Object.entries(OPTIONAL)) {
  const entry = spec[0].match(/'(jobrail[^']*)'/)[1];
  if (alias[entry] && existsSync(alias[entry])) CASES[name] = spec;
}

/** Resolves `jobrail` and `jobrail/…` to the built files, as package.json `exports` says. */
const exportsMap = {
  name: 'jobrail-exports',
  setup(b) {
    b.onResolve({ filter: /^jobrail(\/.*)?$/ }, (args) => {
      if (!alias[args.path]) return { errors: [{ text: `package.json exports has no entry for ${args.path}` }] };
      return { path: alias[args.path] };
    });
  },
};

const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
const kB = (n) => (n / 1024).toFixed(1);

async function measure(contents) {
  const outdir = mkdtempSync(join(tmpdir(), 'jobrail-size-'));
  try {
    const result = await build({
      stdin: { contents, resolveDir: root, loader: 'js', sourcefile: 'app.js' },
      bundle: true, splitting: true, format: 'esm', minify: true, platform: 'browser', target: 'es2022',
      outdir, write: false, metafile: true, logLevel: 'error', plugins: [exportsMap],
      // React is the app's own (a peer dependency), never counted as jobrail's.
      external: ['react', 'react-dom'],
    });
    const files = new Map(result.outputFiles.map((f) => [f.path.slice(outdir.length + 1), f.contents]));
    const outputs = result.metafile.outputs;
    const entry = Object.keys(outputs).find((k) => outputs[k].entryPoint);
    const start = new Set();
    const visit = (file) => {
      if (start.has(file)) return;
      start.add(file);
      for (const imp of outputs[file].imports) if (imp.kind === 'import-statement' && !imp.external) visit(imp.path);
    };
    visit(entry);
    const name = (k) => k.slice(k.lastIndexOf('/') + 1);
    const startBytes = gz(Buffer.concat([...start].map((k) => files.get(name(k)))));
    const lazy = Object.keys(outputs).filter((k) => !start.has(k)).map((k) => ({ chunk: Object.keys(outputs[k].inputs).map((i) => i.replace(/.*node_modules\//, '').replace(/.*dist\//, '')).join(' + '), gz: gz(files.get(name(k))) }));
    const inputs = {};
    for (const k of start) for (const [i, v] of Object.entries(outputs[k].inputs)) inputs[i] = (inputs[i] ?? 0) + v.bytesInOutput;
    return { startBytes, lazy, inputs };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const why = process.argv.indexOf('--why');
if (why !== -1) {
  const name = process.argv[why + 1];
  const r = await measure(CASES[name][0]);
  for (const [file, bytes] of Object.entries(r.inputs).sort((a, b) => b[1] - a[1])) console.log(String(bytes).padStart(7), file.replace(root, ''));
  process.exit(0);
}

const readme = readFileSync(join(root, 'README.md'), 'utf8');
let failed = 0;
console.log('case'.padEnd(36), 'at start'.padStart(9), 'budget'.padStart(7), '  lazy chunks (kB gzip)');
for (const [name, [code, budget]] of Object.entries(CASES)) {
  const r = await measure(code);
  const over = r.startBytes > budget * 1024;
  if (over) failed++;
  const strays = Object.keys(r.inputs).filter((input) => (NOT_AT_START[name] ?? []).some((part) => input.includes(part)));
  if (strays.length > 0) {
    failed++;
    console.log(`  ${name}: loaded at start but should not be (keep it behind a dynamic import): ${strays.map((i) => i.replace(root, '')).join(', ')}`);
  }
  console.log(name.padEnd(36), `${kB(r.startBytes)} kB`.padStart(9), `${budget} kB`.padStart(7), over ? ' OVER BUDGET' : '', ' ', r.lazy.map((l) => `${l.chunk} ${kB(l.gz)}`).join('; '));
  const row = new RegExp(`^\\|\\s*${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/`/g, '')}\\s*\\|\\s*${String(budget).replace('.', '\\.')} kB\\s*\\|`, 'm');
  if (!row.test(readme.replace(/`/g, ''))) {
    failed++;
    console.log(`  README.md: the "Bundle size" table has no row "| ${name} | ${budget} kB |": update the table when a budget changes`);
  }
}
if (failed) {
  console.error(`\n${failed} size check(s) failed. Measure what takes the bytes with: node scripts/check-size.mjs --why '<case>'`);
  process.exit(1);
}
