import { defineConfig, type Plugin } from 'vitest/config';
import { fileURLToPath } from 'node:url';

/**
 * Answers the e2e suite's rate-limited endpoint on the dev server, so the 429 test needs no
 * request interception (which WebDriver classic, and so the WebKit project, lacks):
 * GET /e2e/api/polite?key=K answers 429 with `Retry-After: 1` the first time for each K and
 * 200 afterwards; GET /e2e/api/polite-hits?key=K lists when K was asked (ms since epoch).
 */
function e2eEndpoints(): Plugin {
  const hits = new Map<string, number[]>();
  return {
    name: 'jobrail-e2e-endpoints',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const key = url.searchParams.get('key') ?? '';
        if (url.pathname === '/e2e/api/polite') {
          const list = hits.get(key) ?? [];
          list.push(Date.now());
          hits.set(key, list);
          res.setHeader('Cache-Control', 'no-store');
          if (list.length === 1) {
            res.statusCode = 429;
            res.setHeader('Retry-After', '1');
            res.end('slow down');
          } else res.end('ok');
          return;
        }
        if (url.pathname === '/e2e/api/polite-hits') {
          res.setHeader('Content-Type', 'application/json');
          res.end(JSON.stringify(hits.get(key) ?? []));
          return;
        }
        next();
      });
    },
  };
}

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  plugins: [e2eEndpoints()],
  // The demo imports the package by its public names; in dev they resolve to the sources.
  resolve: {
    alias: [
      { find: /^jobrail$/, replacement: src('index.ts') },
      { find: /^jobrail\/worker$/, replacement: src('worker.ts') },
      { find: /^jobrail\/dashboard$/, replacement: src('dashboard/index.ts') },
      { find: /^jobrail\/sw$/, replacement: src('sw.ts') },
      { find: /^jobrail\/react$/, replacement: src('react.ts') },
      { find: /^jobrail\/sqlite$/, replacement: src('sqlite.ts') },
    ],
  },
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
  worker: { format: 'es' },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    setupFiles: ['test/setup.ts'],
    // A guard against hangs, not a speed target: the bulk tests (1,000+ jobs in fake-indexeddb)
    // take over 5 s on a loaded 2-core machine.
    testTimeout: 20_000,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      // Browser-only parts are covered by the Playwright suite in e2e/.
      exclude: ['src/worker.ts', 'src/worker-pool.ts', 'src/dashboard/**', 'src/protocol.ts'],
      reporter: ['text', 'json-summary'],
    },
  },
});
