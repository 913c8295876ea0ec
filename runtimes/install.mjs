// Installs the runtimes of the SQLite tests (runtimes/package.json, pinned in its lock) once.
// They live apart from the root project: the `node` package's binary would otherwise shadow
// the Node that runs every root npm script.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const bins = ['node', 'bun', 'deno', 'workerd'];
if (!bins.every((b) => existsSync(`${dir}node_modules/.bin/${b}`))) {
  console.log('runtimes: installing Node 22, Bun, Deno and workerd from runtimes/package-lock.json');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
}
