/**
 * Checks the tarball `npm pack` makes (run after `npm run build`): only dist/, README.md,
 * LICENSE and package.json, no source maps; then publint (strict) and
 * @arethetypeswrong/cli with the `esm-only` profile (jobrail is ESM only: a `require()`
 * from CommonJS is not supported, so node10 and CJS resolutions are not checked).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bin = (name) => join(root, 'node_modules', '.bin', name);
const dir = mkdtempSync(join(tmpdir(), 'jobrail-pack-'));
let failed = false;
try {
  const [info] = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8' }));
  const tarball = join(dir, info.filename);
  const stray = info.files.map((f) => f.path).filter((p) => !/^(dist\/.*\.(js|d\.ts)|README\.md|LICENSE|package\.json)$/.test(p));
  console.log(`npm pack: ${info.files.length} files, ${(info.size / 1024).toFixed(1)} kB packed, ${(info.unpackedSize / 1024).toFixed(1)} kB unpacked`);
  if (stray.length > 0) {
    failed = true;
    console.error(`The tarball holds files it should not (source maps, sources, tests?): ${stray.join(', ')}. Fix "files" in package.json or tsconfig.build.json.`);
  }
  for (const [cmd, args] of [
    ['publint', ['run', tarball, '--strict']],
    ['attw', [tarball, '--profile', 'esm-only', '--format', 'table-flipped']],
  ]) {
    try {
      execFileSync(bin(cmd), args, { cwd: root, stdio: 'inherit' });
    } catch {
      failed = true;
      console.error(`${cmd} failed on the packed tarball (see above)`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
