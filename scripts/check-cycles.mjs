// Fails when modules of src/ import each other in a cycle (type-only imports count: they
// still tie the files' designs together). Relative imports only; packages are leaves.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? 'src');
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) files.push(path);
  }
})(root);

const IMPORT = /\b(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\s+from\s+)?['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
const edges = new Map();
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const deps = new Set();
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    deps.add(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
  }
  edges.set(file, [...deps].filter((d) => edges.has(d) || files.includes(d)));
}

const cycles = [];
const state = new Map(); // 1: on the stack, 2: done
const stack = [];
function visit(file) {
  state.set(file, 1);
  stack.push(file);
  for (const dep of edges.get(file) ?? []) {
    if (state.get(dep) === 1) cycles.push([...stack.slice(stack.indexOf(dep)), dep]);
    else if (!state.has(dep)) visit(dep);
  }
  stack.pop();
  state.set(file, 2);
}
for (const file of files) if (!state.has(file)) visit(file);

if (cycles.length > 0) {
  for (const cycle of cycles) console.error(`import cycle: ${cycle.map((f) => relative(root, f)).join(' → ')}`);
  console.error(`${String(cycles.length)} import cycle(s) in ${relative(process.cwd(), root) || '.'}: move what both sides need into a module of its own.`);
  process.exit(1);
}
console.log(`no import cycles among ${String(files.length)} modules of ${relative(process.cwd(), root) || '.'}`);
