/**
 * Checks the tarball `npm pack` makes (its prepack builds dist/): only dist/, README.md,
 * LICENSE and package.json, no source maps; a README without relative images (npm cannot
 * show them, see scripts/npm-readme.mjs), and the repository's README back in place; then
 * publint (strict) and
 * @arethetypeswrong/cli with the `esm-only` profile (jobrail is ESM only: a `require()`
 * from CommonJS is not supported, so node10 and CJS resolutions are not checked).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bin = (name) => join(root, 'node_modules', '.bin', name);
const dir = mkdtempSync(join(tmpdir(), 'jobrail-pack-'));
let failed = false;
try {
  const before = readFileSync(join(root, 'README.md'), 'utf8');
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const [info] = JSON.parse(out.slice(out.indexOf('[')));
  const tarball = join(dir, info.filename);
  const packedReadme = execFileSync('tar', ['-xzOf', tarball, 'package/README.md'], { encoding: 'utf8' });
  const images = packedReadme.match(/!\[[^\]]*\]\((?!https?:\/\/)[^)\s]+\)/g) ?? [];
  if (images.length > 0) {
    failed = true;
    console.error(`The packed README has relative images npm cannot show: ${images.join(', ')} (prepack should have replaced them)`);
  }
  if (readFileSync(join(root, 'README.md'), 'utf8') !== before) {
    failed = true;
    console.error('README.md changed during npm pack: postpack (scripts/npm-readme.mjs restore) did not put it back');
  }
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
