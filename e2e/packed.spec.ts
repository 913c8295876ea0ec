import { expect, failsIn, onlyIn, test } from './test.js';
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';

/**
 * The package as users get it: `npm pack`, installed into a fresh Vite app, built, and
 * served with a strict Content-Security-Policy (no eval, no inline scripts).
 */
const root = resolve(import.meta.dirname, '..');
const CSP = "default-src 'self'; script-src 'self'; worker-src 'self'";
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

let server: Server;
let origin = '';
let packed: string[] = [];
let appDir = '';

test.beforeAll(async () => {
  test.setTimeout(240_000);
  // One pack and build per run, shared by the engines' test workers (playwright.config.ts sets
  // the run's id); a run started alone packs afresh.
  const dir = join(tmpdir(), `jobrail-packed-${process.env.JOBRAIL_E2E_RUN ?? String(process.pid)}`);
  const app = join(dir, 'app');
  appDir = app;
  const dist = join(app, 'dist');
  const listing = join(dir, 'files.json');
  if (existsSync(listing)) packed = JSON.parse(readFileSync(listing, 'utf8')) as string[];
  else {
    mkdirSync(dir, { recursive: true });
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8' });
    const info = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    packed = info[0]!.files.map((f) => f.path);
    const tarball = join(dir, info[0]!.filename);
    cpSync(join(root, 'e2e/packed-app'), app, { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'packed-app', private: true, type: 'module', dependencies: { jobrail: `file:${tarball}` } }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: app, stdio: 'inherit' });
    // Build with Vite from this repo, but no config of ours: the app resolves `jobrail` from its node_modules.
    execFileSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: app, stdio: 'inherit' });
    writeFileSync(listing, JSON.stringify(packed));
  }
  server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const path = join(dist, pathname);
    const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'index.html') : path;
    if (!file.startsWith(dist) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-security-policy': CSP });
    res.end(readFileSync(file));
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const address = server.address();
  origin = `http://127.0.0.1:${String(typeof address === 'object' && address ? address.port : 0)}`;
});

test.afterAll(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

test('the tarball holds only what a user needs: built code, types and the README', () => {
  onlyIn(['chromium'], 'reads the tarball on disk: no browser involved');
  expect(packed).toContain('dist/index.js');
  expect(packed).toContain('dist/index.d.ts');
  expect(packed).toContain('dist/worker.js');
  expect(packed).toContain('dist/worker.d.ts');
  expect(packed).toContain('dist/dashboard/index.js');
  expect(packed).toContain('package.json');
  expect(packed).toContain('README.md');
  expect(packed.filter((p) => p.startsWith('src/') || p.startsWith('test/') || p.startsWith('e2e/'))).toEqual([]);
});

test('the worker entry does not pull in the main entry', () => {
  onlyIn(['chromium'], 'reads the built files on disk: no browser involved');
  const worker = readFileSync(join(root, 'dist/worker.js'), 'utf8');
  expect(worker).not.toMatch(/from '\.\/index\.js'|from '\.\/queue\.js'|from 'idb'/);
});

test('a Vite app built from the tarball runs jobs in a worker under a strict CSP', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(`${origin}/index.html`);
  await expect(page.locator('#status')).toHaveText('done', { timeout: 30_000 });
  const outcome = await page.evaluate(() => (window as unknown as { outcome: unknown }).outcome);
  expect(outcome).toEqual({ result: { doubled: 42, blobSize: 3 }, failed: 'JobFailedError:PermanentError', permanentIsExported: true, violations: [] });
  // The dashboard rendered under the same policy, with its styles, and saw the jobs.
  await expect(page.locator('jobrail-dashboard')).toContainText(/completed/i);
  const violations = await page.evaluate(() => (window as unknown as { outcome: { violations: string[] } }).outcome.violations);
  expect(violations).toEqual([]);
  expect(errors).toEqual([]);
});

test('on Vite’s dev server, the first visit runs without a reload when vite.config.js lists jobrail/worker in optimizeDeps.include', async ({ page }) => {
  onlyIn(['chromium'], "checks Vite's dependency optimizer, the same for every browser; one dev server on the shared app directory");
  test.setTimeout(120_000);
  // A port next to the suite's own, in the range of whoever runs the suite.
  const port = Number(process.env.E2E_PORT ?? 5174) + 1;
  let log = '';
  // --force: optimize from scratch, as on the first start of a fresh app.
  const server = spawn(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), '--port', String(port), '--strictPort', '--host', '127.0.0.1', '--force'], { cwd: appDir });
  server.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
  server.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  try {
    await expect.poll(() => log, { timeout: 60_000 }).toMatch(/ready in/);
    let loads = 0;
    page.on('load', () => loads++);
    await page.goto(`http://127.0.0.1:${String(port)}/index.html`);
    await expect(page.locator('#status')).toHaveText('done', { timeout: 60_000 });
    // The worker's dependency was optimized when the server started, with the page's: no
    // dependency is discovered late, so nothing can trigger the reload.
    const metadata = JSON.parse(readFileSync(join(appDir, 'node_modules/.vite/deps/_metadata.json'), 'utf8')) as { optimized: Record<string, unknown> };
    expect(Object.keys(metadata.optimized)).toEqual(expect.arrayContaining(['jobrail', 'jobrail/worker']));
    expect(log).not.toMatch(/new dependencies optimized|optimized dependencies changed|reloading/);
    expect(loads).toBe(1);
  } finally {
    server.kill();
  }
});
