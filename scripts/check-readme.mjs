/**
 * Compiles every TypeScript code block of README.md (```ts) as an app would: strict, against
 * the built package (`dist/*.d.ts`, through package.json `exports`), so the samples cannot
 * drift from the API. Run after `npm run build`.
 *
 * Conventions for README blocks:
 * - Each block is its own module. A block whose first line is a file name comment
 *   (`// jobs.ts`) is written under that name, so later blocks can import from it
 *   (`import type { Jobs } from './jobs.js'`).
 * - Snippets may use the placeholders declared in PRELUDE below (`queue`, `send`).
 * - A block that cannot compile on purpose starts with `// not compiled: <why>` (visible in
 *   the rendered README). Keep those rare.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const root = new URL('..', import.meta.url).pathname;
const readmePath = join(root, 'README.md');
// Inside the package, so `import … from 'jobrail'` resolves by self-reference through package.json exports.
const dir = join(root, 'test-results', 'readme-samples');

/** Placeholders README snippets may use without declaring them. */
const PRELUDE = `// Placeholders that README snippets may use without declaring them (scripts/check-readme.mjs).
import type { Queue } from 'jobrail';
declare global {
  /** A queue from openQueue(), without a job map. */
  const queue: Queue;
  function send(data: unknown): Promise<unknown>;
}
export {};
`;

const lines = readFileSync(readmePath, 'utf8').split('\n');
const blocks = [];
for (let i = 0; i < lines.length; i++) {
  const open = /^(\s*)```(ts|typescript|tsx)\b(.*)$/.exec(lines[i]);
  if (!open) continue;
  const start = i + 1; // 0-based index of the block's first code line
  let end = start;
  while (end < lines.length && !/^\s*```\s*$/.test(lines[end])) end++;
  const code = lines.slice(start, end);
  i = end;
  const first = (code[0] ?? '').trim();
  if (/^\/\/\s*not compiled:\s*\S/.test(first)) continue;
  const named = /^\/\/\s*([\w.-]+\.tsx?)\s*$/.exec(first);
  const file = named ? named[1] : `block-line-${String(start + 1)}.${open[2] === 'tsx' ? 'tsx' : 'ts'}`;
  blocks.push({ file, line: start + 1, code: code.join('\n') });
}

rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'prelude.d.ts'), PRELUDE);
const seen = new Map();
for (const b of blocks) {
  if (seen.has(b.file)) {
    console.error(`README.md:${String(b.line)}: a ts block named "${b.file}" already exists at line ${String(seen.get(b.file))}: give each file name comment once`);
    process.exit(1);
  }
  seen.set(b.file, b.line);
  // `export {}` keeps a block without imports a module, so blocks do not share globals.
  writeFileSync(join(dir, b.file), `${b.code}\nexport {};\n`);
}

const options = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
  jsx: ts.JsxEmit.ReactJSX,
  // Node's types, so samples for Node, Bun or Deno can import `node:` modules (browser samples see a few extra globals).
  types: ['node'],
  skipLibCheck: false,
  isolatedModules: true,
  verbatimModuleSyntax: true,
};
const files = [join(dir, 'prelude.d.ts'), ...blocks.map((b) => join(dir, b.file))];
const program = ts.createProgram(files, options);
const diagnostics = ts.getPreEmitDiagnostics(program);
let errors = 0;
for (const d of diagnostics) {
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n  ');
  const block = d.file && blocks.find((b) => join(dir, b.file) === d.file.fileName);
  if (block && d.start !== undefined) {
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    const where = `README.md:${String(block.line + line)}:${String(character + 1)}`;
    console.error(`${where} (ts block "${block.file}" starting at README line ${String(block.line)}): error TS${String(d.code)}: ${message}`);
    console.error(`    ${(lines[block.line + line - 1] ?? '').trim()}`);
  } else {
    const where = d.file ? d.file.fileName.replace(root, '') : 'tsconfig';
    console.error(`${where}: error TS${String(d.code)}: ${message}`);
  }
  errors++;
}
if (errors > 0) {
  console.error(`\n${String(errors)} error(s) in README.md's TypeScript samples (compiled strict against dist/*.d.ts).`);
  console.error('Fix the sample, or, if it cannot compile on purpose, make its first line `// not compiled: <why>`.');
  console.error(`The compiled files are in ${dir.replace(root, '')}/ for a closer look.`);
  process.exit(1);
}
console.log(`README.md: ${String(blocks.length)} TypeScript blocks compile (strict, against dist/*.d.ts).`);
